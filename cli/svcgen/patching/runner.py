"""Fleet-wide run: expand targets, plan every file (optionally in processes),
then write all changed files, or none."""

from __future__ import annotations

import contextlib
import glob
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from svcgen.errors import EXIT_OK, EXIT_PROBLEMS, InputFileError, SvcgenError, UsageError
from svcgen.patching.engine import FileResult, patch_text
from svcgen.patching.ops import Op

_GLOB = set("*?[")


@dataclass(frozen=True)
class Options:
    only_existing: bool = False
    check: bool = False
    dry_run: bool = False
    want_diff: bool = False
    jobs: int = 1


@dataclass
class Report:
    results: list[FileResult]
    exit_code: int
    written: bool


def expand_targets(targets: Sequence[str], fleet: Path | None) -> list[str]:
    """Files to patch, in order, without duplicates. Missing inputs are errors."""
    files: list[str] = []
    for target in targets:
        if set(target) & _GLOB:
            matches = sorted(p for p in glob.glob(target, recursive=True) if os.path.isfile(p))
            if not matches:
                raise UsageError(f"the pattern {target!r} matches no file")
            files.extend(matches)
        elif os.path.isdir(target):
            matches = sorted(glob.glob(os.path.join(glob.escape(target), "configs", "*.yaml")))
            if not matches:
                raise UsageError(f"{target} is a directory without configs/*.yaml")
            files.extend(matches)
        elif os.path.isfile(target):
            files.append(target)
        else:
            raise UsageError(f"{target}: no such file or directory")
    if fleet is not None:
        from svcgen.fleet import load_fleet

        for service in load_fleet(fleet).services:
            for config in service.config_paths():
                if not config.is_file():
                    raise InputFileError(
                        f"service {service.name!r}: config file {config} does not exist",
                        where=fleet,
                        fix="fix the service's path or config_files",
                    )
                files.append(str(config))
    seen: set[tuple[int, int]] = set()
    unique = []
    for f in files:
        try:
            st = os.stat(f)
        except OSError as exc:
            raise InputFileError(f"cannot read: {exc.strerror}", where=f) from exc
        if (st.st_dev, st.st_ino) not in seen:
            seen.add((st.st_dev, st.st_ino))
            unique.append(f)
    return unique


def plan_one(
    path: str, ops: list[Op], only_existing: bool, want_diff: bool, stage: bool = False
) -> FileResult:
    """Plan one file; with ``stage``, also write its new text to a temporary file
    next to it (the original is only replaced by :func:`commit`)."""
    try:
        try:
            with open(path, "rb") as fh:
                st = os.fstat(fh.fileno())
                raw = fh.read()
        except OSError as exc:
            raise InputFileError(f"cannot read: {exc.strerror}", where=path) from exc
        result = patch_text(raw, path, ops, only_existing)
        result.stamp = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode)
        if want_diff and result.new is not None and result.old is not None:
            result.diff = unified_diff(path, result.old, result.new)
        result.old = None  # the stamp guards the write; no need to carry the bytes
        if stage and result.status == "changed":
            result.staged = _stage(result, _umask())
    except SvcgenError as exc:
        return FileResult(path, "error", exc.message, exit_code=exc.exit_code)
    except OSError as exc:
        return FileResult(path, "error", f"{path}: cannot write: {exc.strerror}", exit_code=2)
    except Exception as exc:  # a bug: report it, write nothing
        return FileResult(
            path, "error", f"internal error: {type(exc).__name__}: {exc}", exit_code=3
        )
    return result


def _plan_chunk(
    paths: list[str], ops: list[Op], only_existing: bool, want_diff: bool, stage: bool
) -> list[FileResult]:
    return [plan_one(p, ops, only_existing, want_diff, stage) for p in paths]


def unified_diff(path: str, old: bytes, new: bytes) -> str:
    import difflib

    a = old.decode("utf-8", "replace").splitlines(keepends=True)
    b = new.decode("utf-8", "replace").splitlines(keepends=True)
    lines = difflib.unified_diff(a, b, "a/" + path.lstrip("/"), "b/" + path.lstrip("/"))
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def plan(files: list[str], ops: list[Op], opts: Options, stage: bool = False) -> list[FileResult]:
    if opts.jobs > 0:
        jobs = min(opts.jobs, len(files))
    else:  # auto: processes pay off from about a hundred files
        jobs = min(os.cpu_count() or 1, max(1, len(files) // 64))
    if jobs <= 1:
        return [plan_one(f, ops, opts.only_existing, opts.want_diff, stage) for f in files]
    from concurrent.futures import ProcessPoolExecutor

    size = -(-len(files) // (jobs * 4))
    chunks = [files[i : i + size] for i in range(0, len(files), size)]
    results: list[FileResult] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        n = len(chunks)
        parts = pool.map(
            _plan_chunk,
            chunks,
            [ops] * n,
            [opts.only_existing] * n,
            [opts.want_diff] * n,
            [stage] * n,
        )
        for part in parts:
            results.extend(part)
    return results


def run(files: list[str], ops: list[Op], opts: Options) -> Report:
    """Plan every file (staging new texts next to their originals unless this is
    --check or --dry-run), then replace all originals, or none."""
    stage = not (opts.check or opts.dry_run)
    try:
        results = plan(files, ops, opts, stage=stage)
    except BaseException:
        if stage:
            _sweep(files)
        raise
    staged = [r.staged for r in results if r.staged is not None]
    worst = max((r.exit_code for r in results if r.status == "error"), default=0)
    if worst:
        discard(staged)
        return Report(results, worst, written=False)
    changed = [r for r in results if r.status == "changed"]
    if opts.check:
        return Report(results, EXIT_PROBLEMS if changed else EXIT_OK, written=False)
    if opts.dry_run or not changed:
        return Report(results, EXIT_OK, written=False)
    commit(changed)
    return Report(results, EXIT_OK, written=True)


def write_all(changed: list[FileResult]) -> None:
    """Stage (in a few threads) and commit ``changed``: all files, or none."""
    from concurrent.futures import ThreadPoolExecutor

    umask = _umask()
    failure: BaseException | None = None
    with ThreadPoolExecutor(max_workers=max(1, min(16, len(changed)))) as pool:
        futures = [pool.submit(_stage, r, umask) for r in changed]
        for r, future in zip(changed, futures, strict=True):
            try:
                r.staged = future.result()
            except BaseException as exc:
                failure = failure or exc
    if failure is not None:
        discard([r.staged for r in changed if r.staged is not None])
        if isinstance(failure, OSError):
            raise InputFileError(
                f"cannot write {failure.filename or ''}: {failure.strerror}; nothing was written"
            ) from failure
        raise failure
    commit(changed)


def commit(changed: list[FileResult]) -> None:
    """Replace the originals with their staged files, after checking that no
    original changed since it was read (else nothing is replaced).

    The renames run in a few threads: each waits on the file system's journal, and
    overlapping those waits makes a thousand renames about ten times faster."""
    from concurrent.futures import ThreadPoolExecutor

    staged = [r.staged for r in changed if r.staged is not None]
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(16, len(changed)))) as pool:
            for done in [pool.submit(_unchanged_since_read, r) for r in changed]:
                done.result()
            os.sync()  # the new contents are on disk before any original is replaced
            renames = [pool.submit(os.replace, tmp, target) for tmp, target in staged]
            failed = [f.exception() for f in renames if f.exception() is not None]
    except BaseException:
        discard(staged)
        raise
    if failed:
        discard(staged)
        raise InputFileError(
            f"cannot replace a file: {failed[0]}; {len(staged) - len(failed)} of "
            f"{len(staged)} files were replaced, the others are unchanged",
            fix="fix the cause and run the command again: it is idempotent",
        )


def discard(staged: list[tuple[str, str]]) -> None:
    for tmp, _ in staged:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _sweep(files: list[str]) -> None:
    """Remove temporary files an interrupted run may have left next to ``files``."""
    for f in files:
        directory, name = os.path.split(os.path.realpath(f))
        for tmp in glob.glob(
            os.path.join(glob.escape(directory), f".{glob.escape(name)}.*.svcgen-tmp")
        ):
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _target(path: str) -> tuple[str, os.stat_result]:
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):  # write through the link, keep the link
        path = os.path.realpath(path)
        st = os.stat(path)
    return path, st


def _unchanged_since_read(r: FileResult) -> None:
    _, st = _target(r.path)
    if (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode) != r.stamp:
        raise InputFileError(
            "the file changed while svcgen was working on it; nothing was written",
            where=r.path,
            fix="run the command again",
        )


def _stage(r: FileResult, umask: int) -> tuple[str, str]:
    """Write ``r.new`` to a temporary file next to the original; return (tmp, target)."""
    assert r.new is not None
    _unchanged_since_read(r)
    target, st = _target(r.path)
    mode = stat.S_IMODE(st.st_mode)
    directory, name = os.path.split(target)
    tmp = os.path.join(directory, f".{name}.{os.urandom(4).hex()}.svcgen-tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(r.new)
        if mode & umask:  # os.open's mode went through the umask
            os.chmod(tmp, mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp, target


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
