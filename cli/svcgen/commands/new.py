"""``svcgen new NAME``: render a new service from a template."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from svcgen import console
from svcgen.commands import boundary, options

HELP = """Render a new Go service into DIR/NAME.

NAME must be a DNS-1123 label (lowercase letters, digits and '-', at most 63
characters, starting with a letter). Without --defaults, copier asks every
question of the template; --data answers one on the command line.

Examples:

  svcgen new orders --defaults

  svcgen new orders --dest ~/src --data http_port=8080 --data ci_provider=gitlab --trust

Exit codes: 0 rendered; 2 bad input (bad NAME, non-empty destination, unknown
--data key, unreadable template), nothing written.
"""


@boundary
def command(
    name: Annotated[
        str,
        typer.Argument(metavar="NAME", help="Service name (DNS-1123 label).", show_default=False),
    ],
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            metavar="SRC",
            help="Template: a folder, a .bundle file or a git URL (default: bundled go-service).",
        ),
    ] = None,
    vcs_ref: Annotated[
        str | None,
        typer.Option("--vcs-ref", metavar="REF", help="Git tag/commit of the template to use."),
    ] = None,
    dest: Annotated[
        Path, typer.Option("--dest", metavar="DIR", help="Parent directory of the new service.")
    ] = Path("."),
    data: options.Data = None,
    defaults: options.Defaults = False,
    trust: Annotated[
        bool,
        typer.Option("--trust", help="Run the template's tasks (e.g. git init, go mod download)."),
    ] = False,
) -> None:
    from svcgen.render import RenderOptions, new_service, parse_data

    opts = RenderOptions(
        name=name,
        dest=dest,
        template=template,
        vcs_ref=vcs_ref,
        data=parse_data(data or []),
        defaults=defaults,
        trust=trust,
    )
    result = new_service(opts)
    console.success(f"created {result.project_dir}")
    if result.skipped_tasks:
        console.warning(
            "skipped the template's tasks (they run only with --trust): "
            + "; ".join(result.skipped_tasks)
        )
        console.info(
            f"run them by hand in {result.project_dir}, or re-create the service with --trust"
        )
    console.info(f"next: cd {result.project_dir} && make test lint")
