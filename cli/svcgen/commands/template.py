"""``svcgen template export DEST``: the bundled template as a plain git repository."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from svcgen import console
from svcgen.commands import boundary

HELP = """Work with the template bundled in svcgen."""

EXPORT_HELP = """Write the bundled template, with its full version history, as a git repository.

DEST must not exist or be empty. Every released version is a tag (v0.1.0,
...), so a team can push DEST to its own git host and point services at it
with `svcgen update --src URL`; raw `copier update` and Renovate's copier
manager then work on those services too.

Examples:

  svcgen template export ./go-service-template

  cd go-service-template && git remote add origin git@gitlab.com:platform/go-service.git
  git push origin main --tags

Exit codes: 0 written; 2 DEST is not empty or cannot be written (nothing
written).
"""

app = typer.Typer(
    name="template",
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@app.command("export", help=EXPORT_HELP)
@boundary
def export(
    dest: Annotated[Path, typer.Argument(metavar="DEST", help="Directory to create.")],
    name: Annotated[
        str | None,
        typer.Option("--template", metavar="NAME", help="Bundled template name."),
    ] = None,
) -> None:
    from svcgen.updating.source import export_template

    result = export_template(dest, name)
    console.plain(f"wrote {dest} ({len(result)} versions: {', '.join(result)})")
