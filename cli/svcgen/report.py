"""The one ``--json`` report shape shared by every command.

Every command that takes ``--json`` prints exactly one document::

    {
      "schema_version": 1,
      "command": "update",            # the svcgen command that ran
      "dry_run": false,
      "summary": {"total": 3, "updated": 2, "up to date": 1},
      "items": [ {...}, ... ],        # one per service or file
      "errors": [ {...}, ... ]        # input errors, per-item errors
    }

An item always has ``name``, ``path`` (as given), ``abs_path``, ``status``
(one word or phrase from :data:`STATUSES`) and ``message``; ``from_version``
and ``to_version`` where a version applies; ``diff`` either always (a string,
possibly empty) or never for one command run. Commands add their own keys
(``conflicts``, ``branch``, ``findings``, ...) beside these.

Pure data: no printing, no rich. ``docs/json-output.md`` documents it and
``docs/json-output.schema.json`` is its JSON Schema.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1

# One status vocabulary across commands. Dry runs and --check use the
# conditional forms ("would update", "needs change").
STATUSES = frozenset(
    {
        # update / check / adopt / new
        "updated",
        "would update",
        "up to date",
        "behind",
        "ahead",
        "conflicts",
        "unresolved conflicts",
        "adopted",
        "would adopt",
        "created",
        "would create",
        # patch-config
        "changed",
        "would change",
        "needs change",
        "unchanged",
        # campaigns
        "no change",
        "committed",
        "pushed",
        # audit
        "pass",
        "fail",
        # any command
        "skipped",
        "refused",
        "error",
    }
)


@dataclass
class Item:
    """One service or file in a report."""

    name: str
    path: str
    status: str
    message: str = ""
    from_version: str | None = None
    to_version: str | None = None
    diff: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self, *, with_diff: bool) -> dict[str, Any]:
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} is not in the report vocabulary")
        data: dict[str, Any] = {
            "name": self.name,
            "path": self.path,
            "abs_path": os.path.abspath(self.path),
            "status": self.status,
            "message": self.message,
        }
        if self.from_version is not None or self.to_version is not None:
            data["from_version"] = self.from_version
            data["to_version"] = self.to_version
        if with_diff:
            data["diff"] = self.diff or ""
        data.update(self.extra)
        return data


@dataclass(frozen=True)
class ReportError:
    """An error in a report: an input error (no item) or one item's error."""

    message: str
    name: str | None = None
    path: str | None = None
    line: int | None = None
    column: int | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message": self.message}
        for key in ("name", "path", "line", "column"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


def summarize(items: Iterable[Item]) -> dict[str, int]:
    """``{"total": N, <status>: count, ...}`` in first-seen order."""
    listed = list(items)
    counts = Counter(i.status for i in listed)
    summary: dict[str, int] = {"total": len(listed)}
    for item in listed:
        summary.setdefault(item.status, counts[item.status])
    return summary


def build(
    command: str,
    items: Iterable[Item],
    *,
    dry_run: bool = False,
    errors: Iterable[ReportError] = (),
    with_diff: bool = False,
    summary: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The report document for one command run."""
    listed = list(items)
    errs = list(errors)
    for item in listed:
        if item.status == "error" and not any(e.path == item.path for e in errs):
            errs.append(ReportError(message=item.message, name=item.name, path=item.path))
    return {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "dry_run": dry_run,
        "summary": dict(summary) if summary is not None else summarize(listed),
        "items": [i.to_json(with_diff=with_diff) for i in listed],
        "errors": [e.to_json() for e in errs],
    }


def input_error(command: str, message: str, *, dry_run: bool = False) -> dict[str, Any]:
    """The document printed under ``--json`` when the input itself is bad."""
    return build(command, [], dry_run=dry_run, errors=[ReportError(message=message)])


def display_path(path: Path | str) -> str:
    """A path as the user gave it (kept relative when it was relative)."""
    return str(path)
