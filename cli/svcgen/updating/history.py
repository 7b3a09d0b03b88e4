"""The bundled template's version history, shipped as a git bundle.

Copier updates only from a git repository with version tags, and
``templates/go-service`` is a plain folder inside svcgen's repository. So
every svcgen release ships ``svcgen/_templates/go-service.bundle``: a git
bundle whose commits are the template as released by each svcgen version,
tagged ``v<svcgen version>``. A service made from the bundled template
records the stable source ``svcgen:go-service`` plus the tag it was made
from; any later svcgen maps that source to *its own* bundle, which still
holds the older tag, so ``svcgen update`` works offline on any machine.

The history lives in the repository as ``templates/history/go-service.bundle``
(released versions only, append-only). ``build_bundle`` takes that history
and the current folder:

* folder identical to the newest tag: the history is shipped as is;
* otherwise a commit with the folder's content is added on top, tagged
  ``v<version>`` (or ``v<version>+dev.<tree>`` when ``v<version>`` was
  already released with other content, i.e. an unreleased development tree).

Commits are reproducible (fixed author and date, see
``svcgen.vcs.REPRODUCIBLE_ENV``): the same content on the same parent is the
same commit in every build. ``templates/tools/template_release.py`` appends a
release to the history file; the wheel build hook (``hatch_build.py``) and
editable installs call ``build_bundle``.

Standard library and ``svcgen.vcs`` only: the build hook imports this module.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from svcgen import vcs
from svcgen.errors import VcsError

# Never part of a template release (ls-files --exclude patterns).
EXCLUDES = ("__pycache__", "*.pyc", ".DS_Store", "*.swp")
BRANCH = "main"


@dataclass(frozen=True)
class BuiltBundle:
    path: Path
    tag: str  # the newest tag in the bundle: what the folder's content is tagged
    added: bool  # a commit was added on top of the history
    dev: bool  # the tag is a development snapshot (v<version>+dev.<tree>)


def version_tag(version: str) -> str:
    return version if version.startswith("v") else f"v{version}"


def _peel_tree(repo: Path, ref: str) -> str:
    return vcs.git("rev-parse", f"{ref}^{{tree}}", cwd=repo).strip()


def build_bundle(template_dir: Path, version: str, out: Path, history: Path | None) -> BuiltBundle:
    """Write ``out``: ``history`` plus the content of ``template_dir`` tagged for ``version``."""
    if not (template_dir / "copier.yml").is_file():
        raise VcsError(f"{template_dir} is not a copier template (no copier.yml)")
    from packaging.version import Version

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="svcgen-history-") as tmp:
        repo = Path(tmp) / "repo"
        vcs.git("init", "--quiet", str(repo))
        if history is not None and history.is_file():
            vcs.git(
                "fetch", "--quiet", str(history.resolve()), "+refs/tags/*:refs/tags/*", cwd=repo
            )
        existing = vcs.git("tag", "--list", cwd=repo).split()
        tip = vcs.newest_version_tag(existing, prereleases=True)
        tree = vcs.tree_of_directory(template_dir.resolve(), repo, EXCLUDES)
        added = dev = False
        if tip is not None and _peel_tree(repo, tip) == tree:
            tag = tip
        else:
            tag = version_tag(version)
            if tag in existing:
                tag, dev = f"{tag}+dev.{tree[:12]}", True
            if tip is not None and Version(tag) <= Version(tip):
                raise VcsError(
                    f"template version {tag} is not newer than the released {tip}",
                    where=history,
                    fix="bump svcgen's version before releasing a changed template",
                )
            if tag not in existing:
                parents = ["-p", f"{tip}^{{commit}}"] if tip else []
                commit = vcs.git(
                    "commit-tree",
                    tree,
                    *parents,
                    "-m",
                    f"go-service template {tag}",
                    cwd=repo,
                    env=vcs.REPRODUCIBLE_ENV,
                ).strip()
                vcs.git("tag", tag, commit, cwd=repo)
                added = True
        vcs.git("update-ref", f"refs/heads/{BRANCH}", f"{tag}^{{commit}}", cwd=repo)
        vcs.git("symbolic-ref", "HEAD", f"refs/heads/{BRANCH}", cwd=repo)
        vcs.bundle_create(repo, out)
    return BuiltBundle(path=out, tag=tag, added=added, dev=dev)


def record_release(template_dir: Path, version: str, history: Path) -> BuiltBundle:
    """Append the folder's content as release ``v<version>`` to the history file.

    A no-op when the folder equals the newest release. Refuses to record a
    changed template under a version that was already released.
    """
    history.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".history-", suffix=".bundle", dir=history.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        built = build_bundle(template_dir, version, tmp, history)
        if built.dev:
            raise VcsError(
                f"{version_tag(version)} is already released with different template content",
                where=history,
                fix="bump svcgen's version, then record the release",
            )
        if built.added:
            os.replace(tmp, history)
        return BuiltBundle(path=history, tag=built.tag, added=built.added, dev=False)
    finally:
        tmp.unlink(missing_ok=True)


def content_key(template_dir: Path, version: str, history: Path | None) -> str:
    """A hash of everything ``build_bundle`` depends on (for caching dev bundles)."""
    digest = hashlib.sha256(version.encode())
    if history is not None and history.is_file():
        digest.update(history.read_bytes())
    for path in sorted(template_dir.rglob("*")):
        rel = path.relative_to(template_dir).as_posix()
        if any(part == "__pycache__" for part in path.parts) or path.suffix in (".pyc", ".swp"):
            continue
        if path.is_symlink():
            digest.update(f"L {rel} {os.readlink(path)}\0".encode())
        elif path.is_file():
            mode = "x" if os.access(path, os.X_OK) else "f"
            digest.update(f"{mode} {rel}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_dir() -> Path:
    base = os.environ.get("SVCGEN_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "svcgen"


def dev_bundle(template_dir: Path, version: str, history: Path | None) -> Path:
    """The bundle for a source checkout (editable install), built once per content."""
    key = content_key(template_dir, version, history)
    out = cache_dir() / "bundles" / f"{template_dir.name}-{key[:20]}.bundle"
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".build-", suffix=".bundle", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        build_bundle(template_dir, version, tmp, history)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
