"""Fleet-level behaviour: monorepos under --jobs, version skew, git's stderr in
errors, --output patches, --data answers and --src / template export."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from synth import make_synth_template, release_makefile, release_rename_and_delete, tree
from update_helpers import copy_service, edit, new_service

from repo_helpers import commit_all, git, run, run_json, snapshot


def render_into(repo: Path, name: str, dest: Path) -> Path:
    code, out, err = run(
        "new", name, "--template", str(repo), "--vcs-ref", "v1.0.0", "--dest", str(dest),
        "--defaults",
    )  # fmt: skip
    assert code == 0, out + err
    return dest / name


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """mono/ (one git repo holding services a, b, c), and d, e in their own repos.
    a and d edited the Makefile line v2.1.0 changes (conflicts); b edited the file
    v2.0.0 moves."""
    root = tmp_path_factory.mktemp("fleet")
    repo = make_synth_template(root / "tpl")
    mono = root / "fleet" / "mono"
    mono.mkdir(parents=True)
    for name in ("a", "b", "c"):
        render_into(repo, name, mono)
    edit(mono / "a/Makefile", "go test ./...", "go test -v ./...")
    edit(mono / "b/internal/bodylimit.go", "// The end of the file.", "// b's comment")
    git(mono, "init", "-q", "-b", "main")
    commit_all(mono, "monorepo")
    for name in ("d", "e"):
        svc = new_service(repo, name, root / "fleet")
        if name == "d":
            edit(svc / "Makefile", "go test ./...", "go test -v ./...")
            commit_all(svc, "edit")
    release_rename_and_delete(repo, "v2.0.0")
    release_makefile(repo, "v2.1.0")
    lines = ["services:"]
    for rel in ("mono/a", "mono/b", "mono/c", "d", "e"):
        lines += [f"  - name: {rel.split('/')[-1]}", f"    path: {rel}"]
    (root / "fleet" / "fleet.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root / "fleet"


def outcome(root: Path, data: dict[str, Any]) -> dict[str, Any]:
    items = [{k: v for k, v in i.items() if k not in ("path", "abs_path")} for i in data["items"]]
    repos = {
        name: {"files": tree(root / name), "status": git(root / name, "status", "--porcelain")}
        for name in ("mono", "d", "e")
    }
    return {"items": items, "repos": repos}


def test_monorepo_fleet_gives_identical_results_in_20_runs_with_jobs_3(
    fleet: Path, tmp_path: Path
) -> None:
    seen = []
    for i in range(20):
        root = tmp_path / f"run-{i}"
        shutil.copytree(fleet, root, symlinks=True)
        code, data = run_json("update", "--fleet", str(root / "fleet.yaml"), "--jobs", "3")
        assert code == 1, data
        assert not data["errors"], data["errors"]
        seen.append(outcome(root, data))
        shutil.rmtree(root)
    assert all(s == seen[0] for s in seen)
    statuses = [i["status"] for i in seen[0]["items"]]
    assert statuses == ["conflicts", "updated", "updated", "conflicts", "updated"]


def test_same_results_serial_and_parallel(fleet: Path, tmp_path: Path) -> None:
    results = []
    for jobs in ("1", "3"):
        root = tmp_path / jobs
        shutil.copytree(fleet, root, symlinks=True)
        _code, data = run_json("update", "--fleet", str(root / "fleet.yaml"), "-j", jobs)
        results.append(outcome(root, data))
    assert results[0] == results[1]


def test_output_dir_gets_one_patch_per_service(fleet: Path, tmp_path: Path) -> None:
    root = tmp_path / "f"
    shutil.copytree(fleet, root, symlinks=True)
    real = tmp_path / "real"
    shutil.copytree(fleet, real, symlinks=True)
    before = snapshot(root / "e")
    out_dir = tmp_path / "patches"
    code, _out, err = run(
        "update", "--fleet", str(root / "fleet.yaml"), "--dry-run", "--output", str(out_dir)
    )
    assert code == 1, err
    assert sorted(p.name for p in out_dir.iterdir()) == [f"{n}.patch" for n in "abcde"]
    assert snapshot(root / "e") == before
    code, _out, err = run("update", "--fleet", str(real / "fleet.yaml"))
    assert code == 1
    for name, sub in (("a", "mono/a"), ("b", "mono/b"), ("c", "mono/c"), ("d", "d"), ("e", "e")):
        git(root / sub, "apply", "--whitespace=nowarn", str(out_dir / f"{name}.patch"))
        assert tree(root / sub) == tree(real / sub), name


def write_answers(svc: Path, src: str, commit: str) -> None:
    text = (svc / ".copier-answers.yml").read_text(encoding="utf-8")
    lines = [
        f"_commit: {commit}"
        if line.startswith("_commit:")
        else f"_src_path: {src}"
        if line.startswith("_src_path:")
        else line
        for line in text.splitlines()
    ]
    (svc / ".copier-answers.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    commit_all(svc, "answers")


def test_version_skew_is_one_line_and_exit_2(fleet: Path, tmp_path: Path) -> None:
    from svcgen import __version__

    svc = copy_service(fleet / "e", tmp_path / "e")
    write_answers(svc, "svcgen:go-service", "v99.0.0")
    before = snapshot(svc)
    for command in ("check", "update"):
        code, _out, err = run(command, str(svc))
        assert code == 2, err
        lines = [line for line in err.splitlines() if "upgrade svcgen" in line]
        assert len(lines) == 1, err
        assert lines[0].startswith(f"error: svcgen {__version__} has go-service up to v")
        assert lines[0].endswith("; e is at v99.0.0: upgrade svcgen")
        code, data = run_json(command, str(svc))
        assert code == 2
        assert data["items"][0]["status"] == "ahead"  # type: ignore[index]
    assert snapshot(svc) == before


def test_errors_keep_gits_stderr(fleet: Path, tmp_path: Path) -> None:
    svc = copy_service(fleet / "e", tmp_path / "e")
    write_answers(svc, str(tmp_path / "gone.git"), "v1.0.0")
    # (gone.git does not exist: a moved template repository)
    code, data = run_json("update", str(svc))
    assert code == 2
    message = data["items"][0]["message"]  # type: ignore[index]
    # git's own reason, not just an exit status.
    assert "does not appear to be a git repository" in message, message
    assert "exit status" not in message


def test_data_adds_a_feature_and_a_ci_provider(fleet: Path, tmp_path: Path) -> None:
    svc = copy_service(fleet / "e", tmp_path / "e")
    code, data = run_json("update", str(svc), "--to", "v1.0.0", "--data", "features=auth,worker")
    assert code == 0, data
    assert (svc / "worker.go").read_text() == "package worker\n"
    assert (svc / "auth.go").exists()
    commit_all(svc, "worker feature")
    assert not (svc / ".gitlab-ci.yml").exists()
    code, data = run_json("update", str(svc), "--data", "ci_provider=both")
    assert code == 0, data
    assert (svc / ".gitlab-ci.yml").read_text() == "stages: [test]\n"
    assert (svc / "github-ci.yml").exists()
    assert (svc / "worker.go").exists()  # the earlier answer is kept
    assert "ci_provider: both" in (svc / ".copier-answers.yml").read_text()


def test_data_with_an_unknown_key_or_bad_value_writes_nothing(fleet: Path, tmp_path: Path) -> None:
    svc = copy_service(fleet / "e", tmp_path / "e")
    before = snapshot(svc)
    for arg, needle in (("nope=1", "unknown --data key"), ("ci_provider=jenkins", "expected one")):
        code, data = run_json("update", str(svc), "--data", arg)
        assert code == 2
        assert needle in data["items"][0]["message"], data  # type: ignore[index]
    assert snapshot(svc) == before


def test_src_records_a_new_template_source(fleet: Path, tmp_path: Path) -> None:
    svc = copy_service(fleet / "e", tmp_path / "e")
    hosted = tmp_path / "hosted.git"
    tpl = fleet.parent / "tpl"
    git(tmp_path, "clone", "-q", "--bare", str(tpl), str(hosted))
    code, data = run_json("update", str(svc), "--src", str(hosted))
    assert code == 0, data
    answers = (svc / ".copier-answers.yml").read_text()
    assert f"_src_path: {hosted}" in answers
    assert "_commit: v2.1.0" in answers
    commit_all(svc, "template source moved")

    # Raw copier now updates the service from the recorded source.
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(hosted), str(work))
    (work / "template" / "NEWS.md").write_text("hosted release\n", encoding="utf-8")
    commit_all(work, "v2.2.0")
    git(work, "tag", "v2.2.0")
    git(work, "push", "-q", "origin", "HEAD:main", "v2.2.0")
    proc = subprocess.run(
        [sys.executable, "-m", "copier", "update", "--defaults", "--quiet"],
        cwd=svc,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (svc / "NEWS.md").read_text() == "hosted release\n"
    assert "_commit: v2.2.0" in (svc / ".copier-answers.yml").read_text()


def test_template_export_writes_the_history_as_a_git_repository(tmp_path: Path) -> None:
    dest = tmp_path / "go-service"
    code, out, err = run("template", "export", str(dest))
    assert code == 0, out + err
    tags = git(dest, "tag", "--list").split()
    assert tags and all(t.startswith("v") for t in tags)
    assert (dest / "copier.yml").is_file()
    assert git(dest, "status", "--porcelain") == ""
    assert git(dest, "remote") == ""
    # Not over a non-empty directory.
    code, _out, err = run("template", "export", str(dest))
    assert code == 2
    assert "not empty" in err
