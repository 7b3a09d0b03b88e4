"""svcgen update: three services, local edits, conflicts, dirty trees, dry runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from update_helpers import (
    MAKEFILE,
    copy_service,
    edit,
    make_template_repo,
    new_service,
    release_v2,
    release_v3,
)

from repo_helpers import answers, commit_all, git, run, run_json, snapshot


def test_update_three_services_then_a_conflicting_v3(tmp_path: Path) -> None:
    repo = make_template_repo(tmp_path / "template")
    services = [new_service(repo, name, tmp_path / "svc") for name in ("alpha", "beta", "gamma")]
    for svc in services:
        assert answers(svc)["_commit"] == "v1.0.0"
    beta = services[1]
    edit(beta / "Makefile", "UPDATE_TEST_C := 1", "UPDATE_TEST_C := local")
    commit_all(beta, "local edit")

    release_v2(repo)
    code, out, err = run("update", *map(str, services))
    assert code == 0, out + err
    assert out.count("updated v1.0.0 → v2.0.0") == 3
    for svc in services:
        makefile = (svc / "Makefile").read_text(encoding="utf-8")
        assert "UPDATE_TEST_A := 2" in makefile
        assert (svc / "UPDATING.md").read_text(encoding="utf-8") == "Added by template v2.\n"
        assert answers(svc)["_commit"] == "v2.0.0"
        assert not git(svc, "diff", "--name-only", "--diff-filter=U")
    assert "UPDATE_TEST_C := local" in (beta / "Makefile").read_text(encoding="utf-8")
    assert "UPDATE_TEST_C := 1" in (services[0] / "Makefile").read_text(encoding="utf-8")
    for svc in services:
        commit_all(svc, "update to v2")

    # v3 changes the very line beta edited: beta conflicts, both sides kept.
    release_v3(repo)
    code, data = run_json("update", *map(str, services))
    assert code == 1
    by_name = {s["name"]: s for s in data["items"]}  # type: ignore[index]
    assert by_name["alpha"]["label"] == "updated v2.0.0 → v3.0.0"
    assert by_name["gamma"]["label"] == "updated v2.0.0 → v3.0.0"
    assert by_name["beta"]["status"] == "conflicts"
    assert by_name["beta"]["label"] == "conflicts (1 file)"
    assert by_name["beta"]["conflicts"] == [{"path": "Makefile", "reason": "changed on both sides"}]
    makefile = (beta / "Makefile").read_text(encoding="utf-8")
    assert "<<<<<<< before updating" in makefile
    assert "UPDATE_TEST_C := local" in makefile
    assert "UPDATE_TEST_C := 3" in makefile
    assert git(beta, "diff", "--name-only", "--diff-filter=U").split() == ["Makefile"]
    assert "UPDATE_TEST_C := 3" in (services[0] / "Makefile").read_text(encoding="utf-8")


def test_conflict_as_rej_file_names_the_file(tmp_path: Path) -> None:
    repo = make_template_repo(tmp_path / "template")
    svc = new_service(repo, "beta", tmp_path / "svc")
    edit(svc / "Makefile", "UPDATE_TEST_C := 1", "UPDATE_TEST_C := local")
    commit_all(svc, "local edit")
    release_v3(repo)
    code, out, err = run("update", str(svc), "--conflict", "rej")
    assert code == 1, out + err
    assert "conflicts (1 file)" in out
    assert "Makefile" in out
    rej = (svc / "Makefile.rej").read_text(encoding="utf-8")
    assert "+UPDATE_TEST_C := local" in rej  # the service's side
    assert "UPDATE_TEST_C := 3" in (svc / "Makefile").read_text(encoding="utf-8")  # the template's


def test_dirty_service_is_refused_and_untouched_while_others_update(
    base_service: Path, tmp_path: Path
) -> None:
    clean = copy_service(base_service, tmp_path / "clean")
    untracked = copy_service(base_service, tmp_path / "untracked")
    (untracked / "notes.txt").write_text("work in progress\n", encoding="utf-8")
    modified = copy_service(base_service, tmp_path / "modified")
    edit(modified / "Makefile", "UPDATE_TEST_C := 1", "UPDATE_TEST_C := wip")
    before = {p.name: snapshot(p) for p in (untracked, modified)}

    code, out, err = run("update", str(clean), str(untracked), str(modified))
    assert code == 2, out + err
    assert out.count("refused (dirty)") == 2
    assert "notes.txt" in out
    assert "updated v1.0.0 → v2.0.0" in out
    for path in (untracked, modified):
        assert snapshot(path) == before[path.name]
    assert answers(clean)["_commit"] == "v2.0.0"


def test_dry_run_shows_the_diff_and_writes_nothing(base_service: Path, tmp_path: Path) -> None:
    svc = copy_service(base_service, tmp_path / "svc")
    before = snapshot(svc)
    code, out, err = run("update", str(svc), "--dry-run")
    assert code == 0, out + err
    assert "-UPDATE_TEST_A := 1" in out
    assert "+UPDATE_TEST_A := 2" in out
    assert "+Added by template v2." in out
    assert "nothing written" in err
    assert snapshot(svc) == before

    code, data = run_json("update", str(svc), "--dry-run")
    assert code == 0
    (result,) = data["items"]  # type: ignore[misc]
    assert result["label"] == "would update v1.0.0 → v2.0.0"
    assert "+_commit: v2.0.0" in result["diff"]
    assert snapshot(svc) == before


def test_up_to_date_and_to_ref(base_service: Path, tmp_path: Path) -> None:
    svc = copy_service(base_service, tmp_path / "svc")
    code, out, err = run("update", str(svc), "--to", "v1.0.0")
    assert code == 0, out + err
    assert "up to date" in out
    code, data = run_json("update", str(svc), "--to", "v2.0.0")
    assert code == 0
    assert data["items"][0]["to_version"] == "v2.0.0"  # type: ignore[index]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--conflict", "both"], "--conflict both"),
        (["--jobs", "-1"], "--jobs -1"),
    ],
)
def test_bad_flags_exit_2(args: list[str], needle: str, base_service: Path) -> None:
    code, _out, err = run("update", str(base_service), *args)
    assert code == 2
    assert needle in err


def test_not_a_service_is_an_error_row(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    git(plain, "init", "-q")
    (plain / "README").write_text("x\n", encoding="utf-8")
    commit_all(plain)
    code, out, _err = run("update", str(plain))
    assert code == 2
    assert "error" in out
    assert ".copier-answers.yml" in out


def test_failed_update_leaves_the_service_as_it_was(tmp_path: Path) -> None:
    repo = make_template_repo(tmp_path / "template", small=True)
    svc = new_service(repo, "svc", tmp_path / "svc")
    edit(repo / MAKEFILE, "UPDATE_TEST_A := 1", "UPDATE_TEST_A := 2")
    (repo / "template" / "zz-broken.txt.jinja").write_text("{{ 1 | no_such_filter }}\n")
    commit_all(repo, "v2 with a broken file")
    git(repo, "tag", "v2.0.0")
    before = snapshot(svc)
    code, data = run_json("update", str(svc))
    assert code == 2
    (result,) = data["items"]  # type: ignore[misc]
    assert result["status"] == "error"
    assert "nothing was written" in result["message"]
    assert "no_such_filter" in result["message"]
    assert snapshot(svc) == before
