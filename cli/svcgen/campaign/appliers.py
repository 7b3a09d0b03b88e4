"""The commands' own cores, applied to the worktree copies of a campaign.

Each applier takes the prepared workspaces and fills in their
:class:`~svcgen.campaign.runner.Applied`; it never commits or pushes. The
cores are called exactly as the in-place commands call them, only on the
worktree copy of each service path.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from svcgen.campaign import gitops
from svcgen.campaign.runner import Applier, Member, Workspace
from svcgen.errors import SvcgenError

# ----------------------------------------------------------------- patch-config


def members_from_files(files: Sequence[str]) -> list[Member]:
    """One member per repository for TARGET files: the files, relative to its top."""
    by_top: dict[Path, list[str]] = {}
    for f in files:
        path = Path(f).resolve()
        try:
            top = gitops.toplevel(path.parent)
        except SvcgenError:
            top = path.parent  # not in a repository: the runner reports it
        by_top.setdefault(top, []).append(os.path.relpath(path, top))
    return [Member(name=top.name, path=top, files=tuple(rels)) for top, rels in by_top.items()]


def patch_applier(ops: list[Any], only_existing: bool) -> Applier:
    """Run patch-config's all-or-nothing core on each repository's worktree files."""
    from svcgen.patching.runner import Options, run

    opts = Options(only_existing=only_existing, jobs=1)
    summary = "svcgen patch-config: " + ", ".join(_describe(op) for op in ops)

    def apply_one(ws: Workspace) -> None:
        ws.applied.summary = summary
        files: list[str] = []
        for m in ws.members:
            for rel in m.files:
                path = ws.target(m) / rel
                if not path.is_file():
                    shown = os.path.relpath(m.path / rel)
                    base = ws.base.ref if ws.base else "the base"
                    ws.applied.error = f"{shown} does not exist on {base}"
                    return
                files.append(str(path))
        report = run(files, ops, opts)
        if report.exit_code >= 2:
            errors = [r for r in report.results if r.status == "error"]
            detail = errors[0].detail if errors else "invalid input"
            root = str(ws.worktree.path) if ws.worktree else ""
            ws.applied.error = detail.replace(root + os.sep, "") + " (nothing was committed)"

    def apply(spaces: list[Workspace], jobs: int) -> None:
        with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(spaces)))) as pool:
            list(pool.map(apply_one, spaces))

    return apply


def _describe(op: Any) -> str:
    text = str(op.describe())
    return text.removeprefix("set ") if op.kind == "set" else text


# ----------------------------------------------------------------------- update


def update_applier(to: str | None, conflict: str, trust: bool) -> Applier:
    """Run update's core on each service's worktree copy. Services of one repository
    run one after another (copier works in the repository's index); repositories
    run ``jobs`` at a time, in update's own worker processes."""
    from svcgen.updating.update import Target, UpdateOptions, update_all

    opts = UpdateOptions(to=to, dry_run=False, conflict=conflict, trust=trust)  # type: ignore[arg-type]

    def apply(spaces: list[Workspace], jobs: int) -> None:
        for ws in spaces:
            ws.applied.would = "would update"
        depth = max(len(ws.members) for ws in spaces)
        for k in range(depth):
            wave = [(ws, ws.members[k]) for ws in spaces if len(ws.members) > k]
            wave = [(ws, m) for ws, m in wave if ws.applied.error is None]
            targets = [Target(name=m.name, path=ws.target(m)) for ws, m in wave]
            results = update_all(targets, opts, jobs=jobs)
            for (ws, m), res in zip(wave, results, strict=True):
                _record_update(ws, m, res)

    return apply


def _record_update(ws: Workspace, m: Member, res: Any) -> None:
    a = ws.applied
    root = str(ws.worktree.path) + os.sep if ws.worktree else ""
    if res.status in ("error", "refused"):
        a.error = f"{m.name}: {res.message.replace(root, '')}"
        return
    rel = os.path.relpath(ws.target(m), ws.worktree.path if ws.worktree else ws.repo)
    prefix = "" if rel == "." else rel + "/"
    # update reports each conflict as {"path", "reason"}; a campaign names the files
    a.conflicts += [prefix + (c["path"] if isinstance(c, dict) else c) for c in res.conflicts]
    if a.from_version is None:
        a.from_version, a.to_version = res.from_version, res.to_version
    a.notes += [f"{m.name}: {line}" for line in res.tasks if line.startswith("skipped: ")]
    if not a.summary and res.status != "up-to-date":
        name = _template_name(ws.target(m))
        a.summary = f"svcgen update: {name} {res.from_version} → {res.to_version}"


def _template_name(service: Path) -> str:
    from svcgen.updating.source import read_answers

    try:
        src = read_answers(service).src_path or "template"
    except Exception:
        return "template"
    name = src.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return name.removesuffix(".git") or "template"
