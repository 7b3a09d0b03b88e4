"""``svcgen keep PATH...``: declare files the service owner keeps (``.svcgen.yml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from svcgen import console
from svcgen.commands import boundary

HELP = """Declare files as the service owner's: `svcgen update` never changes them.

Adds each PATH (a file, a directory, or a glob, relative to the current
directory) to the `keep:` list of .svcgen.yml at the root of the service that
holds it (the directory with .copier-answers.yml), creating the file when
needed. Commit .svcgen.yml with the service. Update never changes a kept file
and never reports a conflict on it.

Examples:

  svcgen keep internal/api/routes.go

  svcgen keep deploy/k8s/ 'configs/*.yaml'

Exit codes: 0 done (also when every entry was already there); 2 bad input
(a PATH outside a service), nothing written.
"""


@boundary
def command(
    paths: Annotated[
        list[str],
        typer.Argument(metavar="PATH...", help="Files, directories or globs to keep."),
    ],
) -> None:
    from svcgen.errors import UsageError
    from svcgen.ownership import OWNERSHIP_FILE, add_keep, relative_entries, service_root

    by_service: dict[Path, list[str]] = {}
    for raw in paths:
        given = Path(raw)
        is_glob = any(ch in raw for ch in "*?[")
        anchor = given.parent if is_glob else given
        if not is_glob and not given.exists():
            raise UsageError(f"{raw}: no such file or directory", fix="give an existing path")
        root = service_root(anchor if anchor.exists() else Path.cwd())
        if is_glob:
            base = relative_entries(root, [anchor])[0] if anchor.resolve() != root else ""
            entry = (base.rstrip("/") + "/" if base else "") + given.name
        else:
            entry = relative_entries(root, [given])[0]
        by_service.setdefault(root, []).append(entry)
    for root, entries in by_service.items():
        added = add_keep(root, entries)
        for entry in entries:
            state = "added" if entry in added else "already kept"
            console.plain(f"{root / OWNERSHIP_FILE}: {entry} ({state})")
