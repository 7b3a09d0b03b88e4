"""One small module per command. A command maps its flags onto a call into
core code and prints the result through ``svcgen.console``; the
:func:`boundary` decorator is the single place where errors become exit codes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer

from svcgen import console
from svcgen.errors import SvcgenError

P = ParamSpec("P")
R = TypeVar("R")


def boundary(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn :class:`SvcgenError` into a one-line message on stderr and its exit code."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except SvcgenError as exc:
            console.error(exc.message)
            raise typer.Exit(exc.exit_code) from exc
        except KeyboardInterrupt:
            console.error("interrupted")
            raise typer.Exit(130) from None

    return wrapper
