"""The ``svcgen`` command line. Start-up stays light: command modules import
copier, jinja2 and ruamel only inside the functions that need them."""

from __future__ import annotations

from typing import Annotated

import typer

from svcgen import __version__
from svcgen.commands import adopt, audit, check, new, patch_config, update

EXIT_CODES = (
    "Exit codes: 0 success; 1 the operation found problems (changes pending under "
    "--check, conflicts, services behind the template); 2 bad input or usage "
    "(nothing written); 3 internal error (a bug; nothing written)."
)

app = typer.Typer(
    name="svcgen",
    help="Scaffold hardened Go microservices and keep a fleet of them up to date.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

app.command("new", help=new.HELP, epilog=EXIT_CODES)(new.command)
app.command("update", help=update.HELP, epilog=EXIT_CODES)(update.command)
app.command("adopt", help=adopt.HELP, epilog=EXIT_CODES)(adopt.command)
app.command("check", help=check.HELP, epilog=EXIT_CODES)(check.command)
app.command("patch-config", help=patch_config.HELP, epilog=EXIT_CODES)(patch_config.command)
app.command("audit", help=audit.HELP, epilog=EXIT_CODES)(audit.command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"svcgen {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Scaffold hardened Go microservices and keep a fleet of them up to date."""


def main() -> None:
    app()
