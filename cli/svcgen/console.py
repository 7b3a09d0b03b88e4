"""All of svcgen's terminal output goes through here.

Results go to stdout (tables, TSV rows, diffs, ``--json`` reports);
diagnostics (errors, warnings, progress, the summary line) go to stderr, so
that stdout stays machine-readable.

Three audiences, one set of functions:

* a person at a terminal gets an aligned table (never folded: a path or a
  ``file:line:col`` is always one unbroken run of characters) and colour
  (off under ``NO_COLOR`` or when the stream is not a terminal);
* a pipe (stdout not a terminal, no ``--json``) gets plain tab-separated
  rows: a header line, then one line per service or file, like ``gh``;
* a script passing ``--json`` gets the one report document of
  :mod:`svcgen.report`.

A closed stdout (``svcgen check | head -1``) is not an error: the rest of the
output is dropped and the command ends with its own exit code.

This module imports only the standard library, so ``svcgen --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

#: SGR codes of the status words (first word of a status label).
STATUS_STYLES = {
    "changed": "33",
    "updated": "32",
    "unchanged": "2",
    "up": "2",  # "up to date"
    "up-to-date": "2",
    "skipped": "36",
    "conflicts": "35",
    "behind": "33",
    "ahead": "36",
    "refused": "31",
    "error": "1;31",
    "created": "32",
    "adopted": "32",
    "added": "32",
    "ok": "32",
    "would": "33",
    "needs": "33",
    "pass": "32",
    "fail": "1;31",
    "unresolved": "35",
}

_stdout_closed = False


def _color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (ValueError, AttributeError):
        return False


def _paint(text: str, sgr: str, stream: TextIO) -> str:
    if not sgr or not text or not _color(stream):
        return text
    return f"\x1b[{sgr}m{text}\x1b[0m"


def _drop_stdout() -> None:
    """stdout was closed by the reader: send whatever follows to /dev/null, so
    that neither later prints nor the interpreter's final flush fail."""
    global _stdout_closed  # noqa: PLW0603 - one process-wide fact
    _stdout_closed = True
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _write(stream: TextIO, text: str) -> None:
    if stream is sys.stdout and _stdout_closed:
        return
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        if stream is sys.stdout:
            _drop_stdout()
        # a closed stderr: nothing left to tell anyone


def out(text: str = "") -> None:
    """One line on stdout, as is."""
    _write(sys.stdout, text + "\n")


def _err(text: str) -> None:
    _write(sys.stderr, text + "\n")


def stdout() -> Any:
    """A rich Console on the current sys.stdout, for output that needs rich
    (imported here, not at start-up). Prefer the plain functions below."""
    from rich.console import Console

    return Console(file=sys.stdout, highlight=False, soft_wrap=True)


def stderr() -> Any:
    """A rich Console on the current sys.stderr, for diagnostics that need rich."""
    from rich.console import Console

    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


def is_terminal() -> bool:
    """Is stdout a terminal (a person), rather than a pipe or a file?"""
    try:
        return sys.stdout.isatty()
    except (ValueError, AttributeError):
        return False


def error(message: str) -> None:
    _err(_paint("error: ", "1;31", sys.stderr) + message)


def warning(message: str) -> None:
    _err(_paint("warning: ", "33", sys.stderr) + message)


def info(message: str) -> None:
    _err(message)


def item_error(where: str, message: str) -> None:
    """One item's error on stderr: ``SERVICE: message`` or ``FILE:LINE:COL: message``."""
    _err(f"{where}: {message}" if where else message)


def success(message: str) -> None:
    _write(sys.stdout, _paint(message, "32", sys.stdout) + "\n")


def plain(message: str) -> None:
    out(message)


def print_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout, nothing else."""
    import json

    _write(sys.stdout, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def status_style(status: str) -> str:
    return STATUS_STYLES.get(status.split(" ", 1)[0].split("(", 1)[0], "")


def _cell_lines(cell: object) -> list[str]:
    return str(cell).splitlines() or [""]


def table(
    title: str, columns: Sequence[str], rows: Iterable[Sequence[object]], status_col: int = 1
) -> None:
    """An aligned table on stdout. Cells are never folded or cut: the last
    column runs to the end of the line, and a multi-line cell continues on
    the next lines in its own column."""
    listed = [list(r) for r in rows]
    cells = [[_cell_lines(c) for c in r] for r in listed]
    widths = [
        max([len(col), *(len(line) for r in cells for line in r[i])])
        for i, col in enumerate(columns)
    ]
    last = len(columns) - 1
    stream = sys.stdout
    lines = []
    if title:
        lines.append(_paint(title, "3", stream))
    header = "  ".join(
        c if i == last else c.ljust(w) for i, (c, w) in enumerate(zip(columns, widths, strict=True))
    )
    lines.append(_paint(header, "1", stream))
    for row in cells:
        height = max(len(c) for c in row)
        for n in range(height):
            parts = []
            for i, (cell, w) in enumerate(zip(row, widths, strict=True)):
                text = cell[n] if n < len(cell) else ""
                shown = text if i == last else text.ljust(w)
                if i == status_col and n == 0:
                    shown = _paint(shown, status_style(text), stream)
                parts.append(shown)
            lines.append("  ".join(parts).rstrip())
    _write(stream, "\n".join(lines) + "\n")


#: kept for callers that chose the hand layout for long tables; it is the only layout now
long_table = table


def _tsv_cell(cell: object) -> str:
    return " ".join(str(cell).split("\n")).replace("\t", " ")


def tsv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Tab-separated rows on stdout: a header, then one line per row."""
    lines = ["\t".join(columns)]
    lines += ["\t".join(_tsv_cell(c) for c in row) for row in rows]
    _write(sys.stdout, "\n".join(lines) + "\n")


def rows(
    title: str, columns: Sequence[str], data: Sequence[Sequence[object]], status_col: int = 1
) -> None:
    """A table for a person, TSV rows for a pipe."""
    if is_terminal():
        table(title, columns, data, status_col)
    else:
        tsv(columns, data)


def diff(text: str) -> None:
    """Print a unified diff byte for byte (tabs, trailing spaces and missing final
    newlines kept, so that the output applies with ``git apply``); coloured with
    plain ANSI codes only when stdout is a colour terminal."""
    if not text:
        return
    stream = sys.stdout
    if not _color(stream):
        _write(stream, text)
        return
    colours = (("+++", "1"), ("---", "1"), ("+", "32"), ("-", "31"), ("@@", "36"))
    out = []
    for line in text.splitlines(keepends=True):
        code = next((c for prefix, c in colours if line.startswith(prefix)), "")
        body, end = (line[:-1], "\n") if line.endswith("\n") else (line, "")
        out.append(_paint(body, code, stream) + end if code else line)
    _write(stream, "".join(out))


def _plural(n: int, noun: str) -> str:
    if n == 1:
        return f"1 {noun}"
    if noun.endswith("y") and not noun.endswith(("ey", "ay")):
        return f"{n} {noun[:-1]}ies"
    return f"{n} {noun}s"


#: status words that read as a count of things ("1 conflict", "2 conflicts")
_COUNTED = {"conflicts": "conflict", "would conflict": "would conflict", "error": "error"}


def _status_words() -> frozenset[str]:
    from svcgen.report import STATUSES

    return STATUSES


def summary_line(noun: str, summary: Mapping[str, Any]) -> str:
    """``18 services: 15 updated, 2 up to date, 1 conflict``."""
    total = int(summary.get("total", 0))
    parts = []
    for status, count in summary.items():
        if status == "total" or type(count) is not int or not count:
            continue
        if status not in _status_words():
            continue  # not a status: a command's own fact (patch-config's with_created_keys)
        if status in _COUNTED:
            parts.append(_plural(count, _COUNTED[status]))
        else:
            parts.append(f"{count} {status}")
    head = _plural(total, noun)
    return f"{head}: {', '.join(parts)}" if parts else head


def report(
    doc: Mapping[str, Any],
    *,
    json_out: bool,
    title: str,
    columns: Sequence[str],
    data: Sequence[Sequence[object]],
    noun: str,
    status_col: int = 1,
) -> None:
    """Print one command's results: the ``--json`` document, or the per-item
    error lines on stderr, the table (terminal) or TSV rows (pipe) on stdout,
    and the summary line on stderr."""
    if json_out:
        print_json(doc)
        return
    rows(title, columns, data, status_col)
    for err in doc.get("errors", []):
        item_error(error_where(err), err["message"])
    for item in doc.get("items", []):  # not errors, but nothing was done: say why
        if item.get("status") == "refused" and item.get("message"):
            item_error(item["name"], f"refused: {item['message']}")
    line = summary_line(noun, doc.get("summary", {}))
    info(line + " (dry run: nothing written)" if doc.get("dry_run") else line)


def error_where(err: Mapping[str, Any]) -> str:
    """``FILE:LINE:COL`` of a report error, or its service name."""
    if err.get("path") and err.get("line"):
        where = f"{err['path']}:{err['line']}"
        if err.get("column"):
            where += f":{err['column']}"
        return where
    return str(err.get("name") or err.get("path") or "")


def _now() -> float:
    import time

    return time.monotonic()


class _Progress:
    """``[7/18] svc-07`` on one stderr line, ``dry run`` when it is one, and an
    ETA only once 3 items are done (earlier guesses are noise)."""

    def __init__(self, total: int, dry_run: bool, stream: TextIO) -> None:
        self.total, self.dry_run, self.stream = total, dry_run, stream
        self.done = 0
        self.start = _now()

    def __call__(self, name: str | None = None) -> None:
        self.done += 1
        text = f"[{self.done}/{self.total}]"
        if name:
            text += f" {name}"
        if self.dry_run:
            text += " (dry run)"
        if self.done >= 3 and self.done < self.total:
            left = (_now() - self.start) / self.done * (self.total - self.done)
            text += f" ~{left:.0f}s left"
        _write(self.stream, "\r\x1b[2K" + text)

    def close(self) -> None:
        if self.done:
            _write(self.stream, "\r\x1b[2K")


@contextmanager
def progress(
    description: str = "", total: int = 0, enabled: bool = True, *, dry_run: bool = False
) -> Iterator[Callable[..., None]]:
    """Progress on stderr; yields ``advance(name=None)``, called once per item done.

    A no-op when ``enabled`` is false or stderr is not a terminal.
    """
    del description  # the command's name is on the screen already
    stream = sys.stderr
    try:
        live = enabled and stream.isatty()
    except (ValueError, AttributeError):
        live = False
    if not live:
        yield lambda *_a, **_k: None
        return
    bar = _Progress(total, dry_run, stream)
    try:
        yield bar
    finally:
        bar.close()
