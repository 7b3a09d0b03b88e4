"""``svcgen patch-config``: byte-exact, all-or-nothing YAML config patches."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from svcgen.commands import boundary, campaign_options, options
from svcgen.errors import UsageError
from svcgen.fleet import jobs_value

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

  svcgen patch-config --set middleware.ratelimit.fail_closed=true --fleet fleet.yaml \
      --branch svcgen/p0-3 --push --merge-request --campaign p0-3.json

With --branch, each repository is patched in a temporary git worktree at --base
and the result committed on the branch (see docs/campaigns.md).

Exit codes: 0 applied or nothing to do; 1 with --check, changes are pending;
2 invalid input anywhere (nothing written); 3 internal error (nothing written).
"""


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
    jobs: options.Jobs = None,
    as_json: options.Json = False,
    branch: campaign_options.Branch = None,
    message: campaign_options.Message = None,
    base: campaign_options.Base = None,
    push: campaign_options.Push = False,
    remote: campaign_options.Remote = "origin",
    merge_request: campaign_options.MergeRequest = False,
    campaign: campaign_options.Campaign = None,
    only_failed: campaign_options.OnlyFailed = False,
    provider: campaign_options.ProviderName = None,
) -> int:
    from svcgen.commands import patch_inplace

    ops = patch_inplace.operations(sets, unsets, patch_file)
    patch_inplace.need_targets(targets, fleet)
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
    )
    if c is None:
        return patch_inplace.run_local(
            ops,
            targets,
            fleet,
            check=check,
            dry_run=dry_run,
            only_existing=only_existing,
            strict_paths=strict_paths,
            jobs=jobs,
            as_json=as_json,
        )
    # a campaign: see docs/campaigns.md
    if check:
        raise UsageError("--check and --branch cannot be used together")
    return campaign_options.run_patch(
        targets or [],
        fleet,
        ops,
        c,
        only_existing=only_existing,
        dry_run=dry_run,
        jobs=jobs_value(jobs),
        json_out=as_json,
    )
