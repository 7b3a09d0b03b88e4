"""The write phase: all files, or none, on real file systems.

1. **Preflight** (:func:`preflight`, before anything is written): every target
   is a regular file (symlinks are followed) that this user may write, that has
   a write permission bit, and that is neither immutable nor append-only.
2. **Stage** (:func:`stage`): a file is replaced by a temporary file next to it
   that gets the original's mode, owner, group and extended attributes (ACLs).
   A file with more than one hard link, a mount point (a bind-mounted file), a
   file whose owner this user cannot give to a new file, or one in a directory
   that cannot take a new file, is written in place instead.
3. **Sync** (:class:`Syncer`): the staged files are fsynced (only those), in
   threads, as their plans come in, so that the waits overlap the planning;
   a file whose temporary file cannot be synced is an error.
4. **Commit** (:func:`commit`): any staged file not yet synced is, then
   the originals are replaced or overwritten one by one, then the directories
   of replaced files are fsynced. SIGINT, SIGTERM and SIGHUP are held during
   this phase: one arriving, or any failure, restores every file already
   written to its original bytes and identity (:func:`rollback`). A file that
   cannot be restored is named, and its original is saved as
   ``FILE.svcgen-orig``.
"""

from __future__ import annotations

import array
import contextlib
import errno
import fcntl
import functools
import os
import signal
import stat
import struct
import threading
from collections.abc import Callable, Iterator
from typing import Any

from svcgen.errors import InputFileError, SvcgenError
from svcgen.patching.engine import FileResult

REPLACE = "replace"
IN_PLACE = "in place"
ORIG_SUFFIX = ".svcgen-orig"
TMP_SUFFIX = ".svcgen-tmp"
EXIT_ABORTED = 130

# linux/fs.h: FS_IOC_GETFLAGS is _IOR('f', 1, long); the kernel reads an int
_FS_IOC_GETFLAGS = (2 << 30) | (struct.calcsize("l") << 16) | (ord("f") << 8) | 1
_FS_IMMUTABLE_FL = 0x10
_FS_APPEND_FL = 0x20
_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")
#: a new file cannot be created next to the target (immutable directory...)
_NO_NEW_FILE = (errno.EPERM, errno.EACCES, errno.EROFS)
#: the target cannot be renamed over: a mount point, or an append-only directory
_NO_RENAME = (errno.EBUSY, errno.EXDEV, errno.EPERM, errno.EACCES)


class WriteFailed(InputFileError):
    """A write failed after preflight; what was written has been rolled back."""

    def __init__(
        self,
        path: str,
        reason: str,
        left: list[tuple[str, str]],
        interrupted: bool = False,
        restored: list[str] | None = None,
    ) -> None:
        self.path = path
        #: files that were written, then restored to their original bytes
        self.restored = restored or []
        if interrupted:
            self.exit_code = EXIT_ABORTED
        self.left = left  # (file left changed, where its original was saved or "")
        if not left:
            outcome = "every file already written was restored; no file was changed"
        else:
            named = ", ".join(f + (f" (original saved as {o})" if o else "") for f, o in left)
            outcome = f"{len(left)} files could not be restored and are left changed: {named}"
        super().__init__(
            f"cannot write: {reason}; {outcome}",
            where=path,
            fix="fix the cause and run the command again: it is idempotent",
        )


# -- preflight ----------------------------------------------------------------------


def target_of(path: str) -> tuple[str, os.stat_result]:
    """The file actually written (symlinks followed) and its status."""
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):  # write through the link, keep the link
        path = os.path.realpath(path)
        st = os.stat(path)
    return path, st


def preflight(r: FileResult, flags: int | None = None) -> None:
    """Check that ``r.path`` can be written and choose how (sets ``r.target``,
    ``r.owner`` and ``r.write_mode``). Raises InputFileError naming the reason.
    ``flags``: the file's inode flags, when the caller has read them already."""
    path = r.path
    try:
        target, st = target_of(path)
    except OSError as exc:
        raise InputFileError(f"cannot write: {exc.strerror}", where=path) from exc
    mode = stat.S_IMODE(st.st_mode)
    if not stat.S_ISREG(st.st_mode):
        raise InputFileError("not a regular file; svcgen only writes regular files", where=path)
    flags = _flags(target) if flags is None else flags
    if flags & _FS_IMMUTABLE_FL:
        raise InputFileError(
            "the file is immutable (chattr +i)",
            where=path,
            fix=f"chattr -i {target} if it is meant to change, or leave it out",
        )
    if flags & _FS_APPEND_FL:
        raise InputFileError(
            "the file is append-only (chattr +a)",
            where=path,
            fix=f"chattr -a {target} if it is meant to change, or leave it out",
        )
    if not mode & 0o222:
        raise InputFileError(
            f"the file is read-only (mode {mode:04o})",
            where=path,
            fix="make it writable (chmod u+w) if it is meant to change, or leave it out",
        )
    if os.statvfs(target).f_flag & os.ST_RDONLY:
        raise InputFileError(
            "the file is on a read-only file system (or a read-only mount)", where=path
        )
    if not os.access(target, os.W_OK):
        raise InputFileError(
            f"this user may not write it (mode {mode:04o}, owner {_owner(st)})",
            where=path,
            fix="run as a user who may write it, or leave it out",
        )
    r.target, r.owner = target, (st.st_uid, st.st_gid)
    r.write_mode = _how(target, st)


def _how(target: str, st: os.stat_result) -> str:
    if st.st_nlink > 1:
        return f"{IN_PLACE} (hard-linked)"
    directory = os.path.dirname(target) or "."
    try:
        dst = os.stat(directory)
    except OSError:
        return f"{IN_PLACE} (directory)"
    if dst.st_dev != st.st_dev or target in _mount_points():
        return f"{IN_PLACE} (mount point)"
    if not _can_give(st):
        return f"{IN_PLACE} (owner)"
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"{IN_PLACE} (directory not writable)"
    return REPLACE


def _can_give(st: os.stat_result) -> bool:
    """Whether a new file of this process can get ``st``'s owner and group."""
    if os.geteuid() == 0:
        return True
    return st.st_uid == os.geteuid() and (st.st_gid == os.getegid() or st.st_gid in os.getgroups())


def _owner(st: os.stat_result) -> str:
    try:
        import pwd

        return pwd.getpwuid(st.st_uid).pw_name
    except (KeyError, ImportError):
        return str(st.st_uid)


def _flags(path: str) -> int:
    """The inode flags (chattr) of ``path``; 0 where the file system has none."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return 0
    try:
        return inode_flags(fd)
    finally:
        os.close(fd)


def inode_flags(fd: int) -> int:
    """The inode flags (chattr) of an open file; 0 where the file system has none."""
    try:
        buf = array.array("i", [0])
        fcntl.ioctl(fd, _FS_IOC_GETFLAGS, buf, True)
        return int(buf[0])
    except OSError:
        return 0


@functools.lru_cache(maxsize=1)
def _mount_points() -> frozenset[str]:
    """Mount points of this process (a bind-mounted file is one)."""
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return frozenset()
    points = set()
    for line in lines:
        fields = line.split(" ")
        if len(fields) > 4:
            points.add(_unescape(fields[4]))
    return frozenset(points)


def _unescape(field: str) -> str:
    if "\\" not in field:
        return field
    import re

    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


# -- staging ------------------------------------------------------------------------


def stage(r: FileResult) -> None:
    """Write ``r.new`` to a temporary file next to a file that is replaced."""
    assert r.new is not None
    if r.write_mode == REPLACE:
        try:
            r.staged = (_temp_copy(r.target, r.new, r.stamp[4], r.owner), r.target)
        except OSError as exc:
            if exc.errno not in _NO_NEW_FILE:
                raise
            r.write_mode = f"{IN_PLACE} (directory not writable)"  # e.g. chattr +i on it


def _temp_copy(target: str, data: bytes, st_mode: int, owner: tuple[int, int]) -> str:
    """A temporary file next to ``target`` holding ``data``, with ``target``'s mode,
    owner, group and extended attributes. Not yet fsynced."""
    directory, name = os.path.split(target)
    tmp = os.path.join(directory, f".{name}.{os.urandom(4).hex()}{TMP_SUFFIX}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        _write_all(fd, data)
        if os.fstat(fd)[4:6] != owner:
            os.fchown(fd, *owner)
        os.fchmod(fd, stat.S_IMODE(st_mode))  # after chown, which clears set-id bits
        _copy_xattrs(target, fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    os.close(fd)
    return tmp


def _copy_xattrs(source: str, fd: int) -> None:
    try:
        names = os.listxattr(source)
    except OSError:
        return
    for name in names:
        with contextlib.suppress(OSError):
            os.setxattr(fd, name, os.getxattr(source, name))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class Syncer:
    """fsyncs staged temporary files in background threads, as they are added,
    while the caller goes on planning (an fsync mostly waits on the disk, and
    several overlap: one thread syncing 1,000 files one after the other was
    slower than planning them). A file whose temporary file cannot be synced
    becomes an error, so that nothing is written. Leaving the ``with`` block
    waits for every fsync."""

    THREADS = 8

    def __init__(self) -> None:
        import queue

        self._todo: queue.SimpleQueue[FileResult | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._run, daemon=True) for _ in range(self.THREADS)
        ]
        for t in self._threads:
            t.start()

    def add(self, r: FileResult) -> None:
        if r.staged is not None and not r.synced:
            self._todo.put(r)

    def _run(self) -> None:
        while (r := self._todo.get()) is not None:
            assert r.staged is not None
            try:
                _fsync_path(r.staged[0])
            except OSError as exc:
                r.status, r.exit_code = "error", 2
                r.detail = f"{r.path}: cannot write: {exc.strerror}"
            else:
                r.synced = True

    def __enter__(self) -> Syncer:
        return self

    def __exit__(self, *exc: object) -> None:
        for _ in self._threads:
            self._todo.put(None)
        for t in self._threads:
            t.join()


def discard(results: list[FileResult]) -> None:
    for r in results:
        if r.staged is not None:
            with contextlib.suppress(OSError):
                os.unlink(r.staged[0])
            r.staged = None


# -- commit -------------------------------------------------------------------------


def unchanged_since_read(r: FileResult) -> None:
    _, st = target_of(r.path)
    if (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode) != r.stamp:
        raise InputFileError(
            "the file changed while svcgen was working on it; nothing was written",
            where=r.path,
            fix="run the command again",
        )


#: up to this many files are written one after the other; more, in threads (each
#: rename waits on the file system's journal, and overlapping the waits makes a
#: thousand renames several times faster)
SEQUENTIAL = 8


class _Failed(Exception):
    def __init__(self, r: FileResult, exc: BaseException) -> None:
        super().__init__(str(exc))
        self.result, self.exc = r, exc


def commit(changed: list[FileResult]) -> None:
    """Write every changed file, or (after a failure or a signal) none.

    Raises WriteFailed (after rolling back) or KeyboardInterrupt (after rolling
    back, on SIGINT, SIGTERM or SIGHUP)."""
    written: list[FileResult] = []
    with _signals_held() as pending:
        try:
            for r in changed:  # a stat each: faster here than in threads
                unchanged_since_read(r)
            unsynced = [r.staged[0] for r in changed if r.staged is not None and not r.synced]
            _each_in_threads(_fsync_path, unsynced)
            _write_files(changed, written, pending)
            _fsync_dirs([r.target for r in written if r.write_mode == REPLACE])
            if pending:
                raise KeyboardInterrupt
        except BaseException as raised:
            discard(changed)
            left = rollback(written)
            not_restored = {path for path, _ in left}
            restored = [r.path for r in written if r.path not in not_restored]
            exc = raised.exc if isinstance(raised, _Failed) else raised
            failed = raised.result.path if isinstance(raised, _Failed) else ""
            failed = failed or (written[-1].path if written else "")
            if isinstance(exc, KeyboardInterrupt):
                if left:
                    raise WriteFailed(
                        failed, "interrupted", left, interrupted=True, restored=restored
                    ) from exc
                raise exc from None
            if isinstance(exc, SvcgenError) and not left:
                raise exc from None
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            reason = reason or type(exc).__name__
            raise WriteFailed(failed, reason, left, restored=restored) from exc


def _write_files(changed: list[FileResult], written: list[FileResult], pending: list[int]) -> None:
    """Write ``changed``, appending each file touched to ``written``; stop at the
    first failure (raised as _Failed) or signal (KeyboardInterrupt)."""
    if len(changed) <= SEQUENTIAL:
        for r in changed:
            if pending:
                raise KeyboardInterrupt
            try:
                _write(r, written)
            except BaseException as exc:
                raise _Failed(r, exc) from exc
        return
    stop = threading.Event()

    def task(r: FileResult) -> None:
        if stop.is_set() or pending:
            return
        try:
            _write(r, written)
        except BaseException as exc:
            stop.set()
            raise _Failed(r, exc) from exc

    _each_in_threads(task, changed)
    if pending:
        raise KeyboardInterrupt


#: threads of the write phase (each mostly waits on the file system)
THREADS = 16


def _each_in_threads(fn: Callable[[Any], None], items: list[Any]) -> None:
    """``fn`` on every item, in up to THREADS threads, each taking one run of
    consecutive items (one task per thread, not per file: a thousand small
    tasks cost more than the system calls they make). Up to SEQUENTIAL items
    run here. A thread stops at its first exception; the exception of the
    earliest item that failed is raised once every thread is done."""
    if len(items) <= SEQUENTIAL:
        for item in items:
            fn(item)
        return
    # plain threads: concurrent.futures would import logging, which costs more
    # than a small run's writes
    n = min(THREADS, len(items))
    size = -(-len(items) // n)
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    errors: list[BaseException | None] = [None] * len(chunks)

    def run(k: int) -> None:
        try:
            for item in chunks[k]:
                fn(item)
        except BaseException as exc:  # handed to the calling thread
            errors[k] = exc

    threads = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(len(chunks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first = next((e for e in errors if e is not None), None)
    if first is not None:
        raise first


def _write(r: FileResult, written: list[FileResult]) -> None:
    assert r.new is not None
    if r.staged is not None:
        tmp, target = r.staged
        try:
            os.replace(tmp, target)
        except OSError as exc:
            if exc.errno not in _NO_RENAME:
                raise
            # a mount point svcgen did not see: write it in place instead
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            why = "mount point" if exc.errno in (errno.EBUSY, errno.EXDEV) else "no rename"
            r.staged, r.write_mode = None, f"{IN_PLACE} ({why})"
        else:
            r.staged = None
            written.append(r)
            return
    # once it is open, the file may be partly written: then it is restored
    overwrite(r.target, r.new, lambda: written.append(r))


def overwrite(target: str, data: bytes, opened: Callable[[], Any] | None = None) -> None:
    """Write ``data`` over ``target`` in place (same inode): write, truncate, fsync.
    ``opened`` is called once the file is open for writing."""
    fd = os.open(target, os.O_WRONLY | os.O_CLOEXEC)
    if opened is not None:
        opened()
    try:
        view = memoryview(data)
        pos = 0
        while pos < len(view):
            pos += os.pwrite(fd, view[pos:], pos)
        os.ftruncate(fd, len(data))
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_path(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dirs(targets: list[str]) -> None:
    _each_in_threads(_fsync_path, sorted({os.path.dirname(t) or "." for t in targets}))


# -- rollback -----------------------------------------------------------------------


def rollback(written: list[FileResult]) -> list[tuple[str, str]]:
    """Restore every file in ``written`` to its original bytes and identity.

    Returns the files that could not be restored, each with the path its original
    was saved to (``FILE.svcgen-orig``; empty if even that failed)."""
    left: list[tuple[str, str]] = []
    dirs = []
    for r in reversed(written):
        assert r.old is not None
        try:
            if r.write_mode == REPLACE:
                tmp = _temp_copy(r.target, r.old, r.stamp[4], r.owner)
                _fsync_path(tmp)
                try:
                    os.replace(tmp, r.target)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
                    raise
                dirs.append(r.target)
            else:
                overwrite(r.target, r.old)
        except Exception:
            left.append((r.path, _save_original(r)))
    with contextlib.suppress(OSError):
        _fsync_dirs(dirs)
    return left


def _save_original(r: FileResult) -> str:
    assert r.old is not None
    saved = r.target + ORIG_SUFFIX
    try:
        fd = os.open(saved, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            _write_all(fd, r.old)
            with contextlib.suppress(OSError):
                os.fchown(fd, *r.owner)
            with contextlib.suppress(OSError):
                os.fchmod(fd, stat.S_IMODE(r.stamp[4]))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        return ""
    return saved


# -- signals ------------------------------------------------------------------------


@contextlib.contextmanager
def _signals_held() -> Iterator[list[int]]:
    """Hold SIGINT, SIGTERM and SIGHUP: a handler notes them in the yielded list,
    and the caller decides when to stop (only possible in the main thread)."""
    pending: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield pending
        return
    previous: dict[int, Any] = {}

    def note(signum: int, _frame: Any) -> None:
        pending.append(signum)

    for name in _SIGNALS:
        num = getattr(signal, name, None)
        if num is not None:
            previous[num] = signal.signal(num, note)
    try:
        yield pending
    finally:
        for num, handler in previous.items():
            signal.signal(num, handler)
