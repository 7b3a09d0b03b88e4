"""``svcgen patch-config`` in place (no ``--branch``), without Typer.

Typer and click cost about 0.1 s to import, which is half of a typical
18-file run. So :mod:`svcgen.main` reads the plain forms of a patch-config
command line itself (:func:`parse`) and runs :func:`execute` through the same
boundary as every command. Anything else (``--help``, a campaign flag, a
short or abbreviated option, ``--``, a value that looks like an option, or
any mistake) is left to Typer, which then parses the whole command line and
calls :func:`execute` with the same values. ``tests/patching/test_fast_path.py``
checks that both parsers give the same values for every command line the
fast one accepts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from svcgen import console
from svcgen.errors import UsageError
from svcgen.fleet import jobs_value

#: flags without a value, and the parameter each sets
FLAGS = {
    "--check": "check",
    "--dry-run": "dry_run",
    "--only-existing": "only_existing",
    "--strict-paths": "strict_paths",
    "--json": "as_json",
}
#: options that take one value: parameter, and whether it repeats
VALUED = {
    "--set": ("sets", True),
    "--unset": ("unsets", True),
    "--patch-file": ("patch_file", False),
    "--fleet": ("fleet", False),
    "--jobs": ("jobs", False),
}


def defaults() -> dict[str, Any]:
    """The values :func:`execute` gets for a command line without options."""
    return {
        "targets": None,
        "sets": None,
        "unsets": None,
        "patch_file": None,
        "fleet": None,
        "check": False,
        "dry_run": False,
        "only_existing": False,
        "strict_paths": False,
        "jobs": None,
        "as_json": False,
    }


def parse(args: list[str]) -> dict[str, Any] | None:
    """The keyword arguments of :func:`execute` for ``args`` (what follows
    ``patch-config``), or None when ``args`` is not in the plain form this
    reads (Typer then parses it)."""
    kwargs = defaults()
    targets: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("-"):
            targets.append(arg)
            continue
        if arg in FLAGS:
            kwargs[FLAGS[arg]] = True
            continue
        name, eq, value = arg.partition("=")
        if name not in VALUED:
            return None
        if not eq:
            if i == len(args):
                return None
            value = args[i]
            i += 1
        if value.startswith("-"):
            return None
        param, repeats = VALUED[name]
        if repeats:
            kwargs[param] = [*(kwargs[param] or []), value]
        elif param == "jobs":
            if not value.isascii() or not value.isdigit():
                return None
            kwargs[param] = int(value)
        else:
            if not value:
                return None
            kwargs[param] = Path(value)
    kwargs["targets"] = targets or None
    return kwargs


def operations(
    sets: list[str] | None, unsets: list[str] | None, patch_file: Path | None
) -> list[Any]:
    """The operations a command line asks for (a UsageError if none)."""
    from svcgen.patching.ops import from_cli, load_patch_file

    ops = load_patch_file(patch_file) if patch_file is not None else []
    ops += from_cli(sets or [], unsets or [])
    if not ops:
        raise UsageError("nothing to do", fix="give --set, --unset or --patch-file")
    return ops


def need_targets(targets: list[str] | None, fleet: Path | None) -> None:
    if not targets and fleet is None:
        raise UsageError(
            "no files to patch", fix="give TARGET files, directories or globs, or --fleet"
        )


def execute(
    targets: list[str] | None,
    sets: list[str] | None,
    unsets: list[str] | None,
    patch_file: Path | None,
    fleet: Path | None,
    **options: Any,
) -> int:
    """Patch the files in place, all or none; print the report. Returns the
    exit code. ``options``: the keyword arguments of :func:`run_local`."""
    ops = operations(sets, unsets, patch_file)
    need_targets(targets, fleet)
    return run_local(ops, targets, fleet, **options)


def run_local(
    ops: list[Any],
    targets: list[str] | None,
    fleet: Path | None,
    *,
    check: bool,
    dry_run: bool,
    only_existing: bool,
    strict_paths: bool,
    jobs: int | None,
    as_json: bool,
) -> int:
    """Apply ``ops`` to the files of ``targets`` and ``fleet``, in place."""
    from svcgen.patching import results
    from svcgen.patching.runner import Options, expand_targets, run

    files = expand_targets(targets or [], fleet)
    opts = Options(
        only_existing=only_existing,
        check=check,
        dry_run=dry_run,
        want_diff=dry_run,
        jobs=jobs_value(jobs),
        strict_paths=strict_paths,
    )
    report = run(files, ops, opts)
    doc = results.to_json(report, check=check, dry_run=dry_run)
    if not as_json:
        for r in report.results:
            if r.diff:
                console.diff(r.diff)
    console.report(
        doc,
        json_out=as_json,
        title="patch-config",
        columns=("file", "status", "detail"),
        data=[(i["path"], i["status"], i["message"]) for i in doc["items"]],
        noun="file",
    )
    if results.created_note(report) and report.exit_code < 2:
        console.warning(results.created_note(report))
    if as_json:
        return report.exit_code
    if report.write_error:
        console.error(report.write_error)
    elif report.exit_code >= 2:
        errors = sum(r.status == "error" for r in report.results)
        console.error(f"{errors} of {len(report.results)} files are invalid; no file was written")
    elif check and report.exit_code == 1:
        pending = sum(r.status == "changed" for r in report.results)
        console.info(f"{pending} files need change (changes pending; --check wrote nothing)")
    return report.exit_code
