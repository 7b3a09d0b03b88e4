"""Turn ``PATH...`` and ``--fleet FILE`` into the services a command works on.

A command run from any folder inside a service finds the service as git and
cargo do: it walks up from the folder to the nearest one holding
``.copier-answers.yml``, and stops at the root of the git repository (or of
the file system) without going past it.
"""

from __future__ import annotations

import os
from pathlib import Path

from svcgen.errors import UsageError
from svcgen.updating.update import Target

ANSWERS_FILE = ".copier-answers.yml"


def find_upwards(start: Path, marker: str) -> Path | None:
    """The nearest folder at or above ``start`` that holds ``marker``, not going
    above the git root (a folder with ``.git``); None when there is none."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / marker).exists():
            return folder
        if (folder / ".git").exists():
            return None
    return None


def service_root(path: Path, marker: str = ANSWERS_FILE) -> Path:
    """``path`` itself when it is a service, else the service it is inside,
    shown relative to the current folder; ``path`` unchanged when neither."""
    if not path.is_dir() or (path / marker).exists():
        return path
    found = find_upwards(path, marker)
    if found is None:
        return path
    rel = os.path.relpath(found)
    return Path(rel if not rel.startswith("../../..") else found)


def collect_targets(paths: list[Path], fleet: Path | None) -> list[Target]:
    targets: list[Target] = []
    if fleet is not None:
        from svcgen.fleet import load_fleet

        targets += [Target(name=s.name, path=s.path) for s in load_fleet(fleet).services]
    for path in paths:
        root = service_root(path)
        targets.append(Target(name=root.resolve().name or str(root), path=root))
    if not paths and fleet is None:
        root = service_root(Path("."))
        targets.append(Target(name=root.resolve().name, path=root))
    seen: set[Path] = set()
    unique = []
    for t in targets:
        key = t.path.resolve()
        if key in seen:
            raise UsageError(f"service {t.path} is given twice")
        seen.add(key)
        unique.append(t)
    return unique
