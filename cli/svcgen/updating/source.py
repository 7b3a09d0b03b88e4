"""Where a service's template comes from, and what version it is at.

A service made from the **bundled** template records the stable source
``svcgen:<template>`` in ``.copier-answers.yml``; svcgen maps it to the
bundle shipped with the installed svcgen (see ``svcgen.updating.history``).
Any other ``_src_path`` (a template folder that is a git repository, a
``.bundle`` file, a git URL) is used as copier would use it.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from svcgen import __version__, vcs
from svcgen.errors import InputFileError, TemplateError, invalid_yaml

STABLE_PREFIX = "svcgen:"
ANSWERS_FILE = ".copier-answers.yml"


def stable_source(name: str) -> str:
    return f"{STABLE_PREFIX}{name}"


def bundled_source(name: str | None = None) -> Path:
    """The git bundle holding the bundled template's release history.

    An installed svcgen ships it as ``svcgen/_templates/<name>.bundle``; a
    source checkout (editable install) builds it from ``templates/<name>``
    and ``templates/history/<name>.bundle`` into the user cache, once per
    content.
    """
    from svcgen.render import BUNDLED_TEMPLATE, templates_root
    from svcgen.updating.history import dev_bundle

    name = name or BUNDLED_TEMPLATE
    root = Path(os.environ.get("SVCGEN_TEMPLATES_DIR") or templates_root())
    shipped = root / f"{name}.bundle"
    if shipped.is_file():
        return shipped
    folder = root / name
    if not (folder / "copier.yml").is_file():
        raise TemplateError(
            f"bundled template {name!r} not found in {root}",
            fix="reinstall svcgen, or pass --template",
        )
    return dev_bundle(folder, __version__, root / "history" / f"{name}.bundle")


def resolve_source(src: str) -> str:
    """Map a recorded ``_src_path`` to something copier can read."""
    if src.startswith(STABLE_PREFIX):
        return str(bundled_source(src.removeprefix(STABLE_PREFIX)))
    return src


@dataclass(frozen=True)
class Answers:
    path: Path
    src_path: str | None
    commit: str | None
    data: dict[str, Any]


def read_answers(project: Path) -> Answers:
    """Read ``.copier-answers.yml``; a missing or invalid file is an InputFileError."""
    import yaml

    path = project / ANSWERS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(
            f"no {ANSWERS_FILE}: not made by `svcgen new` or `svcgen adopt`",
            where=project,
            fix="run `svcgen adopt` on it first",
        ) from None
    except OSError as exc:
        raise InputFileError(f"cannot read it: {exc.strerror}", where=path) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problem, where = invalid_yaml(path, exc)
        raise InputFileError(problem, where=where) from exc
    if not isinstance(data, dict):
        raise InputFileError("must be a mapping of answers", where=path)
    src, commit = data.get("_src_path"), data.get("_commit")
    return Answers(
        path=path,
        src_path=str(src) if src else None,
        commit=str(commit) if commit else None,
        data=data,
    )


_SRC_LINE = re.compile(r"^_src_path:.*$", re.MULTILINE)


def pin_stable_source(project: Path, name: str) -> None:
    """Record ``svcgen:<name>`` as ``_src_path`` (instead of this machine's bundle path)."""
    path = project / ANSWERS_FILE
    text = path.read_text(encoding="utf-8")
    new, count = _SRC_LINE.subn(f"_src_path: {stable_source(name)}", text, count=1)
    if count != 1:
        raise TemplateError("the template's answers file has no _src_path", where=path)
    if read_answers_text(new).get("_src_path") != stable_source(name):
        raise TemplateError("could not record the template source", where=path)
    fd, tmp = tempfile.mkstemp(prefix=".copier-answers.", dir=project)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(new)
    os.chmod(tmp, path.stat().st_mode & 0o777)
    os.replace(tmp, path)


def read_answers_text(text: str) -> dict[str, Any]:
    import yaml

    data = yaml.safe_load(text)
    return data if isinstance(data, dict) else {}


def newest_tag(src: str) -> str | None:
    """The newest non-prerelease version tag of a template source."""
    return vcs.newest_version_tag(vcs.tags(src))


def is_versioned(src: str) -> bool:
    """Whether copier can update from ``src`` (a git repo root, a bundle or a URL)."""
    path = Path(src).expanduser()
    if not path.exists():
        return True  # a URL: let git tell
    if path.is_file():
        return path.suffix == ".bundle"
    if (path / ".git").exists():
        return True
    return (path / "HEAD").is_file() and (path / "objects").is_dir()  # a bare repository


def export_template(dest: Path, name: str | None = None) -> list[str]:
    """Write the bundled template's history to ``dest`` as a plain git repository.

    ``dest`` must not exist or be an empty directory; the repository is built
    next to it and moved into place, so a failure leaves nothing behind.
    Returns the version tags, oldest first.
    """
    import shutil

    from packaging.version import InvalidVersion, Version

    from svcgen.errors import DestinationError

    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise DestinationError(
            "destination exists and is not empty", where=dest, fix="choose a new directory"
        )
    bundle = bundled_source(name)
    parent = dest.resolve().parent
    if not parent.is_dir():
        raise DestinationError("parent directory does not exist", where=dest)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=parent))
    try:
        repo = tmp / "repo"
        vcs.git("clone", "--quiet", "--", str(bundle), str(repo))
        vcs.git("remote", "remove", "origin", cwd=repo)
        tags = vcs.git("tag", "--list", cwd=repo).split()
        if dest.exists():
            dest.rmdir()
        os.replace(repo, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def order(tag: str) -> tuple[int, object]:
        try:
            return 0, Version(tag)
        except InvalidVersion:
            return 1, tag

    return sorted(tags, key=order)
