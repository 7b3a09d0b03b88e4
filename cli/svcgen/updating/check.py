"""``svcgen check``: each service's template version against the newest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from svcgen import vcs
from svcgen.errors import SvcgenError, TemplateError, UsageError
from svcgen.updating.source import read_answers, resolve_source
from svcgen.updating.update import Target

CheckStatus = Literal["up-to-date", "behind", "ahead", "error"]


@dataclass
class CheckResult:
    name: str
    path: str
    status: CheckStatus
    current: str | None = None
    newest: str | None = None
    template: str | None = None
    message: str = ""

    @property
    def label(self) -> str:
        if self.status == "behind":
            return f"behind {self.current} → {self.newest}"
        return self.status

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["label"] = self.label
        return data


def exit_code(results: Sequence[CheckResult]) -> int:
    """2 when a service could not be checked; else 1 when any is behind; else 0."""
    if any(r.status == "error" for r in results):
        return 2
    return 1 if any(r.status == "behind" for r in results) else 0


def check_all(targets: Sequence[Target]) -> list[CheckResult]:
    newest_by_source: dict[str, str | None] = {}
    results = []
    for target in targets:
        result = CheckResult(name=target.name, path=str(target.path), status="error")
        try:
            _check(target, result, newest_by_source)
        except SvcgenError as exc:
            result.message = exc.message
        results.append(result)
    return results


def _check(target: Target, result: CheckResult, cache: dict[str, str | None]) -> None:
    if not target.path.is_dir():
        raise UsageError("no such directory", where=target.path)
    answers = read_answers(target.path.resolve())
    if not answers.src_path or not answers.commit:
        raise TemplateError(
            "the answers file records no template version (_src_path/_commit)",
            where=answers.path,
        )
    result.template, result.current = answers.src_path, answers.commit
    if answers.src_path not in cache:
        cache[answers.src_path] = vcs.newest_version_tag(vcs.tags(resolve_source(answers.src_path)))
    newest = cache[answers.src_path]
    if newest is None:
        raise TemplateError(f"template {answers.src_path} has no version tags")
    result.newest = newest
    current, latest = vcs.parse_version(answers.commit), vcs.parse_version(newest)
    if current is None or latest is None:
        raise TemplateError(
            f"cannot compare template version {answers.commit!r} with {newest!r}",
            where=answers.path,
        )
    if current == latest:
        result.status = "up-to-date"
    elif current < latest:  # type: ignore[operator]
        result.status = "behind"
    else:
        result.status = "ahead"
