"""The campaign options of ``svcgen update`` and ``svcgen patch-config``, declared
once, and the output of a campaign run (summary table or ``--json`` report).

A command adds the options to its signature, passes them to :func:`flags`,
and hands the run to :func:`run_update` or :func:`run_patch` when
``--branch`` was given. See docs/campaigns.md.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand

from svcgen import console
from svcgen.errors import UsageError

if TYPE_CHECKING:
    from svcgen.campaign.runner import Member, RepoResult
    from svcgen.updating.update import Target

PANEL = "Campaign (one branch, commit and merge request per repository)"

Branch = Annotated[
    str | None,
    typer.Option(
        "--branch",
        metavar="NAME",
        help="Make the change on branch NAME of each repository, in a temporary git "
        "worktree: the checkout, its branch and uncommitted work are never touched.",
        rich_help_panel=PANEL,
    ),
]
Message = Annotated[
    str | None,
    typer.Option(
        "--message",
        "-m",
        metavar="MSG",
        help="Commit message (default: generated from the change).",
        rich_help_panel=PANEL,
    ),
]
Base = Annotated[
    str | None,
    typer.Option(
        "--base",
        metavar="REF",
        help="Where the branch starts. Default: the remote's default branch, else HEAD.",
        rich_help_panel=PANEL,
    ),
]
Push = Annotated[
    bool,
    typer.Option(
        "--push",
        help="--push [REMOTE]: push the branch to REMOTE (default: origin), with "
        "--force-with-lease when it exists. Also --push=REMOTE.",
        rich_help_panel=PANEL,
    ),
]
# Carries --push's REMOTE (see Command); hidden, as --push REMOTE is the documented form.
Remote = Annotated[
    str,
    typer.Option("--remote", metavar="REMOTE", hidden=True, help="The remote to push to."),
]

_REMOTE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def push_remote(args: list[str]) -> list[str]:
    """Rewrite ``--push REMOTE`` and ``--push=REMOTE`` into ``--push --remote REMOTE``.

    Typer's parser has no options with an optional value, so :class:`Command`
    does this before parsing. The word after ``--push`` is its REMOTE when it is
    a remote name (letters, digits, ``._-``) and not an existing path: a service
    PATH or TARGET right after ``--push`` stays one.
    """
    out: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            out += args[i:]
            break
        if arg.startswith("--push="):
            out += ["--push", "--remote", arg.removeprefix("--push=")]
        elif (
            arg == "--push"
            and i + 1 < len(args)
            and _REMOTE_NAME.fullmatch(args[i + 1])
            and not os.path.exists(args[i + 1])
        ):
            out += ["--push", "--remote", args[i + 1]]
            i += 1
        else:
            out.append(arg)
        i += 1
    return out


class Command(TyperCommand):
    """The Typer command class of ``update`` and ``patch-config``: ``--push [REMOTE]``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, push_remote(list(args)))


MergeRequest = Annotated[
    bool,
    typer.Option(
        "--merge-request",
        help="Open a merge request (GitLab push options) or pull request (gh) "
        "for each pushed branch, once.",
        rich_help_panel=PANEL,
    ),
]
Campaign = Annotated[
    Path | None,
    typer.Option(
        "--campaign",
        metavar="FILE",
        help="Record each repository's result (status, branch, commit, MR, error) in FILE.",
        rich_help_panel=PANEL,
    ),
]
OnlyFailed = Annotated[
    bool,
    typer.Option(
        "--only-failed",
        help="With --campaign: run only the repositories whose last result was not a success.",
        rich_help_panel=PANEL,
    ),
]
ProviderName = Annotated[
    str | None,
    typer.Option(
        "--provider",
        metavar="gitlab|github",
        help="Who hosts the remotes. Default: detected from each remote's URL.",
        rich_help_panel=PANEL,
    ),
]
AllowConflicts = Annotated[
    bool,
    typer.Option(
        "--allow-conflicts",
        help="Commit (and push) conflicts with their markers; without it a repository "
        "with conflicts gets no commit.",
        rich_help_panel=PANEL,
    ),
]


@dataclass(frozen=True)
class Flags:
    branch: str
    message: str | None
    base: str | None
    push: bool
    remote: str
    merge_request: bool
    campaign: Path | None
    only_failed: bool
    provider: str | None
    allow_conflicts: bool


def flags(
    *,
    branch: str | None,
    message: str | None,
    base: str | None,
    push: bool,
    remote: str,
    merge_request: bool,
    campaign: Path | None,
    only_failed: bool,
    provider: str | None,
    allow_conflicts: bool = False,
) -> Flags | None:
    """The campaign flags, or None for an in-place run (a UsageError when campaign
    flags are given without --branch)."""
    if branch is None:
        given = [
            name
            for name, on in (
                ("-m/--message", message is not None),
                ("--base", base is not None),
                ("--push", push),
                ("--remote", remote != "origin"),
                ("--merge-request", merge_request),
                ("--campaign", campaign is not None),
                ("--only-failed", only_failed),
                ("--provider", provider is not None),
                ("--allow-conflicts", allow_conflicts),
            )
            if on
        ]
        if given:
            flag = "--push REMOTE" if given[0] == "--remote" else given[0]
            raise UsageError(f"{flag} needs --branch NAME", fix="add --branch NAME")
        return None
    if provider is not None and provider not in ("gitlab", "github"):
        raise UsageError(f"--provider {provider}: must be gitlab or github")
    return Flags(
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


def _options(command: str, f: Flags, dry_run: bool, jobs: int) -> Any:
    from svcgen.campaign.runner import Options

    return Options(
        command=command,
        branch=f.branch,
        message=f.message,
        base=f.base,
        push=f.push,
        remote=f.remote,
        merge_request=f.merge_request,
        provider=f.provider,  # type: ignore[arg-type]
        allow_conflicts=f.allow_conflicts,
        dry_run=dry_run,
        jobs=jobs,
        campaign=f.campaign,
        only_failed=f.only_failed,
    )


def run_update(
    targets: Sequence[Target],
    f: Flags,
    *,
    to: str | None,
    conflict: str,
    trust: bool,
    dry_run: bool,
    jobs: int,
    json_out: bool,
) -> int:
    """``svcgen update --branch``: the exit code."""
    from svcgen.campaign import runner
    from svcgen.campaign.appliers import update_applier

    members = [runner.Member(name=t.name, path=t.path) for t in targets]
    applier = update_applier(to, conflict, trust and not dry_run)
    return _run("update", members, applier, _options("update", f, dry_run, jobs), json_out)


def run_patch(
    targets: Sequence[str],
    fleet: Path | None,
    ops: list[Any],
    f: Flags,
    *,
    only_existing: bool,
    dry_run: bool,
    jobs: int,
    json_out: bool,
) -> int:
    """``svcgen patch-config --branch``: the exit code."""
    from svcgen.campaign import runner
    from svcgen.campaign.appliers import members_from_files, patch_applier
    from svcgen.patching.runner import expand_targets

    members: list[Member] = []
    if fleet is not None:
        from svcgen.fleet import load_fleet

        members += [
            runner.Member(name=s.name, path=s.path, files=s.config_files)
            for s in load_fleet(fleet).services
        ]
    if targets:
        members += members_from_files(expand_targets(targets, None))
    jobs = jobs or os.cpu_count() or 1
    applier = patch_applier(ops, only_existing)
    opts = _options("patch-config", f, dry_run, jobs)
    return _run("patch-config", members, applier, opts, json_out)


def _run(command: str, members: list[Member], applier: Any, opts: Any, json_out: bool) -> int:
    from svcgen.campaign import runner

    total = len(members)  # advanced once per service of each finished repository
    with console.progress(total=total, enabled=total > 1, dry_run=opts.dry_run) as advance:

        def done(r: RepoResult) -> None:
            for _ in r.services:
                advance(r.name)

        results = runner.run(members, applier, opts, on_done=done)
    code = runner.exit_code(results)
    if json_out:
        from svcgen import report

        items = [_item(r) for r in results]
        console.print_json(
            report.build(command, items, dry_run=opts.dry_run, with_diff=opts.dry_run)
        )
        return code
    _print(command, results, opts)
    return code


def _item(r: RepoResult) -> Any:
    from svcgen.report import Item

    return Item(
        name=r.name,
        path=r.path,
        status=r.status,
        message=r.message,
        from_version=r.from_version,
        to_version=r.to_version,
        diff=r.diff,
        extra=r.extra(),
    )


def _print(command: str, results: Sequence[RepoResult], opts: Any) -> None:
    for r in results:
        if opts.dry_run and r.diff:
            console.plain(f"# {r.name}: {r.status} on branch {r.branch} from {r.base}")
            console.diff(r.diff)
        for note in r.notes:
            console.warning(f"{r.name}: {note} (template tasks run only with --trust)")
    rows = [
        (
            r.name,
            r.status,
            r.branch or "",
            (r.commit or "")[:10],
            "yes" if r.pushed else "no",
            r.merge_request or "",
            r.message,
        )
        for r in results
    ]
    title = f"svcgen {command} --branch {opts.branch}"
    if opts.dry_run:
        title += " --dry-run (nothing committed)"
    console.rows(
        title,
        ("repository", "status", "branch", "commit", "pushed", "merge request", "details"),
        rows,
    )
    for r in results:
        if r.status in ("error", "refused"):
            console.error(f"{r.name}: {r.message}")
        if r.merge_request and "compare" in r.merge_request and r.status == "pushed":
            console.info(f"{r.name}: open the pull request at {r.merge_request}")
    if any(r.status == "conflicts" for r in results) and not opts.dry_run:
        console.info(
            "repositories with conflicts got no commit: resolve them, or rerun with "
            "--allow-conflicts to commit the conflict markers; see docs/campaigns.md"
        )
