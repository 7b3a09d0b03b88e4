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
import re
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
        "added",
        "would add",
        "would conflict",
        # diff
        "removed",
        "created",
        "would create",
        # patch-config
        "changed",
        "would change",
        "needs change",
        "unchanged",
        "rolled back",  # written, then restored after another file failed
        "not written",  # left as it was after another file failed
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


# ---------------------------------------------------------------------------
# Adapters: each command's core results as report items. They read the core
# result objects by attribute only, so the core modules stay free of report
# concerns (and of each other).

_LOCATED = re.compile(r"^(?P<path>.+?):(?P<line>\d+)(?::(?P<column>\d+))?: (?P<message>.*)$", re.S)


def located_error(path: str, message: str, name: str | None = None) -> ReportError:
    """A ReportError, with line and column when ``message`` starts ``FILE:LINE:COL: ``
    (and without the ``FILE: `` it may start with, which ``path`` holds)."""
    m = _LOCATED.match(message)
    if m and m["path"] == path:
        return ReportError(
            message=m["message"],
            name=name,
            path=path,
            line=int(m["line"]),
            column=int(m["column"]) if m["column"] else None,
        )
    if path and message.startswith(path + ": "):  # ``FILE: message``: the path is a field
        message = message[len(path) + 2 :]
    return ReportError(message=message, name=name, path=path)


def _versions(a: Any, b: Any) -> str:
    return f"{a} → {b}" if a or b else ""


def label(item: Item) -> str:
    """The status as a person reads it in a table: ``would update v1.0.0 → v1.1.0``,
    ``conflicts (2 files)``, ``behind v1.0.0 → v2.0.0``."""
    if item.status in ("updated", "would update", "behind"):
        return f"{item.status} {_versions(item.from_version, item.to_version)}".strip()
    if item.status in ("conflicts", "would conflict"):
        n = len(item.extra.get("conflicts", []))
        return f"{item.status} ({n} file{'s' if n != 1 else ''})" if n else item.status
    if item.status == "refused" and item.extra.get("reason"):
        return f"refused ({item.extra['reason']})"
    return item.status


_UPDATE_STATUS = {"up-to-date": "up to date", "updated": "updated"}


def update_items(results: Iterable[Any], *, dry_run: bool) -> list[Item]:
    """``svcgen update`` results (``ServiceResult``) as items."""
    items = []
    for r in results:
        status = _UPDATE_STATUS.get(r.status, r.status)
        if dry_run and status == "updated":
            status = "would update"
        if dry_run and status == "conflicts":
            status = "would conflict"
        extra: dict[str, Any] = dict(r.extra()) if hasattr(r, "extra") else {}
        extra.setdefault("conflicts", list(getattr(r, "conflicts", []) or []))
        extra.setdefault("tasks", list(getattr(r, "tasks", []) or []))
        if status == "refused":
            extra["reason"] = "dirty"
        items.append(
            Item(
                name=r.name,
                path=str(r.path),
                status=status,
                message=r.message or "",
                from_version=r.from_version,
                to_version=r.to_version,
                diff=getattr(r, "diff", None),
                extra=extra,
            )
        )
        items[-1].extra["label"] = label(items[-1])
    return items


def check_items(results: Iterable[Any]) -> list[Item]:
    """``svcgen check`` results (``CheckResult``) as items."""
    return [
        Item(
            name=r.name,
            path=str(r.path),
            status=_UPDATE_STATUS.get(r.status, r.status),
            message=r.message or "",
            from_version=r.current,
            to_version=r.newest,
            extra=dict(r.extra()) if hasattr(r, "extra") else {"template": r.template},
        )
        for r in results
    ]


def patch_items(
    results: Iterable[Any], *, dry_run: bool, check: bool, written: bool = True
) -> list[Item]:
    """``svcgen patch-config`` results (``FileResult``) as items. ``changed``
    only for a file that was written: under ``--check`` it ``needs change``;
    in a dry run, or a run that wrote nothing (another file was invalid), it
    ``would change``."""
    items = []
    for r in results:
        status = r.status
        if status == "changed" and check:
            status = "needs change"
        elif status == "changed" and (dry_run or not written):
            status = "would change"
        items.append(
            Item(
                name=os.path.basename(r.path),
                path=r.path,
                status=status,
                message=r.detail,
                diff=r.diff or "",
                extra={"lines": list(getattr(r, "lines", []) or [])},
            )
        )
    return items


def patch_errors(items: Iterable[Item]) -> list[ReportError]:
    return [located_error(i.path, i.message, i.name) for i in items if i.status == "error"]


def adopt_items(result: Any, *, dry_run: bool) -> list[Item]:
    """``svcgen adopt``'s result (``AdoptResult``): one item per template file."""
    base = str(result.path)
    added = "would add" if dry_run else "added"
    items = [
        Item(name=rel, path=os.path.join(base, rel), status=added, to_version=result.version)
        for rel in result.added
    ]
    items += [
        Item(
            name=rel,
            path=os.path.join(base, rel),
            status="skipped",
            message="exists: merge by hand",
            to_version=result.version,
        )
        for rel in result.skipped
    ]
    return items
