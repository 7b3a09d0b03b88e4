"""``svcgen patch-config``: byte-exact, all-or-nothing YAML config patches."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from svcgen import console
from svcgen.commands import boundary, options
from svcgen.errors import UsageError

HELP = """Patch YAML config files in place, changing only the patched lines.

PATH is dotted (middleware.ratelimit.fail_closed), with quotes for keys that
contain dots or slashes (annotations."app.kubernetes.io/name") and [N] for list
indices; a PATH starting with / is an RFC 6901 JSON Pointer. VALUE is a YAML 1.2
scalar or flow value: true is a boolean, '"true"' a string, [a, b] a list.

TARGET is a file, a directory (its configs/*.yaml) or a glob (** included).
--fleet FILE reads the services and their config files from a fleet file.
Every file is patched and verified in memory first; if any file is invalid,
no file is written.

Examples:

  svcgen patch-config --set middleware.ratelimit.fail_closed=true --fleet fleet.yaml

  svcgen patch-config --check --patch-file p0-3.yaml 'services/*/configs/*.yaml'

Exit codes: 0 applied or nothing to do; 1 with --check, changes are pending;
2 invalid input anywhere (nothing written); 3 internal error (nothing written).
"""


#: above this many files the table is laid out by hand (rich's layout is ~1 ms a row)
LONG_TABLE = 200


def _row(r: Any) -> tuple[str, str, str]:
    return (r.path, r.status, r.detail)


@boundary
def command(
    targets: Annotated[
        list[str] | None,
        typer.Argument(metavar="TARGET", help="Files, directories or globs.", show_default=False),
    ] = None,
    sets: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="PATH=VALUE", help="Set a value (repeatable)."),
    ] = None,
    unsets: Annotated[
        list[str] | None, typer.Option("--unset", metavar="PATH", help="Remove a key (repeatable).")
    ] = None,
    patch_file: Annotated[
        Path | None,
        typer.Option(
            "--patch-file",
            metavar="FILE",
            help="YAML list of set/unset/merge/test operations, or an RFC 6902 JSON Patch.",
        ),
    ] = None,
    fleet: options.Fleet = None,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if changes are pending.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print a unified diff; write nothing.")
    ] = False,
    only_existing: Annotated[
        bool,
        typer.Option(
            "--only-existing", help="Never create keys; files without the path are skipped."
        ),
    ] = False,
    strict_paths: Annotated[
        bool,
        typer.Option(
            "--strict-paths",
            help="Only the leaf key may be new, in a mapping that exists (catches typos).",
        ),
    ] = False,
    jobs: Annotated[
        int,
        typer.Option("--jobs", "-j", metavar="N", help="Worker processes (0: one per CPU).", min=0),
    ] = 0,
    as_json: options.Json = False,
) -> None:
    from svcgen.patching import results
    from svcgen.patching.ops import from_cli, load_patch_file
    from svcgen.patching.runner import Options, expand_targets, run

    if check and dry_run:
        raise UsageError("--check and --dry-run cannot be used together")
    ops = load_patch_file(patch_file) if patch_file is not None else []
    ops += from_cli(sets or [], unsets or [])
    if not ops:
        raise UsageError("nothing to do", fix="give --set, --unset or --patch-file")
    if not targets and fleet is None:
        raise UsageError(
            "no files to patch", fix="give TARGET files, directories or globs, or --fleet"
        )
    files = expand_targets(targets or [], fleet)
    opts = Options(
        only_existing=only_existing,
        check=check,
        dry_run=dry_run,
        want_diff=dry_run,
        jobs=jobs,
        strict_paths=strict_paths,
    )
    report = run(files, ops, opts)
    if as_json:
        console.print_json(results.to_json(report, check=check, dry_run=dry_run))
    else:
        for r in report.results:
            if r.diff:
                console.diff(r.diff)
        rows = [_row(r) for r in report.results]
        show = console.table if len(rows) <= LONG_TABLE else console.long_table
        show("patch-config", ("File", "Status", "Detail"), rows)
    if results.created_note(report) and report.exit_code < 2:
        console.warning(results.created_note(report))
    if report.write_error:
        console.error(report.write_error)
    elif report.exit_code >= 2:
        errors = sum(r.status == "error" for r in report.results)
        console.error(f"{errors} of {len(report.results)} files are invalid; no file was written")
    elif check and report.exit_code == 1:
        pending = sum(r.status == "changed" for r in report.results)
        console.info(f"{pending} files have pending changes (--check wrote nothing)")
    if report.exit_code:
        raise typer.Exit(report.exit_code)
