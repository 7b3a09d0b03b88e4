"""Turn ``PATH...`` and ``--fleet FILE`` into the services a command works on."""

from __future__ import annotations

from pathlib import Path

from svcgen.errors import UsageError
from svcgen.updating.update import Target


def collect_targets(paths: list[Path], fleet: Path | None) -> list[Target]:
    targets: list[Target] = []
    if fleet is not None:
        from svcgen.fleet import load_fleet

        targets += [Target(name=s.name, path=s.path) for s in load_fleet(fleet).services]
    for path in paths:
        targets.append(Target(name=path.resolve().name or str(path), path=path))
    if not paths and fleet is None:
        targets.append(Target(name=Path.cwd().name, path=Path(".")))
    seen: set[Path] = set()
    unique = []
    for t in targets:
        key = t.path.resolve()
        if key in seen:
            raise UsageError(f"service {t.path} is given twice")
        seen.add(key)
        unique.append(t)
    return unique
