"""``svcgen diff [PATH]``: the owner's changes against a fresh render (cruft's ``diff``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from svcgen import console
from svcgen.commands import boundary, options

HELP = """Show how a service differs from a fresh render of its template.

Renders the template version recorded in the service's .copier-answers.yml,
with the answers recorded there, into a scratch folder and prints a unified
diff from that render to the service: the owner's own changes. Files the
owner added show as new, template files the owner deleted as removed.
PATH (default: the current folder) may be any folder inside the service.
Nothing is written; the template's tasks are not run.

\b
Examples:
  svcgen diff
  svcgen diff ../orders --stat
  svcgen diff --json | jq '.items[].path'

\b
Exit codes:
  0  the diff was shown (with --exit-code: there is no difference)
  1  with --exit-code, the service differs from its template
  2  bad input (no .copier-answers.yml, unreadable template)
"""


@boundary
def command(
    path: Annotated[
        Path | None,
        typer.Argument(
            metavar="PATH",
            help="The service, or a folder inside it (default: the current folder).",
            show_default=False,
        ),
    ] = None,
    stat: Annotated[
        bool, typer.Option("--stat", help="List the changed files only, not the diff.")
    ] = False,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 1 when the service differs, like git diff.")
    ] = False,
    json_out: options.Json = False,
) -> None:
    from svcgen import report
    from svcgen.commands.targets import service_root
    from svcgen.render import diff_service

    root = service_root(path or Path("."))
    changes = diff_service(root)
    items = [
        report.Item(
            name=c.rel,
            path=str(root / c.rel),
            status=c.status,
            diff=c.diff,
            from_version=changes.version,
            to_version=None,
        )
        for c in changes.files
    ]
    doc = report.build("diff", items, with_diff=True)
    code = 1 if exit_code and items else 0
    if json_out:
        console.print_json(doc)
        raise typer.Exit(code)
    if stat:
        console.rows(
            f"svcgen diff {root} (against template {changes.version})",
            ("file", "status"),
            [(i.name, i.status) for i in items],
        )
    else:
        for item in items:
            console.diff(item.diff or "")
    if items:
        console.info(f"{console.summary_line('file', doc['summary'])} (against {changes.version})")
    else:
        console.info(f"{root}: no difference from template {changes.version}")
    raise typer.Exit(code)
