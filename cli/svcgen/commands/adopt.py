"""``svcgen adopt PATH``: bake the template's hardening into an existing Go service."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from svcgen import console
from svcgen.commands import boundary, options

if TYPE_CHECKING:
    from svcgen.report import Item
    from svcgen.updating.adopt import AdoptResult

HELP = """Bring an existing Go service (it has a go.mod) under the template, in layers.

Never adds the service skeleton (cmd/<name>, internal/server, internal/config,
internal/api, configs/) and never overwrites a file or writes into an
existing Go package directory. The layers (--layers, default all):

  platform  internal/platform/<pkg>, the hardening library; go.mod gains its
            modules (never a lower version); go build/vet must pass after
  lint      .golangci.yml with the template's rules; legacy issues sit behind
            issues.new-from-rev (the commit adopt started from)
  ci        svcgen.mk (svcgen-test, svcgen-lint, svcgen-bench-compare) and one
            `include svcgen.mk` line in the Makefile; the gates in the
            repository's GitLab CI (an include: entry) or a GitHub workflow,
            scoped to the service's folder in a monorepo
  deploy    deploy/svcgen/: alerts, dashboard, ServiceMonitor, example probes

--wire also puts the platform chain into the service's http.Server{Handler:
...} or gin.New()/gin.Default() engine, and reports the shapes it cannot
wire. The layers go into .copier-answers.yml; the files adopt skipped or
edited become `keep` entries of .svcgen.yml, which `svcgen update` never
touches. module_path is read from go.mod; service_name defaults to the
directory name. The git tree must be clean. The template's tasks never run.

Examples:

  svcgen adopt ../orders --defaults --dry-run

  svcgen adopt ../orders --defaults --wire

  svcgen adopt services/billing --defaults --layers platform,lint --ci gitlab

Exit codes: 0 adopted (or, with --dry-run, would adopt); 2 bad input (no
go.mod, dirty tree, already adopted, an existing platform directory, unknown
--data key, a build that fails after adopting), nothing left written.
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
    layers: Annotated[
        str,
        typer.Option(
            "--layers", metavar="LIST", help="Comma-separated layers: platform,lint,ci,deploy."
        ),
    ] = "platform,lint,ci,deploy",
    ci: Annotated[
        str,
        typer.Option(
            "--ci",
            metavar="auto|gitlab|github",
            help="CI provider of the gates (auto: what the repository uses).",
        ),
    ] = "auto",
    data: options.Data = None,
    defaults: options.Defaults = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Show what would be added and the edits (diffs); write nothing."
        ),
    ] = False,
    wire: Annotated[
        bool,
        typer.Option("--wire", help="Also wire the platform chain into the service's server."),
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
    from svcgen.commands.targets import service_root
    from svcgen.render import parse_data
    from svcgen.updating.adopt import AdoptOptions, adopt, parse_layers

    path = service_root(path or Path("."), "go.mod")

    result = adopt(
        AdoptOptions(
            path=path,
            layers=parse_layers(layers),
            ci=ci,
            data=parse_data(data or []),
            defaults=defaults,
            dry_run=dry_run,
            wire=wire,
            template=template,
        )
    )
    if json_out:  # input errors: the boundary prints their report
        from svcgen import report

        console.print_json(report.build("adopt", [_item(result)], dry_run=dry_run, with_diff=True))
        return
    verb = "would add" if dry_run else "added"
    edited = "would edit" if dry_run else "edited"
    rows = (
        [(rel, verb) for rel in _grouped(result.added)]
        + [(e.path, f"{edited}: {e.summary}") for e in result.edits]
        + [(rel, "skipped (exists: the service's own)") for rel in result.skipped]
    )
    console.rows(
        f"svcgen adopt {path}{' --dry-run (nothing written)' if dry_run else ''}",
        ("file", "status"),
        rows,
    )
    if dry_run:
        for e in result.edits:
            if e.diff:
                console.diff(e.diff)
    console.info(
        f"layers {', '.join(result.layers) or '(none)'}; CI {result.ci or 'none'}; "
        f"{len(result.added)} file(s) {verb}, {len(result.edits)} edit(s), "
        f"{len(result.skipped)} skipped; template {result.version}, module {result.module_path}"
    )
    for line in result.lint_differences:
        console.warning(f"existing golangci-lint config: {line}")
    for line in result.unwired:
        console.warning(f"not wired: {line}")
    for step in result.next_steps:
        console.info(f"next: {step}")
    if not dry_run:
        console.success(f"adopted {result.path}")


def _grouped(files: list[str]) -> list[str]:
    """Files with each internal/platform/<pkg>/ package folded into one row."""
    out: list[str] = []
    counts: dict[str, int] = {}
    for rel in files:
        parts = rel.split("/")
        if rel.startswith("internal/platform/") and len(parts) > 3:
            key = "/".join(parts[:3]) + "/"
            if key not in counts:
                out.append(key)
            counts[key] = counts.get(key, 0) + 1
        else:
            out.append(rel)
    return [f"{r} ({counts[r]} files)" if r in counts else r for r in out]


def _item(result: AdoptResult) -> Item:
    from svcgen.report import Item

    return Item(
        name=result.service_name,
        path=result.path,
        status="would adopt" if result.dry_run else "adopted",
        message=f"layers {', '.join(result.layers) or '(none)'}",
        to_version=result.version,
        diff="".join(e.diff for e in result.edits),
        extra={
            "module_path": result.module_path,
            "layers": result.layers,
            "ci": result.ci,
            "added": result.added,
            "edited": [{"path": e.path, "summary": e.summary} for e in result.edits],
            "skipped": result.skipped,
            "keep": result.keep,
            "requirements": result.requirements,
            "lint_differences": result.lint_differences,
            "unwired": result.unwired,
            "next_steps": result.next_steps,
        },
    )
