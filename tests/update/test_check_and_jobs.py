"""svcgen check as a drift gate, and --jobs giving the same results as one job."""

from __future__ import annotations

from pathlib import Path

from update_helpers import copy_service, edit

from repo_helpers import answers, commit_all, git, run, run_json


def write_fleet(path: Path, services: list[Path]) -> Path:
    lines = ["services:"]
    for svc in services:
        lines += [f"  - name: {svc.name}", f"    path: {svc.relative_to(path.parent)}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_check_exits_1_when_behind(base_service: Path, tmp_path: Path) -> None:
    old = copy_service(base_service, tmp_path / "old")
    new = copy_service(base_service, tmp_path / "new")
    code, out, err = run("update", str(new))
    assert code == 0, out + err
    commit_all(new, "update")
    fleet = write_fleet(tmp_path / "fleet.yaml", [old, new])

    code, data = run_json("check", "--fleet", str(fleet))
    assert code == 1
    by_name = {s["name"]: s for s in data["items"]}  # type: ignore[index]
    assert by_name["old"]["status"] == "behind"
    assert by_name["old"]["from_version"] == "v1.0.0"
    assert by_name["old"]["to_version"] == "v2.0.0"
    assert by_name["new"]["status"] == "up to date"
    assert data["summary"] == {"total": 2, "behind": 1, "up to date": 1}

    code, out, _err = run("check", "--fleet", str(fleet))
    assert code == 1
    assert "behind v1.0.0 → v2.0.0" in out

    code, out, _err = run("check", str(new))
    assert code == 0
    assert "up to date" in out


def test_check_without_answers_exits_2(tmp_path: Path) -> None:
    code, data = run_json("check", str(tmp_path))
    assert code == 2
    assert ".copier-answers.yml" in data["items"][0]["message"]  # type: ignore[index]


def make_fleet(base: Path, root: Path) -> list[Path]:
    """18 services: 12 clean, 3 that edited the line v2 changes (conflict), 3 dirty."""
    services = []
    for i in range(18):
        svc = copy_service(base, root / f"svc-{i:02d}")
        if i % 6 == 1:
            edit(svc / "Makefile", "UPDATE_TEST_A := 1", f"UPDATE_TEST_A := local-{i}")
            commit_all(svc, "local edit")
        elif i % 6 == 4:
            (svc / "wip.txt").write_text("uncommitted\n", encoding="utf-8")
        services.append(svc)
    return services


def outcome(svc: Path) -> dict[str, object]:
    return {
        "makefile": (svc / "Makefile").read_text(encoding="utf-8"),
        "status": git(svc, "status", "--porcelain", "--untracked-files=all"),
        "commit": answers(svc)["_commit"],
    }


def test_jobs_2_gives_the_same_results_as_jobs_1(small_base_service: Path, tmp_path: Path) -> None:
    # 36 updates: a trimmed copy of the template keeps this test quick.
    serial = make_fleet(small_base_service, tmp_path / "serial")
    parallel = make_fleet(small_base_service, tmp_path / "parallel")
    results = {}
    for name, services, jobs in (("serial", serial, "1"), ("parallel", parallel, "2")):
        fleet = write_fleet(tmp_path / name / "fleet.yaml", services)
        code, data = run_json("update", "--fleet", str(fleet), "--jobs", jobs)
        assert code == 2  # three services are dirty
        results[name] = [
            {k: v for k, v in s.items() if k not in ("path", "abs_path")}
            for s in data["items"]  # type: ignore[union-attr]
        ]
    assert results["parallel"] == results["serial"]
    labels = [s["label"] for s in results["serial"]]
    assert labels.count("updated v1.0.0 → v2.0.0") == 12
    assert labels.count("conflicts (1 file)") == 3
    assert labels.count("refused (dirty)") == 3
    assert [s["name"] for s in results["serial"]] == [p.name for p in serial]
    for a, b in zip(serial, parallel, strict=True):
        assert outcome(a) == outcome(b), a.name
