"""``svcgen update``: roll a newer template version into services.

Per service: refuse a dirty tree; read ``.copier-answers.yml``; map its
template source; run copier's 3-way update (via ``SvcgenWorker``); collect
conflicts. ``--dry-run`` does all of that in a scratch clone and returns the
diff. Services run in parallel processes with ``jobs > 1`` (copier changes
the process's working directory, so threads cannot share one process).
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Literal

from svcgen import vcs
from svcgen.errors import SvcgenError, TemplateError, UsageError
from svcgen.updating.source import is_versioned, read_answers, resolve_source

Status = Literal["updated", "up-to-date", "conflicts", "refused", "error"]
Conflict = Literal["inline", "rej"]


@dataclass(frozen=True)
class Target:
    """One service to work on: its display name and its directory."""

    name: str
    path: Path


@dataclass(frozen=True)
class UpdateOptions:
    to: str | None = None
    dry_run: bool = False
    conflict: Conflict = "inline"
    trust: bool = False


@dataclass
class ServiceResult:
    name: str
    path: str
    status: Status
    from_version: str | None = None
    to_version: str | None = None
    conflicts: list[str] = field(default_factory=list)
    message: str = ""
    tasks: list[str] = field(default_factory=list)
    diff: str | None = None

    @property
    def label(self) -> str:
        """The summary-table status, e.g. ``updated v1.0.0 → v2.0.0``."""
        if self.status == "updated":
            return f"updated {self.from_version} → {self.to_version}"
        if self.status == "conflicts":
            n = len(self.conflicts)
            return f"conflicts ({n} file{'s' if n != 1 else ''})"
        if self.status == "refused":
            return "refused (dirty)"
        return self.status

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["label"] = self.label
        return data


def exit_code(results: Sequence[ServiceResult]) -> int:
    """0 all updated or up to date; 1 any conflicts; 2 any refused or errored."""
    if any(r.status in ("refused", "error") for r in results):
        return 2
    if any(r.status == "conflicts" for r in results):
        return 1
    return 0


def update_service(target: Target, opts: UpdateOptions) -> ServiceResult:
    """Update one service; every failure becomes a result, never an exception."""
    result = ServiceResult(name=target.name, path=str(target.path), status="error")
    try:
        _update(target.path.resolve(), opts, result)
    except SvcgenError as exc:
        result.status, result.message = "error", exc.message
    except Exception as exc:  # copier raises many unrelated types; keep the fleet going
        result.status, result.message = "error", _describe(exc)
    return result


def update_all(
    targets: Sequence[Target],
    opts: UpdateOptions,
    jobs: int = 1,
    on_done: Callable[[ServiceResult], None] | None = None,
) -> list[ServiceResult]:
    """Update every target (``jobs`` at a time); results keep the targets' order."""
    if jobs < 1:
        raise UsageError(f"--jobs {jobs}: must be at least 1")
    results: list[ServiceResult | None] = [None] * len(targets)
    if jobs == 1 or len(targets) <= 1:
        try:
            for i, target in enumerate(targets):
                results[i] = update_service(target, opts)
                if on_done:
                    on_done(results[i])  # type: ignore[arg-type]
        finally:
            _worker_module().release_templates()
        return [r for r in results if r is not None]
    # spawn: a clean interpreter per worker (no inherited locks or threads). Each
    # worker keeps its template clones under run_tmp, removed when the pool is done.
    run_tmp = tempfile.mkdtemp(prefix="svcgen-update-")
    try:
        with ProcessPoolExecutor(
            max_workers=min(jobs, len(targets)),
            mp_context=get_context("spawn"),
            initializer=_init_worker_process,
            initargs=(run_tmp,),
        ) as pool:
            futures = {pool.submit(update_service, t, opts): i for i, t in enumerate(targets)}
            for future in as_completed(futures):
                i = futures[future]
                try:
                    results[i] = future.result()
                except Exception as exc:  # the worker process died
                    t = targets[i]
                    results[i] = ServiceResult(
                        name=t.name, path=str(t.path), status="error", message=_describe(exc)
                    )
                if on_done:
                    on_done(results[i])  # type: ignore[arg-type]
    finally:
        shutil.rmtree(run_tmp, ignore_errors=True)
    return [r for r in results if r is not None]


def _init_worker_process(run_tmp: str) -> None:
    tempfile.tempdir = run_tmp


def _worker_module() -> Any:
    from svcgen.updating import worker

    return worker


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _update(path: Path, opts: UpdateOptions, result: ServiceResult) -> None:
    if not path.is_dir():
        raise UsageError("no such directory", where=path)
    if not vcs.is_work_tree(path) or not vcs.has_commits(path):
        raise UsageError(
            "not a git repository with a commit",
            where=path,
            fix="svcgen update needs git history: git init && git add -A && git commit",
        )
    dirty = vcs.dirty_paths(path)
    if dirty:
        result.status = "refused"
        more = f" and {len(dirty) - 3} more" if len(dirty) > 3 else ""
        result.message = (
            f"uncommitted changes: {', '.join(dirty[:3])}{more} (commit or stash them, then rerun)"
        )
        return
    answers = read_answers(path)
    if not answers.src_path or not answers.commit:
        raise TemplateError(
            "the answers file records no template version (_src_path/_commit)",
            where=answers.path,
            fix="the service was made from a template folder that is not a git repository; "
            "run `svcgen adopt` from a versioned template",
        )
    result.from_version = answers.commit
    source = resolve_source(answers.src_path)
    if not is_versioned(source):
        raise TemplateError(
            f"template {answers.src_path} is not a git repository or bundle",
            where=answers.path,
            fix="copier can update only from a template with git version tags",
        )
    ref = opts.to or _newest(source, answers.src_path)
    if _same_version(answers.commit, ref):
        result.status, result.to_version = "up-to-date", answers.commit
        return
    if opts.dry_run:
        _dry_run(path, answers.src_path, source, ref, opts, result)
    else:
        _run(path, answers.src_path, source, ref, opts, result)


def _newest(source: str, recorded: str) -> str:
    newest = vcs.newest_version_tag(vcs.tags(source))
    if newest is None:
        raise TemplateError(
            f"template {recorded} has no version tags", fix="tag a release, e.g. git tag v1.0.0"
        )
    return newest


def _same_version(current: str, ref: str) -> bool:
    if current == ref:
        return True
    a, b = vcs.parse_version(current), vcs.parse_version(ref)
    return a is not None and a == b


def _run(
    path: Path, recorded: str, source: str, ref: str, opts: UpdateOptions, result: ServiceResult
) -> None:
    from copier.errors import CopierError

    log: list[str] = []
    worker_cls = _worker()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with worker_cls(
                dst_path=path,
                vcs_ref=ref,
                defaults=True,
                overwrite=True,
                quiet=True,
                conflict=opts.conflict,
                skip_tasks=False,
                svcgen_project=path,
                svcgen_trust=opts.trust,
                svcgen_run_tasks=not opts.dry_run,  # a dry run never runs commands
                svcgen_sources={recorded: source},
                svcgen_log=log,
                svcgen_share_templates=True,
            ) as worker:
                worker.run_update()
    except Exception as exc:
        # The tree was clean when the update started: put it back as it was.
        vcs.restore(path)
        restored = "; the service was restored to its last commit"
        if isinstance(exc, CopierError):
            raise TemplateError(f"copier: {exc}{restored}", where=path) from exc
        raise TemplateError(f"{_describe(exc)}{restored}", where=path) from exc
    result.tasks = log
    after = read_answers(path)
    result.to_version = after.commit
    if opts.conflict == "inline":
        result.conflicts = vcs.unmerged_paths(path)
    else:
        result.conflicts = sorted(
            rej.relative_to(path).as_posix().removesuffix(".rej")
            for rej in path.rglob("*.rej")
            if ".git" not in rej.relative_to(path).parts
        )
    if result.conflicts:
        result.status = "conflicts"
    elif vcs.is_clean(path):
        result.status = "up-to-date"
    else:
        result.status = "updated"


def _dry_run(
    path: Path, recorded: str, source: str, ref: str, opts: UpdateOptions, result: ServiceResult
) -> None:
    top = vcs.toplevel(path)
    sub = path.relative_to(top)
    scratch_root = Path(tempfile.mkdtemp(prefix="svcgen-dry-run-"))
    try:
        scratch_top = scratch_root / "repo"
        vcs.clone(top, scratch_top)
        scratch = scratch_top / sub
        _run(scratch, recorded, source, ref, opts, result)
        vcs.git("add", "--all", "--", ".", cwd=scratch)
        result.diff = vcs.git("diff", "--cached", "--relative", "HEAD", "--", ".", cwd=scratch)
    finally:
        shutil.rmtree(scratch_root, ignore_errors=True)


def _worker() -> Any:
    from svcgen.updating.worker import worker_class

    return worker_class()
