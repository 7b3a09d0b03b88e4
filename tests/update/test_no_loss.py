"""svcgen update never loses an owner's edit: renames and deletions upstream, in
both --conflict modes, with the dry run predicting the real run byte for byte.

A small synthetic template (tests/update/synth.py) in a real git repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from synth import make_synth_template, release_rename_and_delete, tree
from update_helpers import copy_service, edit, new_service

from repo_helpers import commit_all, git, run, run_json, snapshot

OWNER_COMMENT = "// owner: keep this comment"


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A service at v1.0.0 whose owner edited bodylimit.go and pdb.yaml; the template's
    v2.0.0 moves bodylimit.go to internal/middleware/ and deletes pdb.yaml."""
    root = tmp_path_factory.mktemp("noloss")
    repo = make_synth_template(root / "tpl")
    svc = new_service(repo, "svc", root / "svcs")
    edit(svc / "internal/bodylimit.go", "// The end of the file.", f"// The end.\n{OWNER_COMMENT}")
    edit(svc / "deploy/pdb.yaml", "minAvailable: 1", "minAvailable: 2")
    commit_all(svc, "owner edits")
    release_rename_and_delete(repo)
    return svc


def apply_patch(service: Path, patch: str) -> None:
    proc = subprocess.run(
        ["git", "apply", "--whitespace=nowarn", "-"],
        cwd=service,
        input=patch.encode(),
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()


@pytest.mark.parametrize("mode", ["inline", "rej"])
def test_rename_and_delete_keep_the_edits_and_dry_run_equals_real(
    edited: Path, tmp_path: Path, mode: str
) -> None:
    dry = copy_service(edited, tmp_path / "dry")
    real = copy_service(edited, tmp_path / "real")
    before = snapshot(dry)

    # The dry run: the terminal output is a patch, and nothing is written.
    code, out, err = run("update", str(dry), "--dry-run", "--conflict", mode)
    assert code == 1, out + err
    assert snapshot(dry) == before
    code, dry_json = run_json("update", str(dry), "--dry-run", "--conflict", mode)
    assert code == 1
    assert snapshot(dry) == before

    code, real_json = run_json("update", str(real), "--conflict", mode)
    assert code == 1
    (d,), (r,) = dry_json["items"], real_json["items"]  # type: ignore[misc]
    assert (d["status"], r["status"]) == ("would conflict", "conflicts")
    for key in ("conflicts", "renamed", "removed_upstream", "not_applied", "to_version"):
        assert d[key] == r[key], key
    assert r["conflicts"] == [{"path": "deploy/pdb.yaml", "reason": "deleted upstream"}]
    assert r["renamed"] == [
        {"from": "internal/bodylimit.go", "to": "internal/middleware/bodylimit.go"}
    ]

    # The rename carried the owner's comment to the new file, with the template's change.
    moved = (real / "internal/middleware/bodylimit.go").read_text(encoding="utf-8")
    assert OWNER_COMMENT in moved
    assert "return 2 << 20" in moved
    assert not (real / "internal/bodylimit.go").exists()
    # The deleted file the owner edited is kept as it is.
    assert "minAvailable: 2" in (real / "deploy/pdb.yaml").read_text(encoding="utf-8")

    # The terminal patch applies byte for byte and gives exactly the real run's tree.
    apply_patch(dry, out)
    assert tree(dry) == tree(real)
    reset = copy_service(edited, tmp_path / "json-patch")
    apply_patch(reset, d["diff"])
    assert tree(reset) == tree(real)


def test_untouched_files_follow_the_rename_and_the_deletion(tmp_path: Path) -> None:
    repo = make_synth_template(tmp_path / "tpl")
    svc = new_service(repo, "svc", tmp_path / "svcs")
    release_rename_and_delete(repo)
    code, data = run_json("update", str(svc))
    assert code == 0, data
    assert data["items"][0]["status"] == "updated"  # type: ignore[index]
    assert data["items"][0]["conflicts"] == []  # type: ignore[index]
    assert not (svc / "deploy").exists()
    assert not (svc / "internal/bodylimit.go").exists()
    assert "return 2 << 20" in (svc / "internal/middleware/bodylimit.go").read_text()


def test_an_edit_that_clashes_with_the_renamed_file_gets_markers_there(tmp_path: Path) -> None:
    repo = make_synth_template(tmp_path / "tpl")
    svc = new_service(repo, "svc", tmp_path / "svcs")
    edit(svc / "internal/bodylimit.go", "return 1 << 20", "return 4 << 20")
    commit_all(svc, "owner edit")
    release_rename_and_delete(repo)
    rej = copy_service(svc, tmp_path / "rej")

    code, data = run_json("update", str(svc))
    assert code == 1
    (item,) = data["items"]  # type: ignore[misc]
    assert item["conflicts"] == [
        {"path": "internal/middleware/bodylimit.go", "reason": "changed on both sides"}
    ]
    text = (svc / "internal/middleware/bodylimit.go").read_text(encoding="utf-8")
    assert "<<<<<<< before updating" in text
    assert "return 4 << 20" in text and "return 2 << 20" in text
    unmerged = git(svc, "diff", "--name-only", "--diff-filter=U").split()
    assert unmerged == ["internal/middleware/bodylimit.go"]

    code, data = run_json("update", str(rej), "--conflict", "rej")
    assert code == 1
    assert "+\t\treturn 4 << 20" in (rej / "internal/middleware/bodylimit.go.rej").read_text()
    assert "return 2 << 20" in (rej / "internal/middleware/bodylimit.go").read_text()


def test_committed_markers_are_reported_by_check_and_refused_by_update(
    edited: Path, tmp_path: Path
) -> None:
    svc = copy_service(edited, tmp_path / "svc")
    # The owner commits a file with conflict markers by mistake.
    (svc / "Makefile").write_text(
        "<<<<<<< before updating\nA\n=======\nB\n>>>>>>> after updating\n", encoding="utf-8"
    )
    commit_all(svc, "oops")
    before = snapshot(svc)

    code, data = run_json("check", str(svc))
    assert code == 1
    (item,) = data["items"]  # type: ignore[misc]
    assert item["status"] == "unresolved conflicts"
    assert item["unresolved"] == ["Makefile"]
    code, out, _err = run("check", str(svc))
    assert code == 1
    assert "unresolved conflicts" in out and "Makefile" in out

    code, data = run_json("update", str(svc))
    assert code == 1
    (item,) = data["items"]  # type: ignore[misc]
    assert item["status"] == "unresolved conflicts"
    assert "Makefile" in item["message"]
    assert snapshot(svc) == before
