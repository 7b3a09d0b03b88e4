"""Audit one service or a fleet: run the checks, suppress, score."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from svcgen.audit import driver, repo, suppress
from svcgen.audit.model import (
    CATEGORIES,
    CHECKS,
    DEDUCTION,
    GO_CHECKS,
    CategoryScore,
    Finding,
    ServiceResult,
)
from svcgen.errors import SvcgenError, UsageError


@dataclass(frozen=True)
class Options:
    only: tuple[str, ...] | None = None
    config_glob: str = repo.DEFAULT_CONFIG_GLOB
    fail_under: float = 0.0

    @property
    def ids(self) -> tuple[str, ...]:
        return self.only if self.only is not None else tuple(CHECKS)


def parse_only(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    ids = tuple(dict.fromkeys(p.strip().upper() for p in text.split(",") if p.strip()))
    unknown = [i for i in ids if i not in CHECKS]
    if unknown or not ids:
        raise UsageError(
            f"--only: unknown check {unknown[0] if unknown else '(none given)'}",
            fix="known checks: " + ", ".join(CHECKS),
        )
    return ids


def module_root(path: Path) -> Path:
    """``path`` or its nearest parent that holds a go.mod."""
    start = path.resolve()
    if not start.exists():
        raise UsageError("no such directory", where=path)
    if start.is_file():
        start = start.parent
    for d in (start, *start.parents):
        if (d / "go.mod").is_file():
            return d
    raise UsageError(
        "not a Go module: no go.mod here or in any parent directory",
        where=path,
        fix="pass the service's module root (the directory with go.mod)",
    )


def score(findings: Sequence[Finding]) -> tuple[list[CategoryScore], float]:
    cats = []
    for name in CATEGORIES:
        mine = [f for f in findings if f.category == name]
        value = max(0.0, 10.0 - sum(DEDUCTION[f.priority] for f in mine))
        blocker = any(f.priority == "P0" for f in mine)
        if value == 10:
            status = "clean"
        elif value >= 8:
            status = "good"
        elif value >= 5:
            status = "needs work"
        else:
            status = "at risk"
        cats.append(CategoryScore(name, round(value, 1), status, blocker, len(mine)))
    overall = round(sum(c.score for c in cats) / len(cats), 1)
    return cats, overall


def passed(result: ServiceResult, opts: Options) -> bool:
    return result.error is None and result.p0 == 0 and result.score >= opts.fail_under


def audit_service(binary: Path | None, name: str, path: Path, opts: Options) -> ServiceResult:
    """Audit one module. Errors of this service are recorded on the result."""
    result = ServiceResult(name=name, path=str(path), root=str(path), checks=opts.ids)
    try:
        root = module_root(path)
        result.root = str(root)
        rules = suppress.load_rules(root)
        ids = set(opts.ids)
        findings: list[Finding] = []
        go_ids = [i for i in opts.ids if i in GO_CHECKS]
        running, out, cache_key = None, None, None
        if go_ids and binary is not None:
            only = go_ids if opts.only is not None else None
            if driver.cache_enabled():
                cache_key = driver.result_key(binary, root, only)
                out = driver.load_cached(cache_key)
            if out is None:
                running = driver.Running(binary, root, only)
        try:
            repo_findings = repo.run_repo_checks(root, ids, opts.config_glob)
        except BaseException:
            if running is not None:
                running.kill()
            raise
        if running is not None:
            out = running.result()
            if cache_key is not None:
                driver.store(cache_key, out)
        if out is not None:
            findings += [
                Finding(d["id"], d["file"], int(d["line"]), int(d["col"]), d["message"])
                for d in out.findings
                if d["id"] in ids
            ]
            if out.skipped:
                checks = sorted({c for s in out.skipped for c in s["checks"]})
                reason = out.skipped[0].get("reason") or "types unavailable"
                result.notices.append(
                    f"{name}: skipped {', '.join(checks)} (they need types) in "
                    f"{len(out.skipped)} of {out.packages} packages: {reason}"
                )
        findings += repo_findings
        active, hidden = suppress.apply(root, findings, rules, result.notices)
        key = lambda f: (f.priority, f.file, f.line, f.col, f.id)  # noqa: E731
        result.findings = sorted(active, key=key)
        result.suppressed = sorted(hidden, key=key)
    except SvcgenError as exc:
        result.error = exc.message
    except driver.DriverError as exc:
        result.error = f"{path}: the analyzers failed: {exc}"
    result.categories, result.score = score(result.findings)
    return result


def audit_all(
    targets: Sequence[tuple[str, Path]], opts: Options, jobs: int = 1
) -> list[ServiceResult]:
    """Audit every (name, path); builds the analyzers first when needed."""
    binary = driver.ensure_built() if any(i in GO_CHECKS for i in opts.ids) else None
    if jobs <= 1 or len(targets) <= 1:
        return [audit_service(binary, n, p, opts) for n, p in targets]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda t: audit_service(binary, t[0], t[1], opts), targets))
