"""``svcgen check``: each service's template version against the newest.

Also reports a service whose tracked files hold committed conflict markers
(``unresolved conflicts``, exit 1) and a service that records a version newer
than its template source has (version skew: ``ahead``, exit 2).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from svcgen import vcs
from svcgen.errors import SvcgenError, TemplateError, UsageError
from svcgen.updating.source import read_answers, resolve_source
from svcgen.updating.update import Target, committed_markers, is_ahead, skew_message

CheckStatus = Literal["up to date", "behind", "ahead", "unresolved conflicts", "error"]


@dataclass
class CheckResult:
    name: str
    path: str
    status: CheckStatus
    current: str | None = None
    newest: str | None = None
    template: str | None = None
    message: str = ""
    unresolved: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.status == "behind":
            return f"behind {self.current} → {self.newest}"
        return self.status

    def extra(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "current": self.current,
            "newest": self.newest,
            "template": self.template,
            "unresolved": self.unresolved,
        }


def exit_code(results: Sequence[CheckResult]) -> int:
    """2 a service could not be checked or is ahead (version skew); else 1 when any
    is behind or has unresolved conflicts; else 0."""
    if any(r.status in ("error", "ahead") for r in results):
        return 2
    return 1 if any(r.status in ("behind", "unresolved conflicts") for r in results) else 0


def check_all(
    targets: Sequence[Target],
    jobs: int = 1,
    on_done: Callable[[CheckResult], None] | None = None,
) -> list[CheckResult]:
    """Check every target, ``jobs`` at a time (see :func:`svcgen.fleet.each`);
    results keep the targets' order."""
    from svcgen.fleet import each

    newest = _NewestTags()

    def one(target: Target) -> CheckResult:
        result = CheckResult(name=target.name, path=str(target.path), status="error")
        try:
            _check(target, result, newest)
        except SvcgenError as exc:
            result.status, result.message = "error", exc.message
        return result

    return each(targets, one, jobs, on_done)


class _NewestTags:
    """The newest version tag of each template source, looked up once per run
    (the services of a fleet share one or two templates)."""

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self._found: dict[str, str | None] = {}

    def get(self, src_path: str) -> str | None:
        with self._lock:
            if src_path not in self._found:
                tags = vcs.tags(resolve_source(src_path))
                self._found[src_path] = vcs.newest_version_tag(tags)
            return self._found[src_path]


def _check(target: Target, result: CheckResult, newest_tags: _NewestTags) -> None:
    if not target.path.is_dir():
        raise UsageError("no such directory", where=target.path)
    path = target.path.resolve()
    answers = read_answers(path)
    if not answers.src_path or not answers.commit:
        raise TemplateError(
            "the answers file records no template version (_src_path/_commit)",
            where=answers.path,
        )
    result.template, result.current = answers.src_path, answers.commit
    newest = newest_tags.get(answers.src_path)
    if newest is None:
        raise TemplateError(f"template {answers.src_path} has no version tags")
    result.newest = newest
    current, latest = vcs.parse_version(answers.commit), vcs.parse_version(newest)
    if current is None or latest is None:
        raise TemplateError(
            f"cannot compare template version {answers.commit!r} with {newest!r}",
            where=answers.path,
        )
    if is_ahead(answers.commit, newest):
        result.status = "ahead"
        result.message = skew_message(target.name, answers.src_path, newest, answers.commit)
        return
    if vcs.is_work_tree(path):
        markers = committed_markers(path)
        if markers:
            result.status, result.unresolved = "unresolved conflicts", markers
            result.message = "conflict markers in " + ", ".join(markers)
            return
    result.status = "up to date" if current == latest else "behind"
