"""patch-config's ``--json`` document (the shared shape of :mod:`svcgen.report`)
and the one-line summaries the command prints. Pure data: nothing prints."""

from __future__ import annotations

from typing import Any

from svcgen.patching.runner import Report


def item_status(status: str, *, written: bool, check: bool, dry_run: bool) -> str:
    """A file's status in the report vocabulary."""
    if status != "changed":
        return status
    if check:
        return "needs change"
    if dry_run or not written:
        return "would change"
    return "changed"


def with_created(report: Report) -> int:
    """How many files a set/merge gave a new top-level key or a new map."""
    return sum(bool(r.created) for r in report.results if r.status == "changed")


def to_json(report: Report, *, check: bool = False, dry_run: bool = False) -> dict[str, Any]:
    """The ``--json`` document: one item per file, with ``changes`` (each key
    ``created``, ``replaced`` or ``removed``, with ``line`` and ``column``) and
    ``created`` (new top-level keys and maps: check them for typos), with
    ``did_you_mean`` (created path: the existing key it probably meant) when a
    close existing key is found."""
    from svcgen import report as shared

    items = []
    for r in report.results:
        extra: dict[str, Any] = {"changes": r.changes, "created": r.created}
        if r.did_you_mean:
            extra["did_you_mean"] = r.did_you_mean
        if r.status == "changed" and report.written and not report.write_error and r.write_mode:
            extra["written"] = "in place" if r.write_mode.startswith("in place") else "replaced"
        items.append(
            shared.Item(
                name=r.path,
                path=r.path,
                # after a failed write phase every other changed file was restored
                status=item_status(
                    r.status,
                    written=report.written and not report.write_error,
                    check=check,
                    dry_run=dry_run,
                ),
                message=r.detail,
                diff=r.diff,
                extra=extra,
            )
        )
    summary: dict[str, Any] = shared.summarize(items)
    summary["with_created_keys"] = with_created(report)
    summary["written"] = report.written
    errors = []
    if report.write_error:  # the run's own failure first, then each file's
        errors.append(shared.ReportError(message=report.write_error))
    errors += shared.patch_errors(items)
    return shared.build(
        "patch-config", items, dry_run=dry_run, errors=errors, with_diff=dry_run, summary=summary
    )


def created_note(report: Report, strict_hint: bool = True) -> str:
    """The summary line for files that got new top-level keys or maps ("" if none)."""
    n = with_created(report)
    if not n:
        return ""
    what = "would create" if not report.written else "created"
    text = (
        f"{n} of {len(report.results)} files {what} a new top-level key or map "
        "(see 'created' above): check the paths for typos"
    )
    if strict_hint:
        text += "; --strict-paths makes this an error"
    return text
