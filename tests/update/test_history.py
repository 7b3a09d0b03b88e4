"""The bundled template's release history (svcgen.updating.history)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from repo_helpers import git
from svcgen.errors import VcsError
from svcgen.updating.history import build_bundle, record_release


def bundle_tags(bundle: Path) -> dict[str, str]:
    heads = git(bundle.parent, "bundle", "list-heads", str(bundle))
    return {
        ref.removeprefix("refs/tags/"): sha
        for sha, ref in (line.split() for line in heads.splitlines())
        if ref.startswith("refs/tags/")
    }


def test_history_is_append_only_and_reproducible(tmp_path: Path) -> None:
    folder = tmp_path / "go-service"
    (folder / "template").mkdir(parents=True)
    (folder / "copier.yml").write_text("_subdirectory: template\n")
    (folder / "template" / "README.md").write_text("v1\n")
    (folder / "template" / "__pycache__").mkdir()
    (folder / "template" / "__pycache__" / "x.pyc").write_bytes(b"junk")
    history = tmp_path / "history" / "go-service.bundle"

    first = record_release(folder, "1.0.0", history)
    assert (first.tag, first.added) == ("v1.0.0", True)
    again = record_release(folder, "1.0.0", history)
    assert again.added is False  # unchanged: nothing recorded
    built = build_bundle(folder, "1.0.1", tmp_path / "wheel.bundle", history)
    assert (built.tag, built.added) == ("v1.0.0", False)  # no new tag without a change
    assert bundle_tags(built.path) == bundle_tags(history)  # same commit ids
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(history), str(clone))
    assert not (clone / "template" / "__pycache__").exists()

    (folder / "template" / "README.md").write_text("v2\n")
    dev = build_bundle(folder, "1.0.0", tmp_path / "dev.bundle", history)
    assert dev.dev and re.fullmatch(r"v1\.0\.0\+dev\.[0-9a-f]{12}", dev.tag)
    with pytest.raises(VcsError, match="already released"):
        record_release(folder, "1.0.0", history)
    with pytest.raises(VcsError, match="not newer"):
        build_bundle(folder, "0.9.0", tmp_path / "old.bundle", history)

    second = record_release(folder, "2.0.0", history)
    assert (second.tag, second.added) == ("v2.0.0", True)
    tags = bundle_tags(history)
    assert set(tags) == {"v1.0.0", "v2.0.0"}
    assert tags["v1.0.0"] == bundle_tags(built.path)["v1.0.0"]  # history kept
