"""Options that several commands share, declared once so that their names,
metavars and help read the same everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ServicePaths = Annotated[
    list[Path] | None,
    typer.Argument(
        metavar="PATH",
        help="Service directories (default: the current directory).",
        show_default=False,
    ),
]
Fleet = Annotated[
    Path | None,
    typer.Option("--fleet", metavar="FILE", help="Fleet file listing the services (YAML)."),
]
Json = Annotated[
    bool, typer.Option("--json", help="Print a machine-readable report on stdout instead.")
]
Data = Annotated[
    list[str] | None,
    typer.Option("--data", metavar="KEY=VALUE", help="Answer a template question (repeatable)."),
]
Defaults = Annotated[
    bool, typer.Option("--defaults", help="Ask nothing: use the default of every question.")
]
