"""One small module per command. A command maps its flags onto a call into
core code and prints the result through ``svcgen.console``; the
:func:`boundary` decorator is the single place where errors become exit codes:

* :class:`~svcgen.errors.SvcgenError`: its one-line message, its exit code
  (under ``--json``, also a report document whose ``errors`` hold it);
* Ctrl-C or SIGTERM, in any phase: the one line ``aborted``, exit 130;
* a closed stdout (``| head``): not an error, the output is dropped;
* anything else is a bug: exit 3 and one line
  ``internal error: <type>: <message> (details in <log file>)``, the
  traceback in a log file under the user cache directory. No traceback ever
  reaches the user.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec

from svcgen import console
from svcgen.errors import EXIT_ABORTED, EXIT_INTERNAL, EXIT_USAGE, SvcgenError

P = ParamSpec("P")

#: keyword arguments that mean "--json was given", whatever a command calls it
_JSON_FLAGS = ("json_out", "as_json", "json")


def _on_sigterm(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def install_signal_handlers() -> None:
    """SIGTERM behaves like Ctrl-C: every cleanup path that handles
    KeyboardInterrupt handles it too."""
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)


def cache_dir() -> Path:
    """The user cache directory of svcgen (XDG; ~/Library/Caches on macOS)."""
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base) / "svcgen"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "svcgen"
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "svcgen" / "Cache"
    return Path.home() / ".cache" / "svcgen"


def write_crash_log(exc: BaseException) -> str:
    """Write ``exc``'s traceback to a new log file; return its path (or why not)."""
    import time
    import traceback

    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = cache_dir() / "logs" / f"crash-{stamp}-{os.getpid()}.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = (
            f"svcgen {_version()} on Python {sys.version.split()[0]}\n"
            f"argv: {sys.argv!r}\ncwd: {os.getcwd()}\n\n" + "".join(traceback.format_exception(exc))
        )
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        return f"no log written: {err.strerror}"
    return str(path)


def _version() -> str:
    from svcgen import __version__

    return __version__


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _bad_input(exc: BaseException) -> SvcgenError | None:
    """copier's own bad-input errors, as svcgen errors (exit 2)."""
    copier_errors = sys.modules.get("copier.errors")
    if copier_errors is not None and isinstance(exc, copier_errors.CopierError):
        return SvcgenError(_one_line(str(exc)))
    return None


def _json_requested(kwargs: dict[str, Any]) -> bool:
    return any(kwargs.get(flag) is True for flag in _JSON_FLAGS)


def _command_name(fn: Callable[..., Any]) -> str:
    """``svcgen.commands.patch_config`` -> ``patch-config``."""
    return fn.__module__.rsplit(".", 1)[-1].replace("_", "-")


def _fail(exc: SvcgenError, command: str, kwargs: dict[str, Any]) -> int:
    if _json_requested(kwargs):
        from svcgen import report

        dry_run = any(kwargs.get(k) is True for k in ("dry_run", "check", "pretend"))
        console.print_json(report.input_error(command, exc.message, dry_run=dry_run))
    console.error(exc.message)
    return exc.exit_code


def _aborted() -> int:
    # A second Ctrl-C while we say so should not print a traceback either.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    console.info("aborted")
    return EXIT_ABORTED


def boundary(fn: Callable[P, int | None]) -> Callable[P, None]:
    """Map every outcome of a Typer command onto its message and exit code (the
    command returns its exit code, or None for 0)."""
    import typer

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        saved = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
        install_signal_handlers()
        try:
            code = run_command(fn, args, kwargs, passthrough=(typer.Exit,))
        finally:  # an in-process caller (tests, scripts) gets its handlers back
            for signum, handler in zip((signal.SIGINT, signal.SIGTERM), saved, strict=True):
                if handler is not None:
                    signal.signal(signum, handler)
        if code:
            raise typer.Exit(code)

    return wrapper


def run_command(
    fn: Callable[..., int | None],
    args: Any,
    kwargs: Any,
    passthrough: tuple[type[BaseException], ...] = (),
    command: str = "",
) -> int:
    """Run one command; every outcome becomes its message and exit code, which
    is returned. Exceptions of the ``passthrough`` types are raised as they are
    (Typer's own exit). ``command`` names the command in a ``--json`` error
    report (default: from ``fn``'s module). Needs no Typer: ``svcgen.main`` runs a plain
    ``patch-config`` through here without importing it."""
    try:
        code = fn(*args, **kwargs)
    except passthrough:
        raise
    except SvcgenError as exc:
        return _fail(exc, command or _command_name(fn), kwargs)
    except KeyboardInterrupt:
        return _aborted()
    except BrokenPipeError:
        console._drop_stdout()
        return 0
    except Exception as exc:
        bad = _bad_input(exc)
        if bad is not None:
            return _fail(bad, command or _command_name(fn), kwargs)
        log = write_crash_log(exc)
        message = _one_line(str(exc)) or "(no message)"
        console.info(f"internal error: {type(exc).__name__}: {message} (details in {log})")
        return EXIT_INTERNAL
    return code or 0


__all__ = ["EXIT_USAGE", "boundary", "cache_dir", "install_signal_handlers", "run_command"]
