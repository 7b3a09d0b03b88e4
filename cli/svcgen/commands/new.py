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
question of the template; --data answers one on the command line and
--data-file answers them from a YAML file (--data wins). A multiselect
answer is comma-separated: --data features=ratelimit,auth, or
--data features= for none.

Nothing is half-written: on an error, Ctrl-C or SIGTERM the destination is
left as it was. --pretend lists the files that would be written and writes
nothing. --trust runs the template's tasks (git init, go mod download) and
then makes the first commit, so that `svcgen update` works at once.

\b
Examples:
  svcgen new orders --defaults
  svcgen new orders --defaults --data features=ratelimit,auth --pretend
  svcgen new orders --dest ~/src --data http_port=8080 --data ci_provider=gitlab --trust
  svcgen new orders --defaults --data-file answers.yaml

\b
Exit codes:
  0  rendered (or, with --pretend, would render)
  2  bad input (bad NAME, non-empty or unwritable --dest, unknown --data key
     or choice, invalid module_path, unreadable template); nothing written
  3  internal error (a bug; details in a log file); nothing written
  130  aborted (Ctrl-C, SIGTERM); nothing left behind
"""


def _interactive() -> bool:
    import sys

    try:
        return sys.stdin.isatty()
    except (ValueError, AttributeError):
        return False


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
    data_file: Annotated[
        Path | None,
        typer.Option(
            "--data-file",
            metavar="FILE",
            help="Answers as a YAML mapping (question: answer); --data overrides it.",
        ),
    ] = None,
    defaults: options.Defaults = False,
    trust: Annotated[
        bool,
        typer.Option(
            "--trust",
            help="Run the template's tasks (git init, go mod download), then commit the render.",
        ),
    ] = False,
    pretend: Annotated[
        bool, typer.Option("--pretend", help="List the files that would be written; write nothing.")
    ] = False,
    json_out: options.Json = False,
) -> None:
    from svcgen import report
    from svcgen.render import RenderOptions, load_data_file, new_service, parse_data

    if not defaults and not _interactive():
        from svcgen.errors import UsageError

        raise UsageError(
            "no terminal to ask the template's questions on",
            fix="pass --defaults, with --data KEY=VALUE or --data-file FILE for the answers",
        )
    answers = load_data_file(data_file) if data_file is not None else {}
    answers.update(parse_data(data or []))
    opts = RenderOptions(
        name=name,
        dest=dest,
        template=template,
        vcs_ref=vcs_ref,
        data=answers,
        defaults=defaults,
        trust=trust,
        pretend=pretend,
    )
    result = new_service(opts)
    shown = str(dest / name)
    for note in result.warnings:
        console.warning(note)
    item = report.Item(
        name=name,
        path=shown,
        status="would create" if pretend else "created",
        to_version=result.version,
        message=f"{len(result.files)} files" if pretend else "",
        extra={
            "files": result.files,
            "skipped_tasks": result.skipped_tasks,
            "commit": result.commit,
        },
    )
    if json_out:
        console.print_json(report.build("new", [item], dry_run=pretend))
        return
    if pretend:
        for rel in result.files:
            console.out(f"{shown}/{rel}")
        console.info(f"would create {shown}: {len(result.files)} files (--pretend wrote nothing)")
        return
    console.success(f"created {result.project_dir}")
    if result.commit:
        console.info(f"committed the render as {result.commit} (`svcgen update` works now)")
    if result.skipped_tasks:
        console.warning(
            "skipped the template's tasks (they run only with --trust): "
            + "; ".join(result.skipped_tasks)
        )
        console.info(
            f"run them by hand in {result.project_dir}, or re-create the service with --trust"
        )
    console.info(f"next: cd {result.project_dir} && make test lint")
