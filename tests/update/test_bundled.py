"""The bundled template stays updatable across svcgen releases, offline.

Two svcgen "releases" are built as real wheels (with the hatch build hook
that ships the template history) from a copy of the source tree, and run
from their unpacked wheels. A service made by release 1 is updated by
release 2 after release 1 (and its cache) are gone, with network access
blocked for git.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from update_helpers import BLOCK, edit

from repo_helpers import ROOT, answers, commit_all, git

SOURCES = ("pyproject.toml", "hatch_build.py", "README.md", "cli", "templates")
OFFLINE = {
    # Any attempt to reach a network fails fast: only local file transport is allowed.
    "GIT_ALLOW_PROTOCOL": "file",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "ALL_PROXY": "http://127.0.0.1:9",
}


def source_tree(dest: Path, version: str) -> Path:
    dest.mkdir()
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    shutil.rmtree(dest / "templates" / "history", ignore_errors=True)  # a fresh history
    set_version(dest, version)
    return dest


def set_version(tree: Path, version: str) -> None:
    init = tree / "cli" / "svcgen" / "__init__.py"
    text = re.sub(r'__version__ = "[^"]+"', f'__version__ = "{version}"', init.read_text())
    init.write_text(text)


def build_and_install(tree: Path, dest: Path) -> Path:
    """Build the wheel (offline, with the build hook) and unpack it: an installed svcgen."""
    out = tree / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index",
         "-q", "-w", str(out), str(tree)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    (wheel,) = out.glob("svcgen-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(dest)
    assert (dest / "svcgen" / "_templates" / "go-service.bundle").is_file()
    return dest


def svcgen(install: Path, cache: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **OFFLINE, "PYTHONPATH": str(install), "SVCGEN_CACHE_DIR": str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "svcgen", *args],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )


def test_bundled_template_updates_across_two_releases_offline(tmp_path: Path) -> None:
    # Release 1.0.0: the template gets the test block; the wheel ships its history.
    tree1 = source_tree(tmp_path / "src-1", "1.0.0")
    with (tree1 / "templates" / "go-service" / "template" / "Makefile.jinja").open("a") as fh:
        fh.write(BLOCK)
    release1 = build_and_install(tree1, tmp_path / "site-1")
    cache1 = tmp_path / "cache-1"
    work = tmp_path / "work"
    work.mkdir()
    proc = svcgen(release1, cache1, "--version", cwd=work)
    assert proc.stdout.strip() == "svcgen 1.0.0"
    proc = svcgen(release1, cache1, "new", "orders", "--defaults", cwd=work)
    assert proc.returncode == 0, proc.stderr
    svc = work / "orders"
    recorded = answers(svc)
    assert recorded["_src_path"] == "svcgen:go-service"
    assert recorded["_commit"] == "v1.0.0"
    git(svc, "init", "-q", "-b", "main")
    edit(svc / "Makefile", "UPDATE_TEST_C := 1", "UPDATE_TEST_C := local")
    commit_all(svc, "orders at 1.0.0, with a local edit")

    # The release process records 1.0.0 in the history; 2.0.0 changes the template.
    tool = tree1 / "templates" / "tools" / "template_release.py"
    proc = subprocess.run([sys.executable, str(tool)], check=False, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "recorded v1.0.0" in proc.stdout
    shutil.copytree(tree1, tmp_path / "src-2", ignore=shutil.ignore_patterns("dist"))
    tree2 = tmp_path / "src-2"
    set_version(tree2, "2.0.0")
    makefile = tree2 / "templates/go-service/template/Makefile.jinja"
    edit(makefile, "UPDATE_TEST_A := 1", "UPDATE_TEST_A := 2")
    (tree2 / "templates/go-service/template/UPDATING.md").write_text("Added in 2.0.0.\n")
    release2 = build_and_install(tree2, tmp_path / "site-2")

    # Release 1 is gone (another machine): only release 2 and a cold cache remain.
    assert not cache1.exists()  # release 1 used its own bundle, built nothing
    for gone in (tree1, release1):
        shutil.rmtree(gone)
    cache2 = tmp_path / "cache-2"
    proc = svcgen(release2, cache2, "check", str(svc), cwd=work)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "behind v1.0.0 → v2.0.0" in proc.stdout
    proc = svcgen(release2, cache2, "update", str(svc), cwd=work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "updated v1.0.0 → v2.0.0" in proc.stdout
    makefile = (svc / "Makefile").read_text()
    assert "UPDATE_TEST_A := 2" in makefile
    assert "UPDATE_TEST_C := local" in makefile
    assert (svc / "UPDATING.md").read_text() == "Added in 2.0.0.\n"
    recorded = answers(svc)
    assert recorded["_src_path"] == "svcgen:go-service"
    assert recorded["_commit"] == "v2.0.0"
    assert not cache2.exists() or not any(cache2.rglob("*.bundle"))  # the wheel's bundle was used
