"""All of svcgen's terminal output goes through here.

Results go to stdout (tables, diffs, ``--json`` reports); diagnostics
(errors, warnings, progress) go to stderr so that ``--json`` output stays
machine-readable.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

STATUS_STYLES = {
    "changed": "yellow",
    "updated": "green",
    "unchanged": "dim",
    "up-to-date": "dim",
    "up": "dim",
    "would": "green",
    "unresolved": "magenta",
    "ahead": "red",
    "skipped": "cyan",
    "conflicts": "magenta",
    "behind": "yellow",
    "refused": "red",
    "error": "bold red",
    "created": "green",
    "ok": "green",
}


def stdout() -> Console:
    """A console on the current sys.stdout (test runners swap the streams)."""
    return Console(file=sys.stdout, highlight=False, soft_wrap=True)


def stderr() -> Console:
    """A console on the current sys.stderr, for diagnostics."""
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


def error(message: str) -> None:
    stderr().print(Text("error: ", style="bold red") + Text(message))


def warning(message: str) -> None:
    stderr().print(Text("warning: ", style="yellow") + Text(message))


def info(message: str) -> None:
    stderr().print(Text(message))


def success(message: str) -> None:
    stdout().print(Text(message, style="green"))


def plain(message: str) -> None:
    stdout().print(Text(message))


def print_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout, nothing else."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()


def status_text(status: str) -> Text:
    key = status.split(" ", 1)[0].split("(", 1)[0]
    return Text(status, style=STATUS_STYLES.get(key, ""))


def table(
    title: str, columns: Sequence[str], rows: Iterable[Sequence[str]], status_col: int = 1
) -> None:
    """Print a table; the cell in ``status_col`` is coloured by its status word."""
    t = Table(title=title, title_justify="left", show_lines=False)
    for col in columns:
        t.add_column(col, overflow="fold")
    for row in rows:
        cells: list[Text | str] = list(row)
        if 0 <= status_col < len(cells):
            cells[status_col] = status_text(str(row[status_col]))
        t.add_row(*cells)
    stdout().print(t)


def long_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], status_col: int = 1
) -> None:
    """Like :func:`table`, laid out by hand for hundreds of rows (rich's table layout
    costs about a millisecond per row; this prints the rows as one text)."""
    widths = [max([len(c), *(len(str(r[i])) for r in rows)]) for i, c in enumerate(columns)]
    last = len(columns) - 1
    text = Text()
    text.append(title + "\n", style="italic")
    text.append(
        "  ".join(
            c.ljust(w) if i < last else c
            for i, (c, w) in enumerate(zip(columns, widths, strict=True))
        )
        + "\n",
        style="bold",
    )
    for row in rows:
        for i, (cell, w) in enumerate(zip(row, widths, strict=True)):
            shown = str(cell) if i == last else str(cell).ljust(w) + "  "
            if i == status_col:
                text.append_text(status_text(shown))
            else:
                text.append(shown)
        text.append("\n")
    stdout().print(text, end="")


def diff(text: str) -> None:
    """Print a unified diff byte for byte (tabs, trailing spaces and missing final
    newlines kept, so that the output applies with ``git apply``); coloured with
    plain ANSI codes only when stdout is a terminal."""
    if not text:
        return
    if not sys.stdout.isatty():
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    colours = (("+++", "1"), ("---", "1"), ("+", "32"), ("-", "31"), ("@@", "36"))
    out = []
    for line in text.splitlines(keepends=True):
        code = next((c for prefix, c in colours if line.startswith(prefix)), "")
        body, end = (line[:-1], "\n") if line.endswith("\n") else (line, "")
        out.append(f"\x1b[{code}m{body}\x1b[0m{end}" if code else line)
    sys.stdout.write("".join(out))
    sys.stdout.flush()


@contextmanager
def progress(description: str, total: int, enabled: bool = True) -> Iterator[Any]:
    """A progress bar on stderr; yields a callable ``advance()``.

    Disabled (a no-op) when ``enabled`` is false or stderr is not a terminal.
    """
    err = stderr()
    if not enabled or not err.is_terminal:
        yield lambda: None
        return
    from rich.progress import Progress

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)
