"""``svcgen adopt PATH``: bring an existing Go service under the template."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from svcgen import console
from svcgen.commands import boundary, options

HELP = """Bring an existing Go service (it has a go.mod) under the template.

Adds the template's files that the service lacks and never overwrites an
existing file: each file skipped because it exists is listed, so you know
which hardening pieces to merge by hand. Writes .copier-answers.yml, so that
`svcgen update` works from then on. module_path is read from go.mod;
service_name defaults to the directory name. The git tree must be clean.
The template's tasks are never run.

Examples:

  svcgen adopt ../legacy-orders --defaults --dry-run

  svcgen adopt ../legacy-orders --defaults --data http_port=8080

Exit codes: 0 adopted (or, with --dry-run, would adopt); 2 bad input (no
go.mod, dirty tree, already adopted, unknown --data key), nothing written.
"""


@boundary
def command(
    path: Annotated[
        Path | None,
        typer.Argument(
            metavar="PATH",
            help="The service (default: the one holding the current folder's go.mod).",
            show_default=False,
        ),
    ] = None,
    data: options.Data = None,
    defaults: options.Defaults = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be added and skipped; write nothing.")
    ] = False,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            metavar="SRC",
            help="A versioned template (git repository, .bundle or URL). "
            "Default: the bundled go-service.",
        ),
    ] = None,
    json_out: options.Json = False,
) -> None:
    from svcgen import report
    from svcgen.commands.targets import service_root
    from svcgen.render import parse_data
    from svcgen.updating.adopt import AdoptOptions, adopt

    result = adopt(
        AdoptOptions(
            path=(path := service_root(path or Path("."), "go.mod")),
            data=parse_data(data or []),
            defaults=defaults,
            dry_run=dry_run,
            template=template,
        )
    )
    items = report.adopt_items(result, dry_run=dry_run)
    console.report(
        report.build("adopt", items, dry_run=dry_run),
        json_out=json_out,
        title=f"svcgen adopt {path}{' --dry-run (nothing written)' if dry_run else ''}",
        columns=("file", "status", "details"),
        data=[(i.name, i.status, i.message) for i in items],
        noun="file",
    )
    if json_out:
        return
    console.info(f"template {result.version}, module {result.module_path}")
    if not dry_run:
        console.success(f"adopted {result.path}: review with `git status`, then commit")
