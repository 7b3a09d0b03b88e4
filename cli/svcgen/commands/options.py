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
Jobs = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        metavar="N",
        help="Services or files worked on in parallel (default: the number of CPUs; 1: serial).",
        show_default=False,
    ),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")]


#: appended to the help of every command that takes --fleet (errors about a
#: fleet file say "see `svcgen patch-config --help` for the format")
FLEET_FORMAT = """\b
Fleet file (--fleet FILE), YAML; paths are relative to the file:
  services:
    - name: orders
      path: ../orders
    - name: payments
      path: /srv/repos/payments
      config_files: [deploy/config.yaml]   # optional, per service
  config_files:                            # default for every service
    - configs/config-production.yaml
"""
