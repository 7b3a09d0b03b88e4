"""``svcgen check [PATH...]``: is each service at its template's newest version?"""

from __future__ import annotations

import typer

from svcgen import console
from svcgen.commands import boundary, options
from svcgen.fleet import jobs_value

HELP = """Report each service's template version against the newest one.

Reads .copier-answers.yml of each PATH (default: the current directory) and
of each service of the --fleet file, and compares its version with the
newest version tag of its template. A service whose tracked files hold
svcgen's conflict markers is reported as `unresolved conflicts`, naming the
files. Nothing is written. Use it as a CI drift gate: it fails when a
service is behind.

Examples:

  svcgen check

  svcgen check --fleet fleet.yaml --json

  svcgen check --fleet fleet.yaml --jobs 1

Exit codes: 0 every service is up to date; 1 any service is behind or has
unresolved conflicts; 2 a service could not be checked (no answers file,
unreadable template), records a template version newer than this svcgen has
(upgrade svcgen), or bad input.
"""


@boundary
def command(
    paths: options.ServicePaths = None,
    fleet: options.Fleet = None,
    jobs: options.Jobs = None,
    json_out: options.Json = False,
) -> None:
    from svcgen import report
    from svcgen.commands.targets import collect_targets
    from svcgen.updating.check import check_all, exit_code

    n_jobs = jobs_value(jobs)
    targets = collect_targets(paths or [], fleet)
    with console.progress(total=len(targets), enabled=len(targets) > 1) as advance:
        results = check_all(targets, jobs=n_jobs, on_done=lambda r: advance(r.name))
    code = exit_code(results)
    items = report.check_items(results)
    rows = [
        (i.name, report.label(i), i.from_version or "-", i.to_version or "-", i.message)
        for i in items
    ]
    console.report(
        report.build("check", items),
        json_out=json_out,
        title="svcgen check",
        columns=("service", "status", "current", "newest", "details"),
        data=rows,
        noun="service",
    )
    if json_out:
        raise typer.Exit(code)
    for r in results:
        if r.status == "ahead":
            console.error(r.message)
    if any(r.status == "behind" for r in results):
        console.info("run `svcgen update` on the services that are behind")
    raise typer.Exit(code)
