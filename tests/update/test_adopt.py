"""svcgen adopt: an existing Go service comes under the template."""

from __future__ import annotations

import shutil
from pathlib import Path

from update_helpers import (
    FIXTURES,
    answers,
    commit_all,
    git,
    run,
    snapshot,
)

OWN_FILES = ("go.mod", "Makefile", "configs/config.yaml", "cmd/legacy/main.go")


def legacy_service(dest: Path) -> Path:
    shutil.copytree(FIXTURES / "legacy", dest)
    git(dest, "init", "-q", "-b", "main")
    commit_all(dest, "legacy")
    return dest


def template_files(template: Path, tmp: Path) -> set[str]:
    """The files the template renders for legacy's answers (rendered aside by copier)."""
    import copier

    out = tmp / "reference"
    copier.run_copy(
        str(template),
        out,
        data={"service_name": "legacy", "module_path": "example.com/acme/legacy"},
        defaults=True,
        quiet=True,
        skip_tasks=True,
        unsafe=True,
    )
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}


def test_adopt_adds_missing_files_and_never_overwrites(repo_v2: Path, tmp_path: Path) -> None:
    template = tmp_path / "template"
    git(tmp_path, "clone", "-q", str(repo_v2), str(template))
    svc = legacy_service(tmp_path / "legacy")
    own = {rel: (svc / rel).read_bytes() for rel in OWN_FILES}

    before = snapshot(svc)
    code, out, err = run("adopt", str(svc), "--defaults", "--dry-run", "--template", str(template))
    assert code == 0, out + err
    assert snapshot(svc) == before  # --dry-run writes nothing

    code, out, err = run("adopt", str(svc), "--defaults", "--template", str(template))
    assert code == 0, out + err
    for rel, content in own.items():
        assert (svc / rel).read_bytes() == content, f"{rel} changed"
    rendered = template_files(template, tmp_path)
    existing = rendered & set(OWN_FILES)
    assert {"go.mod", "Makefile"} <= existing
    for rel in rendered:
        assert (svc / rel).is_file(), f"{rel} was not added"
    for rel in existing:
        assert any(rel in line and "skipped" in line for line in out.splitlines()), (
            f"{rel} not reported as skipped"
        )
    recorded = answers(svc)
    assert recorded["module_path"] == "example.com/acme/legacy"
    assert recorded["service_name"] == "legacy"
    assert recorded["_commit"] == "v2.0.0"

    # A following update works, and still leaves the service's own files alone.
    commit_all(svc, "adopt the template")
    (template / "UPGRADE-NOTES.md").write_text("outside template/: not rendered\n")
    (template / "template" / "SECURITY.md").write_text("Report issues privately.\n")
    commit_all(template, "v2.1.0")
    git(template, "tag", "v2.1.0")
    code, out, err = run("update", str(svc))
    assert code == 0, out + err
    assert "updated v2.0.0 → v2.1.0" in out
    assert (svc / "SECURITY.md").read_text() == "Report issues privately.\n"
    for rel, content in own.items():
        assert (svc / rel).read_bytes() == content, f"{rel} changed by the update"


def test_adopt_refuses_a_dirty_tree_and_a_missing_go_mod(repo_v2: Path, tmp_path: Path) -> None:
    svc = legacy_service(tmp_path / "legacy")
    (svc / "scratch.txt").write_text("wip\n")
    before = snapshot(svc)
    code, _out, err = run("adopt", str(svc), "--defaults", "--template", str(repo_v2))
    assert code == 2
    assert "dirty" in err and "scratch.txt" in err
    assert snapshot(svc) == before

    (svc / "scratch.txt").unlink()
    (svc / "go.mod").unlink()
    commit_all(svc, "no go.mod")
    code, _out, err = run("adopt", str(svc), "--defaults", "--template", str(repo_v2))
    assert code == 2
    assert "go.mod" in err


def test_adopt_rejects_unknown_data_and_a_contradicting_module_path(
    repo_v2: Path, tmp_path: Path
) -> None:
    svc = legacy_service(tmp_path / "legacy")
    before = snapshot(svc)
    code, _out, err = run(
        "adopt", str(svc), "--defaults", "--template", str(repo_v2), "--data", "colour=blue"
    )
    assert code == 2
    assert "colour" in err
    code, _out, err = run(
        "adopt",
        str(svc),
        "--defaults",
        "--template",
        str(repo_v2),
        "--data",
        "module_path=example.com/other",
    )
    assert code == 2
    assert "go.mod" in err
    assert snapshot(svc) == before
