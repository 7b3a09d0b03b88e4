"""Per-service ownership: ``.svcgen.yml`` declares files the owner keeps.

Format (a YAML mapping; other top-level keys are kept as they are)::

    # .svcgen.yml, at the service root
    keep:
      - internal/api/routes.go      # one file
      - deploy/k8s/*.yaml           # a glob
      - docs/                       # a whole directory

Each entry is a glob relative to the service root, matched with gitignore
rules (an entry without ``/`` matches at any depth; a trailing ``/`` matches a
directory's contents). ``svcgen update`` never changes a kept file and never
reports a conflict on it. ``svcgen keep PATH...`` and ``svcgen adopt`` add
entries.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from svcgen.errors import InputFileError, UsageError, invalid_yaml

OWNERSHIP_FILE = ".svcgen.yml"


def _load(path: Path) -> tuple[object, list[str]]:
    """(parsed document, keep globs) of an ownership file; (None, []) when absent."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, []
    except OSError as exc:
        raise InputFileError(f"cannot read it: {exc.strerror}", where=path) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problem, where = invalid_yaml(path, exc)
        raise InputFileError(problem, where=where) from exc
    if data is None:
        return None, []
    if not isinstance(data, dict):
        raise InputFileError(
            "must be a mapping with a 'keep' list", where=path, fix="write keep: [glob, ...]"
        )
    keep = data.get("keep", [])
    if keep is None:
        keep = []
    if not isinstance(keep, list) or not all(isinstance(k, str) and k.strip() for k in keep):
        raise InputFileError(
            "'keep' must be a list of glob strings",
            where=path,
            fix="write keep: [internal/api/routes.go, deploy/*.yaml]",
        )
    return data, [str(k) for k in keep]


def keep_globs(service: Path) -> list[str]:
    """The ``keep`` globs of a service (empty when it has no ``.svcgen.yml``)."""
    return _load(service / OWNERSHIP_FILE)[1]


def keep_matcher(service: Path) -> Callable[[str], bool]:
    """A predicate on service-relative POSIX paths: True for files the owner keeps."""
    globs = keep_globs(service)
    if not globs:
        return lambda _rel: False
    from pathspec import PathSpec

    spec = PathSpec.from_lines(_pattern_style(), globs)
    return lambda rel: bool(spec.match_file(rel))


def _pattern_style() -> str:
    from pathspec import __version__ as version

    return "gitignore" if int(version.split(".")[0]) >= 1 else "gitwildmatch"


def service_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` holding ``.copier-answers.yml``."""
    here = start.resolve()
    if not here.is_dir():
        here = here.parent
    for candidate in (here, *here.parents):
        if (candidate / ".copier-answers.yml").is_file():
            return candidate
    raise UsageError(
        "not inside a service (no .copier-answers.yml here or above)",
        where=start,
        fix="run it inside a service made by `svcgen new` or `svcgen adopt`",
    )


def add_keep(service: Path, entries: Iterable[str]) -> list[str]:
    """Add ``entries`` (service-relative globs) to ``service/.svcgen.yml``.

    Returns the entries that were new. Writes atomically (temp file, then
    ``os.replace``); an existing file keeps its other keys and its entries'
    order. Used by ``svcgen keep`` and ``svcgen adopt``.
    """
    path = service / OWNERSHIP_FILE
    data, existing = _load(path)
    added = [e for e in dict.fromkeys(_normalize(e) for e in entries) if e not in existing]
    if not added:
        return []
    import yaml

    doc: dict[str, object] = dict(data) if isinstance(data, dict) else {}
    doc["keep"] = [*existing, *added]
    text = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, allow_unicode=True)
    _write_atomic(path, text)
    return added


def _normalize(entry: str) -> str:
    rel = entry.strip().replace(os.sep, "/")
    while rel.startswith("./"):
        rel = rel[2:]
    if not rel or rel.startswith("/") or rel == ".." or rel.startswith("../"):
        raise UsageError(
            f"keep entry {entry!r} is not inside the service", fix="give a path inside it"
        )
    return rel


def relative_entries(service: Path, paths: Sequence[Path]) -> list[str]:
    """Service-relative POSIX paths for files or directories given on the command line."""
    out = []
    root = service.resolve()
    for p in paths:
        full = p.resolve()
        try:
            rel = full.relative_to(root).as_posix()
        except ValueError:
            raise UsageError(f"{p} is not inside the service {service}") from None
        if rel == ".":
            raise UsageError(f"{p} is the service itself", fix="name files or directories in it")
        out.append(rel + "/" if full.is_dir() else rel)
    return out


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".svcgen.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
