"""``svcgen update [PATH...]``: roll the template's newer version into services."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from svcgen import console
from svcgen.commands import boundary, campaign_options, options
from svcgen.fleet import jobs_value

HELP = """Update services to a newer version of their template, keeping local edits.

Each PATH (default: the current directory) and each service of the --fleet
file must have been made by `svcgen new` or `svcgen adopt`. The update is a
3-way merge per file: the service's own changes are kept on top of the new
template version; where both changed the same lines the file gets conflict
markers (--conflict inline, the default) or a .rej file next to it
(--conflict rej). An edited file that the template renames gets the edit
carried to its new name; an edited file that the template deletes is kept
and reported as a conflict (deleted upstream). Owner-owned files
(_skip_if_exists) the owner modified and files listed under `keep:` in
.svcgen.yml are never changed. A service with uncommitted changes, or with
committed conflict markers, is refused and left untouched; the others go on.

--dry-run prints each service's patch (it applies with `git apply`); the
services are not written. --output DIR writes one SERVICE.patch per service.

Examples:

  svcgen update

  svcgen update --fleet fleet.yaml --jobs 4

  svcgen update ../orders --to v2.1.0 --dry-run --output patches/

  svcgen update --data ci_provider=both --data features=auth,worker

  svcgen update --fleet fleet.yaml --branch svcgen/update --push --merge-request

With --branch, each repository is updated in a temporary git worktree and the
result committed on the branch (see docs/campaigns.md); dirty checkouts are
fine there, as they are never touched.

Exit codes: 0 every service updated or was up to date; 1 any service has
conflicts (new or committed); 2 any service was refused (dirty) or errored,
records a template version newer than this svcgen has, or bad input.
"""


@boundary
def command(
    paths: options.ServicePaths = None,
    fleet: options.Fleet = None,
    to: Annotated[
        str | None,
        typer.Option("--to", metavar="REF", help="Template version to update to. Default: newest."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show each service's patch; write nothing.")
    ] = False,
    conflict: Annotated[
        str,
        typer.Option(
            "--conflict",
            metavar="inline|rej",
            help="How to keep both sides of a conflict: markers in the file, or a .rej file.",
        ),
    ] = "inline",
    jobs: options.Jobs = None,
    data: options.Data = None,
    src: Annotated[
        str | None,
        typer.Option(
            "--src",
            metavar="URL",
            help="Read the template from URL and record it as the service's _src_path.",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", metavar="DIR", help="Write one SERVICE.patch per service here."),
    ] = None,
    json_out: options.Json = False,
    trust: Annotated[
        bool,
        typer.Option(
            "--trust", help="Run the template's tasks and migrations (once, in the service)."
        ),
    ] = False,
    branch: campaign_options.Branch = None,
    message: campaign_options.Message = None,
    base: campaign_options.Base = None,
    push: campaign_options.Push = False,
    remote: campaign_options.Remote = "origin",
    merge_request: campaign_options.MergeRequest = False,
    campaign: campaign_options.Campaign = None,
    only_failed: campaign_options.OnlyFailed = False,
    provider: campaign_options.ProviderName = None,
    allow_conflicts: campaign_options.AllowConflicts = False,
) -> None:
    from svcgen import report
    from svcgen.commands.targets import collect_targets
    from svcgen.errors import UsageError
    from svcgen.render import parse_data
    from svcgen.updating.update import UpdateOptions, exit_code, update_all, write_patches

    if conflict not in ("inline", "rej"):
        raise UsageError(f"--conflict {conflict}: must be inline or rej")
    n_jobs = jobs_value(jobs)
    if output is not None and output.exists() and not output.is_dir():
        raise UsageError(f"--output {output}: not a directory")
    targets = collect_targets(paths or [], fleet)
    c = campaign_options.flags(
        branch=branch,
        message=message,
        base=base,
        push=push,
        remote=remote,
        merge_request=merge_request,
        campaign=campaign,
        only_failed=only_failed,
        provider=provider,
        allow_conflicts=allow_conflicts,
    )
    if c is not None:  # a campaign: see docs/campaigns.md
        raise typer.Exit(
            campaign_options.run_update(
                targets,
                c,
                to=to,
                conflict=conflict,
                trust=trust,
                dry_run=dry_run,
                jobs=n_jobs,
                json_out=json_out,
            )
        )
    opts = UpdateOptions(
        to=to,
        dry_run=dry_run,
        conflict=conflict,  # type: ignore[arg-type]
        trust=trust,
        data=parse_data(data or []),
        src=src,
        want_patch=output is not None,
    )
    with console.progress(total=len(targets), enabled=len(targets) > 1, dry_run=dry_run) as advance:
        results = update_all(targets, opts, jobs=n_jobs, on_done=lambda r: advance(r.name))
    if output is not None:
        for written in write_patches(results, output):
            console.info(f"wrote {written}")
    code = exit_code(results)

    items = report.update_items(results, dry_run=dry_run)
    doc = report.build("update", items, dry_run=dry_run, with_diff=dry_run)
    if json_out:
        console.print_json(doc)
        raise typer.Exit(code)

    for r, item in zip(results, items, strict=True):
        if dry_run and r.diff:
            console.plain(f"# {r.name}: {report.label(item)}")
            console.diff(r.diff)
        if dry_run and r.not_applied_diff:
            # On stderr: stdout stays a patch that `git apply` takes as it is.
            console.info(f"# {r.name}: template changes not applied (owner-owned files):")
            console.info(r.not_applied_diff.rstrip("\n"))
        why = "not run in a dry run" if dry_run else "they run only with --trust"
        for line in r.tasks:
            if line.startswith("skipped: "):
                console.warning(f"{r.name}: {line} (template tasks and migrations: {why})")
    for r in results:
        if r.status == "ahead":
            console.error(r.message)
    rows = [
        (i.name, report.label(i), "\n".join(r.details)) for r, i in zip(results, items, strict=True)
    ]
    title = "svcgen update --dry-run (nothing written)" if dry_run else "svcgen update"
    console.report(
        doc,
        json_out=False,
        title=title,
        columns=("service", "status", "details"),
        data=rows,
        noun="service",
    )
    if any(r.status == "conflicts" for r in results) and not dry_run:
        console.info(
            "resolve the conflicts (search for '<<<<<<<' or read the .rej files), "
            "then commit; see docs/update.md"
        )
    raise typer.Exit(code)
