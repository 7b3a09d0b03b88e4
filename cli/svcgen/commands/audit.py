"""``svcgen audit [PATH...]``: the production-readiness review, automated."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from svcgen import console
from svcgen.commands import boundary, options
from svcgen.fleet import jobs_value

HELP = """Audit Go services against the production-readiness review.

Runs type-checked Go analyzers (context propagation, JWT claims and parsing,
body limits, health caching, counters, goroutine leaks, recovery, logging,
error wrapping, server timeouts, tracing, breaker/pool metrics, request IDs)
and repository checks (production rate-limit config, .golangci.yml, CI
quality gates, k8s probes) on each PATH (a Go module root; default: the
current directory, walking up to go.mod) and each service of --fleet. Each
category starts at 10 and loses 3 / 1.5 / 0.5 per P0 / P1 / P2 finding;
docs/audit.md documents every check.

Suppress a finding with `//svcgen:audit-ignore ID reason` on or above its
line, or in .svcgen-audit.yml (ignore: [{id, path, reason}]).

Examples:

  svcgen audit

  svcgen audit ../orders --fail-under 9 --sarif audit.sarif

  svcgen audit --fleet fleet.yaml --jobs 4 --markdown review.md

Exit codes: 0 no service has a P0 finding and each scores at least
--fail-under; 1 a P0 finding or a score below the bar; 2 bad input (not a
Go module, unreadable fleet file, Go not installed).
"""


def _write(path: Path, text: str) -> None:
    path = path.expanduser()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


@boundary
def command(
    paths: options.ServicePaths = None,
    fleet: options.Fleet = None,
    json_out: options.Json = False,
    sarif: Annotated[
        Path | None, typer.Option("--sarif", metavar="FILE", help="Write SARIF 2.1.0 to FILE.")
    ] = None,
    markdown: Annotated[
        Path | None,
        typer.Option("--markdown", metavar="FILE", help="Write the review as Markdown to FILE."),
    ] = None,
    fail_under: Annotated[
        float,
        typer.Option(
            "--fail-under",
            metavar="SCORE",
            min=0,
            max=10,
            help="Fail when a service's overall score is below SCORE (0-10).",
        ),
    ] = 0.0,
    only: Annotated[
        str | None,
        typer.Option("--only", metavar="IDS", help="Run only these checks (comma-separated IDs)."),
    ] = None,
    jobs: options.Jobs = None,
    config_glob: Annotated[
        str,
        typer.Option(
            "--config", metavar="GLOB", help="Production config files for RL001 (module-relative)."
        ),
    ] = "configs/*prod*.yaml",
) -> None:
    import json

    from svcgen import report
    from svcgen.audit import engine, render
    from svcgen.errors import UsageError

    opts = engine.Options(
        only=engine.parse_only(only), config_glob=config_glob, fail_under=fail_under
    )
    for out in (sarif, markdown):
        if out is not None and not out.expanduser().resolve().parent.is_dir():
            raise UsageError("the directory of this output file does not exist", where=out)
    targets: list[tuple[str, Path]] = []
    for p in paths or ([] if fleet else [Path(".")]):
        root = engine.module_root(p)
        targets.append((root.name, p))
    if fleet is not None:
        from svcgen.fleet import load_fleet

        targets += [(s.name, s.path) for s in load_fleet(fleet).services]

    results = engine.audit_all(targets, opts, jobs=jobs_value(jobs))
    errors = any(r.error is not None for r in results)
    failing = any(not engine.passed(r, opts) for r in results)
    code = 2 if errors else (1 if failing else 0)

    if sarif is not None:
        _write(sarif, json.dumps(render.sarif(results), indent=2) + "\n")
    if markdown is not None:
        _write(markdown, render.markdown(results, fail_under))

    if json_out:
        items = []
        for r in results:
            status = "error" if r.error else ("pass" if engine.passed(r, opts) else "fail")
            items.append(
                report.Item(
                    name=r.name,
                    path=r.path,
                    status=status,
                    message=r.error or _summary(r),
                    extra={
                        "root": r.root,
                        "score": r.score,
                        "fail_under": fail_under,
                        "categories": [
                            {
                                "name": c.name,
                                "score": c.score,
                                "status": c.status,
                                "blocker": c.blocker,
                                "findings": c.findings,
                            }
                            for c in r.categories
                        ],
                        "findings": [f.to_json() for f in r.findings],
                        "suppressed": [f.to_json() for f in r.suppressed],
                        "notices": r.notices,
                    },
                )
            )
        console.print_json(report.build("audit", items))
        raise typer.Exit(code)

    for r in results:
        _print_service(r, engine.passed(r, opts))
    if len(results) > 1:
        console.long_table("svcgen audit: fleet", render.FLEET_COLUMNS, render.fleet_rows(results))
    raise typer.Exit(code)


def _summary(r: object) -> str:
    from svcgen.audit.model import ServiceResult

    assert isinstance(r, ServiceResult)
    counts = [sum(1 for f in r.findings if f.priority == p) for p in ("P0", "P1", "P2")]
    return (
        f"score {r.score:.1f}/10: {counts[0]} P0, {counts[1]} P1, {counts[2]} P2, "
        f"{len(r.suppressed)} suppressed"
    )


def _print_service(r: object, ok: bool) -> None:
    from svcgen.audit import render
    from svcgen.audit.model import ServiceResult

    assert isinstance(r, ServiceResult)
    for n in r.notices:
        console.warning(n)
    if r.error is not None:
        console.error(f"{r.name}: {r.error}")
        return
    console.table(
        f"svcgen audit: {r.name} ({r.root}): {r.score:.1f}/10, {'pass' if ok else 'fail'}",
        ("category", "score", "status", "blocker"),
        render.category_rows(r),
        status_col=2,
    )
    for prio in ("P0", "P1", "P2"):
        for f in (x for x in r.findings if x.priority == prio):
            console.plain(f"{prio} {f.id} {f.where}: {f.message}")
            if f.snippet:
                console.plain(f"    {f.snippet}")
            console.plain(f"    fix: {f.check.fix}")
    if not r.findings:
        console.plain("no findings")
    if r.suppressed:
        console.plain(f"{len(r.suppressed)} suppressed:")
        for f in r.suppressed:
            console.plain(f"  {f.id} {f.where}: {f.suppressed}")
