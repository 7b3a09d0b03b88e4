"""The one error hierarchy of svcgen.

Core code raises these; it never prints or exits. The CLI boundary
(`svcgen.commands.boundary`) turns them into a one-line message on stderr and
the documented exit code:

* 0: success;
* 1: the operation ran and found problems (pending changes under ``--check``,
  conflicts, a service behind the template);
* 2: bad input or usage; nothing was written;
* 3: internal error (any exception that is not a :class:`SvcgenError`: a bug);
* 130: aborted (Ctrl-C or SIGTERM).

Each error builds its own message from structured fields, so that the text
always names what is wrong, where, and how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_ABORTED = 130


@dataclass(frozen=True)
class Location:
    """Where a problem is: a file and, when known, a 1-based line and column."""

    path: Path | str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        text = str(self.path)
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        return text


def invalid_yaml(path: Path, exc: BaseException) -> tuple[str, Location]:
    """The problem and the place (line and column of its mark, when it has one) of
    a PyYAML error in the file at path."""
    mark = getattr(exc, "problem_mark", None)
    where = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path)
    return f"invalid YAML: {getattr(exc, 'problem', exc)}", where


class SvcgenError(Exception):
    """Base of every error svcgen reports to the user."""

    exit_code: int = EXIT_USAGE

    def __init__(
        self,
        problem: str,
        *,
        where: Location | Path | str | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.where = where
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = f"{self.where}: {self.problem}" if self.where is not None else self.problem
        if self.fix:
            text += f" ({self.fix})"
        return text


class UsageError(SvcgenError):
    """A flag, argument or value given on the command line is invalid."""


class InvalidNameError(UsageError):
    """A service name is not a DNS-1123 label."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"invalid service name {name!r}: must be a DNS-1123 label",
            fix="use lowercase letters, digits and '-', at most 63 characters, "
            "starting with a letter",
        )
        self.name = name


class DestinationError(UsageError):
    """The destination of a render is unusable (not empty, escapes its parent...)."""


class UnknownDataKeyError(UsageError):
    """A ``--data KEY=VALUE`` names a question the template does not have."""

    def __init__(self, key: str, known: list[str]) -> None:
        super().__init__(
            f"unknown --data key {key!r}",
            fix="known keys: " + ", ".join(sorted(known)),
        )
        self.key = key


class TemplateError(SvcgenError):
    """The template source cannot be found, read or rendered."""


class InputFileError(SvcgenError):
    """An input file (config, fleet file, patch file) is invalid."""


class FleetFileError(InputFileError):
    """The fleet file is invalid."""


class VcsError(SvcgenError):
    """A git operation failed."""


class InternalError(SvcgenError):
    """A bug in svcgen: an invariant did not hold. Nothing was written."""

    exit_code = EXIT_INTERNAL

    @property
    def message(self) -> str:
        return "internal error: " + super().message + " (please report this as a bug)"
