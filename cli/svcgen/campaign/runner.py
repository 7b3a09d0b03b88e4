"""Run a campaign: group services into repositories, then per repository

1. **prepare** (``jobs`` at a time): fetch the remote, resolve ``--base``, add a
   temporary detached worktree at it;
2. **apply** (one call for all repositories): the command's own core changes
   each service's copy inside the worktree (see :mod:`svcgen.campaign.appliers`);
3. **deliver** (``jobs`` at a time): commit, point the branch at the commit,
   push with ``--force-with-lease``, open the merge request; remove the worktree.

Several services in one repository share one worktree, branch, commit and
merge request. Every failure is confined to its repository: it becomes that
repository's result, and the others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from svcgen.campaign import gitops, provider, record
from svcgen.errors import SvcgenError, UsageError


@dataclass(frozen=True)
class Member:
    """One service of the campaign, in the owner's checkout."""

    name: str
    path: Path
    #: patch-config: the files to patch, relative to the service directory
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Options:
    command: str  # "update" or "patch-config"
    branch: str
    message: str | None = None
    base: str | None = None
    push: bool = False
    remote: str = "origin"
    merge_request: bool = False
    provider: provider.Provider | None = None
    allow_conflicts: bool = False
    dry_run: bool = False
    jobs: int = 1
    campaign: Path | None = None
    only_failed: bool = False


@dataclass
class Applied:
    """What the command's core did in one worktree (filled in by the applier)."""

    summary: str = ""  # the default commit message
    error: str | None = None  # the change could not be made: nothing is committed
    conflicts: list[str] = field(default_factory=list)
    from_version: str | None = None
    to_version: str | None = None
    notes: list[str] = field(default_factory=list)  # warnings for the user
    would: str = "would change"  # the dry-run status word when there is a change


@dataclass
class RepoResult:
    """One repository's outcome: the row of the summary table and the JSON item."""

    name: str
    path: str
    repo: str
    services: list[str]
    status: str = "error"
    message: str = ""
    branch: str | None = None
    base: str | None = None
    commit: str | None = None
    pushed: bool = False
    merge_request: str | None = None
    conflicts: list[str] = field(default_factory=list)
    from_version: str | None = None
    to_version: str | None = None
    diff: str | None = None
    notes: list[str] = field(default_factory=list)
    ok: bool = False

    def extra(self) -> dict[str, Any]:
        return {
            "repository": self.repo,
            "services": self.services,
            "branch": self.branch,
            "base": self.base,
            "commit": self.commit,
            "pushed": self.pushed,
            "merge_request": self.merge_request,
            "conflicts": self.conflicts,
        }


@dataclass
class Workspace:
    """One repository while the campaign works on it."""

    repo: Path
    members: list[Member]
    result: RepoResult
    worktree: gitops.Worktree | None = None
    base: gitops.Base | None = None
    url: str | None = None
    provider: provider.Provider | None = None
    remote_sha: str | None = None  # the branch on the remote before this run
    lease: str | None = None  # what the remote branch must still be for the push
    applied: Applied = field(default_factory=Applied)

    def target(self, member: Member) -> Path:
        """The member's directory inside the worktree."""
        assert self.worktree is not None
        rel = member.path.resolve().relative_to(self.repo)
        return self.worktree.path / rel

    @property
    def active(self) -> bool:
        return self.worktree is not None


Applier = Callable[[list[Workspace], int], None]


def exit_code(results: Sequence[RepoResult]) -> int:
    """0 all succeeded or had no change; 1 any conflicts; 2 any refused or errored."""
    if any(r.status in ("refused", "error") for r in results):
        return 2
    if any(r.status == "conflicts" or r.conflicts for r in results):
        return 1
    return 0


def validate(opts: Options) -> None:
    """Usage errors of the campaign flags, before anything is touched."""
    gitops.check_branch_name(opts.branch)
    if opts.merge_request and not opts.push:
        raise UsageError("--merge-request needs --push", fix="add --push")
    if opts.only_failed and opts.campaign is None:
        raise UsageError("--only-failed needs --campaign FILE", fix="add --campaign FILE")
    if opts.jobs < 1:
        raise UsageError(f"--jobs {opts.jobs}: must be at least 1")
    if opts.dry_run and opts.push:
        raise UsageError("--dry-run and --push cannot be used together")


def run(
    members: Sequence[Member],
    applier: Applier,
    opts: Options,
    on_done: Callable[[RepoResult], None] | None = None,
) -> list[RepoResult]:
    """Run the campaign; one result per repository, in the members' order."""
    validate(opts)
    rec = None
    if opts.campaign is not None:
        rec = record.load(opts.campaign, opts.command, opts.branch, must_exist=opts.only_failed)
    spaces = _group(members, opts)
    todo: list[Workspace] = []
    for ws in spaces:
        if rec is not None and opts.only_failed and rec.succeeded(ws.repo):
            _skip(ws, rec.entry(ws.repo) or {})
        elif not (ws.result.status == "error" and ws.result.message):
            todo.append(ws)
            continue
        if on_done is not None:  # skipped, or not a repository: reported as it is
            on_done(ws.result)
    try:
        _each(todo, opts.jobs, lambda ws: _prepare(ws, opts, rec))
        active = [ws for ws in todo if ws.active]
        if on_done is not None:
            for ws in todo:
                if not ws.active:  # refused or failed while preparing
                    on_done(ws.result)
        if active:
            try:
                applier(active, opts.jobs)
            except Exception as exc:  # every repository of the batch failed the same way
                message = exc.message if isinstance(exc, SvcgenError) else f"{exc!r}"
                for ws in active:
                    ws.applied.error = message
        _each(active, opts.jobs, lambda ws: _deliver(ws, opts, rec, on_done))
    finally:
        for ws in todo:
            if ws.worktree is not None:
                ws.worktree.remove()
                ws.worktree = None
        if rec is not None and not opts.dry_run:
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            for ws in todo:
                previous = rec.entry(ws.repo) or {}
                rec.repositories[str(ws.repo)] = _entry(ws.result, now, previous)
            rec.save()
    return [ws.result for ws in spaces]


def _each(spaces: list[Workspace], jobs: int, fn: Callable[[Workspace], None]) -> None:
    def guarded(ws: Workspace) -> None:
        try:
            fn(ws)
        except SvcgenError as exc:
            ws.result.status, ws.result.message = "error", exc.message
            ws.result.ok = False
        except Exception as exc:  # keep the other repositories going
            ws.result.status, ws.result.message = "error", f"{type(exc).__name__}: {exc}"
            ws.result.ok = False

    from svcgen.fleet import each

    each(spaces, guarded, jobs)


def _group(members: Sequence[Member], opts: Options) -> list[Workspace]:
    spaces: dict[str, Workspace] = {}
    order: list[Workspace] = []
    for m in members:
        try:
            top = gitops.toplevel(m.path)
        except SvcgenError as exc:
            res = RepoResult(
                name=m.name, path=str(m.path), repo=str(m.path), services=[m.name],
                branch=opts.branch, message=exc.message,
            )  # fmt: skip
            order.append(Workspace(repo=m.path, members=[m], result=res))
            continue
        ws = spaces.get(str(top))
        if ws is None:
            res = RepoResult(
                name=m.name, path=str(m.path), repo=str(top), services=[], branch=opts.branch
            )
            ws = spaces[str(top)] = Workspace(repo=top, members=[], result=res)
            order.append(ws)
        ws.members.append(m)
        ws.result.services.append(m.name)
    for ws in spaces.values():
        if len(ws.members) > 1:
            ws.result.name, ws.result.path = ws.repo.name, str(ws.repo)
    return order


def _skip(ws: Workspace, entry: dict[str, Any]) -> None:
    r = ws.result
    r.status, r.ok = "skipped", True
    r.message = f"{entry.get('status', 'succeeded')} in the last run (--only-failed)"
    r.commit = entry.get("commit")
    r.pushed = bool(entry.get("pushed"))
    r.merge_request = entry.get("merge_request")


def _prepare(ws: Workspace, opts: Options, rec: record.Record | None) -> None:
    r = ws.result
    where = gitops.checked_out_branches(ws.repo).get(opts.branch)
    if where is not None:
        r.status = "refused"
        r.message = (
            f"branch {opts.branch} is checked out in {where}; switch that checkout to "
            "another branch, or choose another --branch"
        )
        return
    ws.url = gitops.remote_url(ws.repo, opts.remote)
    heads = gitops.RemoteHeads(default=None, branch=None)
    if ws.url is not None:
        gitops.fetch(ws.repo, opts.remote)
        heads = gitops.remote_heads(ws.repo, opts.remote, opts.branch)
    elif opts.push:
        r.message = (
            f"no remote {opts.remote!r}; add it (git remote add) or name another: --push REMOTE"
        )
        return
    remote = opts.remote if ws.url else None
    ws.base = gitops.resolve_base(ws.repo, opts.base, remote, heads.default)
    r.base = ws.base.ref
    if opts.merge_request:
        ws.provider = opts.provider or provider.detect(ws.url)
        if ws.provider is None:
            r.message = (
                f"cannot tell whether remote {opts.remote} ({ws.url}) is GitLab or GitHub "
                "(give --provider gitlab|github)"
            )
            return
        if not ws.base.target:
            r.message = "no branch for the merge request to target (give --base BRANCH)"
            return
    if opts.push:
        ws.remote_sha = heads.branch
        # The lease: the commit svcgen pushed last time (from the campaign file), so
        # that commits someone else pushed to the branch since are never overwritten.
        entry = rec.entry(ws.repo) if rec is not None else None
        known = (entry or {}).get("pushed_commit")
        ws.lease = ws.remote_sha if ws.remote_sha is None or not known else str(known)
    ws.worktree = gitops.Worktree(ws.repo, ws.base.commit)


def _wants_new_mr(ws: Workspace, rec: record.Record | None) -> bool:
    if ws.remote_sha is None:
        return True  # a new branch: its first push opens the merge request
    entry = rec.entry(ws.repo) if rec is not None else None
    return rec is not None and not (entry and entry.get("merge_request"))


def _deliver(
    ws: Workspace,
    opts: Options,
    rec: record.Record | None,
    on_done: Callable[[RepoResult], None] | None,
) -> None:
    try:
        _deliver_one(ws, opts, rec)
    finally:
        if ws.worktree is not None:
            ws.worktree.remove()
            ws.worktree = None
        if on_done is not None:
            on_done(ws.result)


def _deliver_one(ws: Workspace, opts: Options, rec: record.Record | None) -> None:
    r, a = ws.result, ws.applied
    assert ws.worktree is not None and ws.base is not None
    r.from_version, r.to_version = a.from_version, a.to_version
    r.conflicts, r.notes = list(a.conflicts), list(a.notes)
    if a.error is not None:
        r.status, r.message = "error", a.error
        return
    changed = ws.worktree.stage_all()
    if opts.dry_run:
        r.diff = ws.worktree.diff() if changed else ""
        r.status = "conflicts" if a.conflicts else (a.would if changed else "no change")
        r.message = f"from {ws.base.ref}" if changed else f"{ws.base.ref} already has the change"
        r.ok = True
        return
    if a.conflicts and not opts.allow_conflicts:
        r.status = "conflicts"
        r.message = (
            "not committed: conflicts in " + ", ".join(a.conflicts)
            + " (resolve them in the service, or give --allow-conflicts to commit the markers)"
        )  # fmt: skip
        return
    if not changed:
        r.status, r.ok = "no change", True
        r.message = f"{ws.base.ref} already has the change; no commit"
        return
    message = opts.message or a.summary or f"svcgen {opts.command}"
    commit = ws.worktree.commit(message)
    open_mr = opts.merge_request and _wants_new_mr(ws, rec)
    reused = (
        ws.remote_sha is not None
        and not open_mr
        and gitops.same_change(ws.repo, ws.remote_sha, ws.base.commit, commit)
    )
    if reused:
        commit = ws.remote_sha  # type: ignore[assignment]
    gitops.set_branch(ws.repo, opts.branch, commit)
    r.commit, r.status = commit, "committed"
    marks = f" with conflict markers in {', '.join(a.conflicts)}" if a.conflicts else ""
    r.message = f"committed on {ws.base.ref}{marks}"
    if not opts.push:
        r.ok = True
        return
    _push(ws, opts, rec, message, open_mr=open_mr, reused=reused, marks=marks)


def _push(
    ws: Workspace,
    opts: Options,
    rec: record.Record | None,
    message: str,
    *,
    open_mr: bool,
    reused: bool,
    marks: str,
) -> None:
    r = ws.result
    assert ws.base is not None
    title = message.strip().splitlines()[0] if message.strip() else message
    if reused:
        r.pushed, r.status = True, "pushed"
        r.message = f"{opts.remote}/{opts.branch} already has this change{marks}"
    else:
        options: list[str] = []
        if open_mr and ws.provider == "gitlab":
            assert ws.base.target is not None
            options = provider.gitlab_push_options(ws.base.target, title)
        pushed = gitops.push(ws.repo, opts.remote, opts.branch, ws.lease, options)
        if not pushed.ok:
            r.message = (
                f"committed, but the push to {opts.remote} failed: "
                f"{gitops.push_failure(pushed.output)}"
            )
            if "stale info" in pushed.output:
                r.message += (
                    f" ({opts.remote}/{opts.branch} has commits svcgen did not push: "
                    "someone else pushed to it; look at them, then delete that branch "
                    "or choose another --branch)"
                )
            r.status = "error"
            return
        r.pushed, r.status = True, "pushed"
        verb = "replaced" if ws.remote_sha else "pushed"
        lease = " (--force-with-lease)" if ws.remote_sha else ""
        r.message = f"{verb} {opts.remote}/{opts.branch}{lease}{marks}"
        if options:
            r.merge_request = provider.gitlab_mr_url(pushed.output)
            if r.merge_request is None:
                r.message += "; merge request requested with push options"
    r.ok = True
    if not opts.merge_request:
        return
    if not open_mr:
        entry = rec.entry(ws.repo) if rec is not None else None
        r.merge_request = (entry or {}).get("merge_request")
        r.message += "; its merge request follows the branch"
        return
    if ws.provider == "github":
        assert ws.base.target is not None
        body = "\n".join(message.strip().splitlines()[1:]).strip() or "Made by svcgen."
        pr = provider.github_pull_request(ws.repo, ws.url, ws.base.target, opts.branch, title, body)
        if pr.error is not None:
            r.message += f"; {pr.error}"
            r.ok = False
            r.status = "error"
            return
        r.merge_request = pr.url
        if pr.via == "compare-url":
            r.message += "; gh is not on PATH: open the compare URL to create the pull request"


def _entry(r: RepoResult, now: str, previous: dict[str, Any]) -> dict[str, Any]:
    pushed_commit = r.commit if r.pushed else previous.get("pushed_commit")
    return {
        "name": r.name,
        "services": r.services,
        "status": r.status,
        "ok": r.ok,
        "branch": r.branch,
        "base": r.base,
        "commit": r.commit,
        "pushed": r.pushed,
        "merge_request": r.merge_request,
        "pushed_commit": pushed_commit,
        "error": None if r.ok else r.message,
        "updated_at": now,
    }
