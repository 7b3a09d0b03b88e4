"""``svcgen update``: roll a newer template version into services.

Per service, before anything is written: refuse a dirty tree; refuse a tree
with committed conflict markers; read ``.copier-answers.yml``; refuse a
version newer than the template source has (version skew); render the
template at the recorded version (*old*) and at the target version (*new*)
into a scratch directory with copier; and decide every file's fate with
:mod:`svcgen.updating.plan` (3-way merges, renames and deletions upstream,
owner-owned and kept files). A real run then writes that plan; a dry run
turns the same plan into a patch. Nothing of an owner's edit is ever dropped.

Services run in parallel processes with ``jobs > 1`` (copier changes the
process's working directory, so threads cannot share one process). Services
that share a git top-level run one after another under a per-repository lock;
different repositories run in parallel, so results do not depend on ``jobs``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Literal

from svcgen import __version__, vcs
from svcgen.errors import SvcgenError, TemplateError, UsageError
from svcgen.updating.source import (
    ANSWERS_FILE,
    STABLE_PREFIX,
    is_versioned,
    read_answers,
    resolve_source,
)

Status = Literal[
    "updated",
    "would update",
    "up to date",
    "conflicts",
    "unresolved conflicts",
    "refused",
    "ahead",
    "error",
]
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
    data: dict[str, str] = field(default_factory=dict)  # --data KEY=VALUE (raw strings)
    src: str | None = None  # --src URL: the template source to record and read
    want_patch: bool = False  # fill ServiceResult.diff in a real run too (--output)


@dataclass
class ServiceResult:
    name: str
    path: str
    status: Status
    from_version: str | None = None
    to_version: str | None = None
    conflicts: list[dict[str, str]] = field(default_factory=list)  # {path, reason}
    not_applied: list[str] = field(default_factory=list)  # owner-owned files left alone
    not_applied_diff: str = ""
    kept: list[str] = field(default_factory=list)  # .svcgen.yml keep files left alone
    renamed: list[dict[str, str]] = field(default_factory=list)  # {from, to}
    removed_upstream: list[dict[str, str]] = field(default_factory=list)  # {path, outcome}
    unresolved: list[str] = field(default_factory=list)  # files with committed markers
    message: str = ""
    tasks: list[str] = field(default_factory=list)
    diff: str | None = None

    @property
    def conflict_paths(self) -> list[str]:
        return [c["path"] for c in self.conflicts]

    @property
    def label(self) -> str:
        """The summary-table status, e.g. ``updated v1.0.0 → v2.0.0``."""
        if self.status in ("updated", "would update"):
            return f"{self.status} {self.from_version} → {self.to_version}"
        if self.status == "conflicts":
            n = len(self.conflicts)
            return f"conflicts ({n} file{'s' if n != 1 else ''})"
        if self.status == "refused":
            return "refused (dirty)"
        return self.status

    @property
    def details(self) -> list[str]:
        """One line per thing the owner should know, for the summary table."""
        lines = [f"{c['path']}: {c['reason']}" for c in self.conflicts]
        lines += [f"unresolved conflict markers: {p}" for p in self.unresolved]
        lines += [f"not applied (yours): {p}" for p in self.not_applied]
        lines += [
            f"renamed: {r['from']} → {r['to']} (your edit carried over)" for r in self.renamed
        ]
        if self.message:
            lines.append(self.message)
        return lines

    def extra(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "conflicts": self.conflicts,
            "unresolved": self.unresolved,
            "not_applied": self.not_applied,
            "kept": self.kept,
            "renamed": self.renamed,
            "removed_upstream": self.removed_upstream,
            "tasks": self.tasks,
        }


def exit_code(results: Sequence[ServiceResult]) -> int:
    """2 any refused, errored or ahead; else 1 any conflicts; else 0."""
    if any(r.status in ("refused", "error", "ahead") for r in results):
        return 2
    if any(r.status in ("conflicts", "unresolved conflicts") for r in results):
        return 1
    return 0


def update_service(target: Target, opts: UpdateOptions) -> ServiceResult:
    """Update one service; every failure becomes a result, never an exception.

    KeyboardInterrupt (Ctrl-C, or SIGTERM turned into it) restores the service
    to its last commit and is raised on.
    """
    result = ServiceResult(name=target.name, path=str(target.path), status="error")
    try:
        _update(target, opts, result)
    except SvcgenError as exc:
        result.status, result.message = "error", exc.message
    except Exception as exc:  # copier raises many unrelated types; keep the fleet going
        result.status, result.message = "error", describe(exc)
    return result


def _update_group(
    group: Sequence[tuple[int, Target]], opts: UpdateOptions
) -> list[tuple[int, ServiceResult]]:
    """The services of one git repository, one after another."""
    return [(i, update_service(t, opts)) for i, t in group]


def group_by_repository(targets: Sequence[Target]) -> list[list[tuple[int, Target]]]:
    """Targets grouped by git top-level (first-seen order); non-repositories alone."""
    groups: dict[str, list[tuple[int, Target]]] = {}
    for i, target in enumerate(targets):
        key = f"#{i}"
        path = target.path.resolve()
        if path.is_dir() and vcs.is_work_tree(path):
            with contextlib.suppress(SvcgenError):
                key = str(vcs.toplevel(path))
        groups.setdefault(key, []).append((i, target))
    return list(groups.values())


def default_jobs() -> int:
    return max(1, os.cpu_count() or 1)


def update_all(
    targets: Sequence[Target],
    opts: UpdateOptions,
    jobs: int | None = None,
    on_done: Callable[[ServiceResult], None] | None = None,
) -> list[ServiceResult]:
    """Update every target (``jobs`` repositories at a time; default: one per CPU).

    Results keep the targets' order and do not depend on ``jobs``.
    """
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise UsageError(f"--jobs {jobs}: must be at least 1")
    groups = group_by_repository(targets)
    results: list[ServiceResult | None] = [None] * len(targets)
    with _sigterm_as_interrupt():
        if jobs == 1 or len(groups) <= 1:
            try:
                for group in groups:
                    for i, target in group:
                        results[i] = update_service(target, opts)
                        if on_done:
                            on_done(results[i])  # type: ignore[arg-type]
            finally:
                _worker_module().release_templates()
        else:
            _parallel(targets, groups, opts, min(jobs, len(groups)), results, on_done)
    return [r for r in results if r is not None]


def _parallel(
    targets: Sequence[Target],
    groups: list[list[tuple[int, Target]]],
    opts: UpdateOptions,
    jobs: int,
    results: list[ServiceResult | None],
    on_done: Callable[[ServiceResult], None] | None,
) -> None:
    # spawn: a clean interpreter per worker (no inherited locks or threads). Each
    # worker keeps its template clones under run_tmp, removed when the pool is done.
    run_tmp = tempfile.mkdtemp(prefix="svcgen-update-")
    started = Path(run_tmp, "started")
    started.mkdir()
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=get_context("spawn"),
        initializer=_init_worker_process,
        initargs=(run_tmp,),
    )
    try:
        futures: dict[Future[list[tuple[int, ServiceResult]]], list[tuple[int, Target]]] = {
            pool.submit(_update_group, g, opts): g for g in groups
        }
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    pairs = future.result()
                except Exception as exc:  # the worker process died
                    pairs = [
                        (i, ServiceResult(t.name, str(t.path), "error", message=describe(exc)))
                        for i, t in futures[future]
                    ]
                for i, r in pairs:
                    results[i] = r
                    if on_done:
                        on_done(r)
    except BaseException:
        # Ctrl-C or SIGTERM: stop the workers, then put back every service that
        # a worker had started to write and not finished.
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            with contextlib.suppress(Exception):
                proc.terminate()
        for proc in processes:
            with contextlib.suppress(Exception):
                proc.join(10)
        for i, target in enumerate(targets):
            if results[i] is None and (started / _key(target)).exists():
                with contextlib.suppress(Exception):
                    vcs.restore(target.path.resolve())
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        shutil.rmtree(run_tmp, ignore_errors=True)


def _key(target: Target) -> str:
    import hashlib

    return hashlib.sha256(str(target.path.resolve()).encode()).hexdigest()[:24]


_WORKER: dict[str, str] = {}  # in a worker process: {"run_tmp": DIR}


def _init_worker_process(run_tmp: str) -> None:
    tempfile.tempdir = run_tmp
    _WORKER["run_tmp"] = run_tmp
    # The parent decides when to stop: it terminates the workers and restores
    # the services they had started (see _parallel).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _mark_started(path: Path) -> None:
    if "run_tmp" in _WORKER:
        Path(_WORKER["run_tmp"], "started", _key(Target("", path))).touch()


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt in the main thread while an update runs."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _worker_module() -> Any:
    from svcgen.updating import worker

    return worker


def describe(exc: BaseException) -> str:
    """``Type: message``, plus the last lines of a subprocess's stderr when it has one."""
    text = str(exc).strip().splitlines()
    head = f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")
    stderr = getattr(exc, "stderr", None)
    if isinstance(stderr, bytes):
        stderr = stderr.decode(errors="replace")
    if isinstance(stderr, str) and stderr.strip():
        head += " (stderr: " + vcs.stderr_tail(stderr) + ")"
    return head


@contextlib.contextmanager
def repository_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on the service's git repository (all of its work trees)."""
    import fcntl

    common = Path(vcs.git("rev-parse", "--git-common-dir", cwd=path).strip())
    if not common.is_absolute():
        common = (path / common).resolve()
    with open(common / "svcgen-update.lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def committed_markers(path: Path) -> list[str]:
    """Tracked files under ``path`` holding svcgen's conflict markers, or ``.rej`` files."""
    out = vcs.git(
        "grep",
        "-l",
        "-I",
        "-E",
        "-e",
        "^(<<<<<<< before updating|>>>>>>> after updating)$",
        "--",
        ".",
        cwd=path,
        check=False,
    )
    found = set(out.splitlines())
    found.update(vcs.git("ls-files", "--", "*.rej", cwd=path, check=False).splitlines())
    return sorted(f for f in found if f)


def skew_message(name: str, src: str, newest: str, current: str) -> str:
    if src.startswith(STABLE_PREFIX):
        template = src.removeprefix(STABLE_PREFIX)
        return (
            f"svcgen {__version__} has {template} up to {newest}; "
            f"{name} is at {current}: upgrade svcgen"
        )
    return (
        f"template {src} has versions up to {newest}; "
        f"{name} is at {current}: update the template source"
    )


def is_ahead(current: str, newest: str) -> bool:
    a, b = vcs.parse_version(current), vcs.parse_version(newest)
    return a is not None and b is not None and a > b  # type: ignore[operator]


def _update(target: Target, opts: UpdateOptions, result: ServiceResult) -> None:
    path = target.path.resolve()
    if not path.is_dir():
        raise UsageError("no such directory", where=target.path)
    if not vcs.is_work_tree(path) or not vcs.has_commits(path):
        raise UsageError(
            "not a git repository with a commit",
            where=target.path,
            fix="svcgen update needs git history: git init && git add -A && git commit",
        )
    with repository_lock(path):
        _update_locked(target, path, opts, result)


def _update_locked(target: Target, path: Path, opts: UpdateOptions, result: ServiceResult) -> None:
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
    markers = committed_markers(path)
    if markers:
        result.status, result.unresolved = "unresolved conflicts", markers
        result.message = (
            "committed conflict markers in " + ", ".join(markers) + " (resolve them, commit, rerun)"
        )
        return
    old_source = resolve_source(answers.src_path)
    new_recorded = opts.src or answers.src_path
    new_source = resolve_source(new_recorded)
    for src, shown in ((old_source, answers.src_path), (new_source, new_recorded)):
        if not is_versioned(src):
            raise TemplateError(
                f"template {shown} is not a git repository or bundle",
                where=answers.path,
                fix="copier can update only from a template with git version tags",
            )
    old_tags = vcs.tags(old_source)
    newest = vcs.newest_version_tag(old_tags)
    if newest is None:
        raise TemplateError(
            f"template {answers.src_path} has no version tags",
            fix="tag a release, e.g. git tag v1.0.0",
        )
    if is_ahead(answers.commit, newest):
        result.status = "ahead"
        result.message = skew_message(target.name, answers.src_path, newest, answers.commit)
        return
    plain_tag = vcs.parse_version(answers.commit) is not None and "-g" not in answers.commit
    if plain_tag and answers.commit not in old_tags:
        raise TemplateError(
            f"template {answers.src_path} has no version {answers.commit}",
            where=answers.path,
            fix="point _src_path at the template repository the service was made from",
        )
    ref = opts.to or (
        newest if new_source == old_source else vcs.newest_version_tag(vcs.tags(new_source))
    )
    if ref is None:
        raise TemplateError(f"template {new_recorded} has no version tags")
    if opts.to is None and is_ahead(answers.commit, ref):
        result.status = "ahead"
        result.message = skew_message(target.name, new_recorded, ref, answers.commit)
        return
    if is_ahead(answers.commit, ref):
        raise UsageError(
            f"--to {ref} is older than the service's {answers.commit}: downgrades are not supported"
        )
    changes_answers = bool(opts.data) or new_recorded != answers.src_path
    if _same_version(answers.commit, ref) and not changes_answers:
        result.status, result.to_version = "up to date", answers.commit
        return
    _run(target, path, answers, old_source, new_source, new_recorded, ref, opts, result)


def _same_version(current: str, ref: str) -> bool:
    if current == ref:
        return True
    a, b = vcs.parse_version(current), vcs.parse_version(ref)
    return a is not None and a == b


def _user_answers(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if not str(k).startswith("_")}


def parse_update_data(raw: dict[str, str], questions: dict[str, Any]) -> dict[str, Any]:
    """``--data`` strings as answers; multiselect answers take ``a,b`` or ``[a, b]``."""
    import yaml

    from svcgen.errors import UnknownDataKeyError
    from svcgen.render import check_answer

    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in questions or key.startswith("_"):
            raise UnknownDataKeyError(key, [k for k in questions if not k.startswith("_")])
        question = questions[key]
        if isinstance(question, dict) and question.get("multiselect"):
            items = yaml.safe_load(value) if value.strip().startswith("[") else value.split(",")
            items = [str(i).strip() for i in (items or []) if str(i).strip()]
            choices = question.get("choices") or []
            allowed = [str(c) for c in (choices.values() if isinstance(choices, dict) else choices)]
            bad = [i for i in items if allowed and i not in allowed]
            if bad:
                raise UsageError(
                    f"--data {key}={value}: {bad[0]!r} is not one of {', '.join(allowed)}"
                )
            out[key] = items
        else:
            check_answer(key, value, question)
            out[key] = value
    return out


def _run(
    target: Target,
    path: Path,
    answers: Any,
    old_source: str,
    new_source: str,
    new_recorded: str,
    ref: str,
    opts: UpdateOptions,
    result: ServiceResult,
) -> None:
    from svcgen.ownership import keep_matcher
    from svcgen.updating import plan as planning

    worker_cls = _worker()
    keep = keep_matcher(path)
    scratch = Path(tempfile.mkdtemp(prefix="svcgen-render-"))
    log: list[str] = []
    try:
        common = _worker_options(path, opts, run_tasks=False)
        common["skip_tasks"] = True
        old_data = _user_answers(answers.data)
        with _as_update(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            old = worker_cls(
                src_path=old_source,
                dst_path=scratch / "old",
                vcs_ref=answers.commit,
                data=old_data,
                svcgen_sources={answers.src_path: old_source},
                **common,
            )
            new_data = dict(old_data)
            if opts.data:
                new_data.update(parse_update_data(opts.data, dict(old.template.questions_data)))
            new = worker_cls(
                src_path=new_source,
                dst_path=scratch / "new",
                vcs_ref=ref,
                data=new_data,
                svcgen_sources={new_recorded: new_source},
                **common,
            )
            try:
                old.run_copy()
                new.run_copy()
            except Exception as exc:
                raise TemplateError(
                    f"cannot render the template: {describe(exc)}; nothing was written",
                    where=target.path,
                ) from exc
            skip = new.match_skip
            plan = planning.make_plan(
                old_root=scratch / "old",
                new_root=scratch / "new",
                service=path,
                conflict=opts.conflict,
                skip=lambda rel: bool(skip(Path(rel))),
                keep=keep,
                answers_file=ANSWERS_FILE,
            )
            _fill(result, plan, ref, new_data, scratch / "new")
            if opts.dry_run or opts.want_patch:
                result.diff = planning.plan_patch(plan, path)
            if opts.dry_run:
                dry = _project_worker(
                    worker_cls, path, new_source, new_recorded, ref, new_data, opts, log, False
                )
                _report_tasks(dry)
            else:
                _apply(worker_cls, path, plan, new_source, new_recorded, ref, new_data, opts, log)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result.tasks = log
    if result.conflicts:
        result.status = "conflicts"
    elif plan.empty:
        result.status = "up to date"
    else:
        result.status = "would update" if opts.dry_run else "updated"


def _fill(result: ServiceResult, plan: Any, ref: str, data: dict[str, Any], new_root: Path) -> None:
    answers_new = new_root / ANSWERS_FILE
    to = ref
    if answers_new.is_file():
        from svcgen.updating.source import read_answers_text

        to = str(read_answers_text(answers_new.read_text(encoding="utf-8")).get("_commit") or ref)
    result.to_version = to
    result.conflicts = [{"path": p, "reason": r} for p, r in plan.conflicts]
    result.not_applied = [p for p, _d in plan.not_applied]
    result.not_applied_diff = "".join(d for _p, d in plan.not_applied)
    result.kept = list(plan.kept)
    result.renamed = [{"from": a, "to": b} for a, b in plan.renamed]
    result.removed_upstream = [{"path": p, "outcome": o} for p, o in plan.removed_upstream]


def _apply(
    worker_cls: Any,
    path: Path,
    plan: Any,
    source: str,
    recorded: str,
    ref: str,
    data: dict[str, Any],
    opts: UpdateOptions,
    log: list[str],
) -> None:
    from svcgen.updating import plan as planning

    _mark_started(path)
    try:
        project = _project_worker(worker_cls, path, source, recorded, ref, data, opts, log, True)
        before, after = _migrations(project)
        _execute(project, before, "migrate")
        planning.apply_plan(plan, path)
        _execute(project, after, "migrate")
        if project is not None:
            _execute(project, project.template.tasks, "tasks")
    except BaseException as exc:
        # The tree was clean when the update started: put it back as it was.
        vcs.restore(path)
        if isinstance(exc, Exception) and not isinstance(exc, SvcgenError):
            raise TemplateError(
                f"{describe(exc)}; the service was restored to its last commit", where=path
            ) from exc
        if isinstance(exc, SvcgenError):
            raise TemplateError(
                f"{exc.message}; the service was restored to its last commit"
            ) from exc
        raise


def _report_tasks(project: Any) -> None:
    """A dry run: a worker made with run=False reports each due migration and task as
    skipped instead of running it."""
    if project is None:
        return
    before, after = _migrations(project)
    for tasks in (before, after, project.template.tasks):
        _execute(project, tasks, "tasks")


def _project_worker(
    worker_cls: Any,
    path: Path,
    source: str,
    recorded: str,
    ref: str,
    data: dict[str, Any],
    opts: UpdateOptions,
    log: list[str],
    run: bool,
) -> Any:
    """A worker on the service itself, only to run its template's tasks and migrations."""
    worker = worker_cls(
        src_path=source,
        dst_path=path,
        vcs_ref=ref,
        data=data,
        svcgen_sources={recorded: source},
        svcgen_log=log,
        **_worker_options(path, opts, run_tasks=run),
    )
    if not worker.template.tasks and not worker.template.config_data.get("migrations"):
        return None
    worker._ask()
    return worker


def _worker_options(path: Path, opts: UpdateOptions, *, run_tasks: bool) -> dict[str, Any]:
    """What every worker of an update of the service at path is made with."""
    return dict(
        defaults=True,
        overwrite=True,
        quiet=True,
        svcgen_project=path,
        svcgen_trust=opts.trust,
        svcgen_run_tasks=run_tasks,
        svcgen_share_templates=True,
    )


def _migrations(worker: Any) -> tuple[list[Any], list[Any]]:
    if worker is None or worker.subproject.template is None:
        return [], []
    old = worker.subproject.template
    return (
        list(worker.template.migration_tasks("before", old)),
        list(worker.template.migration_tasks("after", old)),
    )


def _execute(worker: Any, tasks: Sequence[Any], phase: str) -> None:
    if worker is None or not tasks:
        return
    from copier._main import _operation
    from copier._types import Phase

    token = _operation.set("update")
    try:
        with Phase.use(Phase.MIGRATE if phase == "migrate" else Phase.TASKS):
            worker._execute_tasks(list(tasks))
    finally:
        _operation.reset(token)


@contextlib.contextmanager
def _as_update() -> Iterator[None]:
    """Render with ``_copier_operation == "update"``, as copier's own update does."""
    from copier._main import _operation

    token = _operation.set("update")
    try:
        yield
    finally:
        _operation.reset(token)


def write_patches(results: Sequence[ServiceResult], directory: Path) -> list[Path]:
    """``DIR/SERVICE.patch`` for every service with a diff (temp file + os.replace)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for r in results:
        if not r.diff:
            continue
        out = directory / f"{r.name}.patch"
        fd, tmp = tempfile.mkstemp(prefix=f".{r.name}.", dir=directory)
        with os.fdopen(fd, "wb") as fh:
            fh.write(r.diff.encode("utf-8", errors="surrogateescape"))
        os.replace(tmp, out)
        written.append(out)
    return written


def _worker() -> Any:
    from svcgen.updating.worker import worker_class

    return worker_class()
