"""Fleet-wide run: expand targets, plan every file (optionally in processes),
then write all changed files, or none."""

from __future__ import annotations

import contextlib
import glob
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from svcgen.errors import EXIT_OK, EXIT_PROBLEMS, InputFileError, SvcgenError, UsageError
from svcgen.patching import writer
from svcgen.patching.engine import FileResult, patch_text
from svcgen.patching.ops import Op

_GLOB = set("*?[")
#: a planning process is started for each this many files (up to --jobs)
FILES_PER_PROCESS = 64


@dataclass(frozen=True)
class Options:
    only_existing: bool = False
    check: bool = False
    dry_run: bool = False
    want_diff: bool = False
    jobs: int = 1
    strict_paths: bool = False


@dataclass
class Report:
    results: list[FileResult]
    exit_code: int
    written: bool
    #: why the write phase failed (every file written was rolled back, or is named)
    write_error: str = ""


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
    path: str,
    ops: list[Op],
    only_existing: bool,
    want_diff: bool,
    stage: bool = False,
    strict_paths: bool = False,
) -> FileResult:
    """Plan one file; with ``stage``, also check that it can be written (preflight)
    and write its new text to a temporary file next to it (the original is only
    replaced or overwritten by :func:`commit`)."""
    try:
        flags: int | None = None
        try:
            with open(path, "rb") as fh:
                st = os.fstat(fh.fileno())
                raw = fh.read()
                if stage:
                    flags = writer.inode_flags(fh.fileno())
        except OSError as exc:
            raise InputFileError(f"cannot read: {exc.strerror}", where=path) from exc
        result = patch_text(raw, path, ops, only_existing, strict_paths)
        result.stamp = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode)
        if want_diff and result.new is not None and result.old is not None:
            result.diff = unified_diff(path, result.old, result.new)
        if not (stage and result.status == "changed"):
            result.old = None  # kept only to restore a written file
        if stage and result.status == "changed":
            writer.preflight(result, flags)
            writer.stage(result)
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
    paths: list[str],
    ops: list[Op],
    only_existing: bool,
    want_diff: bool,
    stage: bool,
    strict_paths: bool,
) -> list[FileResult]:
    return [plan_one(p, ops, only_existing, want_diff, stage, strict_paths) for p in paths]


def unified_diff(path: str, old: bytes, new: bytes) -> str:
    import difflib

    a = old.decode("utf-8", "replace").splitlines(keepends=True)
    b = new.decode("utf-8", "replace").splitlines(keepends=True)
    lines = difflib.unified_diff(a, b, "a/" + path.lstrip("/"), "b/" + path.lstrip("/"))
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def plan(files: list[str], ops: list[Op], opts: Options, stage: bool = False) -> list[FileResult]:
    """Plan ``files``; with ``stage``, also preflight and stage the changed ones,
    and fsync their temporary files in a thread of this process as their plans
    come in (planning never waits for the disk)."""
    # --jobs is the most processes used. Starting one costs about as much as
    # patching a few dozen files, so small runs stay in this process.
    most = opts.jobs if opts.jobs > 0 else (os.cpu_count() or 1)
    jobs = min(most, max(1, len(files) // FILES_PER_PROCESS))
    args = (ops, opts.only_existing, opts.want_diff, stage, opts.strict_paths)
    results: list[FileResult] = []
    with contextlib.ExitStack() as stack:
        syncer = stack.enter_context(writer.Syncer()) if stage else None
        parts: Iterable[list[FileResult]]
        if jobs <= 1:
            parts = ([plan_one(f, *args)] for f in files)
        else:
            from concurrent.futures import ProcessPoolExecutor

            # small chunks, so that plans (and their fsyncs here) start coming early
            size = -(-len(files) // (jobs * 16))
            chunks = [files[i : i + size] for i in range(0, len(files), size)]
            pool = stack.enter_context(
                ProcessPoolExecutor(max_workers=jobs, initializer=_ignore_interrupts)
            )
            parts = pool.map(_plan_chunk, chunks, *([arg] * len(chunks) for arg in args))
        for part in parts:
            results.extend(part)
            if syncer is not None:
                for r in part:
                    syncer.add(r)
    return results


def _ignore_interrupts() -> None:
    """In planning workers: Ctrl-C is the main process's to handle (it stops the
    run and removes the temporary files); workers finish their chunk quietly."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run(files: list[str], ops: list[Op], opts: Options) -> Report:
    """Plan every file (checking and staging the changed ones unless this is
    --check or --dry-run), then write all changed files, or none."""
    stage = not (opts.check or opts.dry_run)
    try:
        results = plan(files, ops, opts, stage=stage)
    except BaseException:
        if stage:
            _sweep(files)
        raise
    worst = max((r.exit_code for r in results if r.status == "error"), default=0)
    if worst:
        writer.discard(results)
        return Report(results, worst, written=False)
    changed = [r for r in results if r.status == "changed"]
    if opts.check:
        return Report(results, EXIT_PROBLEMS if changed else EXIT_OK, written=False)
    if opts.dry_run or not changed:
        return Report(results, EXIT_OK, written=False)
    try:
        writer.commit(changed)
    except writer.WriteFailed as exc:
        for r in results:
            if r.path == exc.path:
                r.status, r.detail, r.exit_code = "error", exc.message, exc.exit_code
        left = dict(exc.left)
        restored = set(exc.restored)
        for r in changed:
            if r.path == exc.path:
                continue
            if r.path in left:
                r.status, r.exit_code = "error", exc.exit_code
                r.detail = "left changed: could not be restored" + (
                    f"; the original is saved as {left[r.path]}" if left[r.path] else ""
                )
            elif r.path in restored:
                r.status = "rolled back"
                r.detail = f"written, then restored to its original bytes: {exc.path} failed"
            else:
                r.status = "not written"
                r.detail = f"left as it was: {exc.path} failed first"
        return Report(results, exc.exit_code, written=bool(exc.left), write_error=exc.message)
    return Report(results, EXIT_OK, written=True)


def write_all(changed: list[FileResult]) -> None:
    """Check, stage and commit ``changed`` (planned without staging): all, or none."""
    try:
        for r in changed:
            writer.preflight(r)
            writer.stage(r)
    except BaseException:
        writer.discard(changed)
        raise
    writer.commit(changed)


def commit(changed: list[FileResult]) -> None:
    """Write staged results: all files, or none (see :mod:`.writer`)."""
    writer.commit(changed)


def _sweep(files: list[str]) -> None:
    """Remove temporary files an interrupted run may have left next to ``files``."""
    for f in files:
        directory, name = os.path.split(os.path.realpath(f))
        for tmp in glob.glob(
            os.path.join(glob.escape(directory), f".{glob.escape(name)}.*{writer.TMP_SUFFIX}")
        ):
            with contextlib.suppress(OSError):
                os.unlink(tmp)
