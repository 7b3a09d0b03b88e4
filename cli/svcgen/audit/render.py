"""Reports of an audit: ``--markdown`` (the review's layout), ``--sarif``
(SARIF 2.1.0) and the rows of the terminal tables. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from svcgen import __version__
from svcgen.audit.model import CATEGORIES, CHECKS, Finding, ServiceResult

PRIORITY_TITLES = {
    "P0": "CRITICAL PRIORITY (P0 - Production Blockers)",
    "P1": "HIGH PRIORITY (P1)",
    "P2": "MEDIUM PRIORITY (P2)",
}
SARIF_LEVEL = {"P0": "error", "P1": "warning", "P2": "note"}
DOCS = "docs/audit.md"
SHORT = {
    "Code Quality": "code",
    "Security": "security",
    "Reliability": "reliab.",
    "Performance": "perf.",
    "Observability": "observ.",
    "Resilience": "resil.",
    "Testing": "testing",
}
FLEET_COLUMNS = ("service", "status", *(SHORT[c] for c in CATEGORIES), "overall")


def category_rows(result: ServiceResult) -> list[tuple[str, str, str, str]]:
    return [
        (c.name, f"{c.score:.1f}/10", c.status, "Yes" if c.blocker else "No")
        for c in result.categories
    ]


def fleet_rows(results: Sequence[ServiceResult]) -> list[list[str]]:
    rows = []
    for r in results:
        if r.error is not None:
            rows.append([r.name, "error", *(["-"] * len(CATEGORIES)), "-"])
            continue
        by_name = {c.name: c for c in r.categories}
        rows.append(
            [
                r.name,
                "fail" if r.p0 else "pass",
                *(f"{by_name[c].score:.1f}" for c in CATEGORIES),
                f"{r.score:.1f}",
            ]
        )
    return rows


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(results: Sequence[ServiceResult], fail_under: float = 0.0) -> str:
    out: list[str] = []
    for r in results:
        out.append(f"# {r.name} - Production Readiness Review (svcgen audit)\n")
        if r.error is not None:
            out.append(f"**Error**: {r.error}\n")
            continue
        verdict = "BLOCKED" if r.p0 else ("READY" if r.score >= fail_under else "BELOW BAR")
        out.append(f"**Module**: `{r.root}`  ")
        out.append(f"**Overall Status**: **{verdict}** ({r.score:.1f}/10)\n")
        out.append("## EXECUTIVE SUMMARY\n")
        out.append("| Category | Score | Status | Blocker |")
        out.append("|----------|-------|--------|---------|")
        for name, score, status, blocker in category_rows(r):
            out.append(f"| {name} | {score} | {status} | {blocker} |")
        counts = {p: sum(1 for f in r.findings if f.priority == p) for p in ("P0", "P1", "P2")}
        out.append("")
        out.append(f"**Production Blockers**: {counts['P0']} P0 issues  ")
        out.append(f"**High Priority**: {counts['P1']} P1 issues  ")
        out.append(f"**Medium Priority**: {counts['P2']} P2 issues  ")
        out.append(f"**Suppressed**: {len(r.suppressed)}\n")
        out.append("## PENDING ISSUES\n")
        for prio, title in PRIORITY_TITLES.items():
            mine = [f for f in r.findings if f.priority == prio]
            out.append(f"### {title}\n")
            if not mine:
                out.append(f"No {prio} issues.\n")
            for f in mine:
                out.extend(_md_finding(f))
        if r.suppressed:
            out.append("## SUPPRESSED\n")
            out.append("| ID | Location | Reason |")
            out.append("|----|----------|--------|")
            for f in r.suppressed:
                out.append(f"| {f.id} | `{f.where}` | {_md_escape(f.suppressed or '')} |")
            out.append("")
        out.append("## PASSED\n")
        failing = {f.id for f in r.findings} | {f.id for f in r.suppressed}
        for cid in r.checks:
            if cid not in failing:
                c = CHECKS[cid]
                out.append(f"- **{c.id}** ({c.priority}, {c.category}): no {c.title}")
        out.append("")
        for n in r.notices:
            out.append(f"> {n}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _md_finding(f: Finding) -> list[str]:
    c = f.check
    lang = {".go": "go", ".yml": "yaml", ".yaml": "yaml"}.get(Path(f.file).suffix, "text")
    evidence = (
        ["**Evidence**: the file does not exist.\n"]
        if f.missing_file
        else ["**Current Implementation** (WRONG):", f"```{lang}", f.snippet, "```\n"]
    )
    return [
        f"#### **[{f.id}] {c.title}**",
        f"**Category**: {c.category}  ",
        f"**Review item**: {c.review}  ",
        f"**File**: `{f.where}`\n",
        *evidence,
        f"**Problem**: {f.message}  ",
        f"**Required Fix**: {c.fix}\n",
    ]


def sarif(results: Sequence[ServiceResult]) -> dict[str, Any]:
    ids = list(CHECKS)
    rules = [
        {
            "id": c.id,
            "name": c.id,
            "shortDescription": {"text": c.title},
            "fullDescription": {"text": f"{c.title} (review item {c.review})"},
            "help": {"text": f"Fix: {c.fix}. See {DOCS}#{c.id.lower()}."},
            "defaultConfiguration": {"level": SARIF_LEVEL[c.priority]},
            "properties": {"priority": c.priority, "category": c.category, "tags": [c.category]},
        }
        for c in CHECKS.values()
    ]
    runs = []
    for r in results:
        results_json = [_sarif_result(f, ids.index(f.id)) for f in [*r.findings, *r.suppressed]]
        runs.append(
            {
                "tool": {
                    "driver": {
                        "name": "svcgen-audit",
                        "version": __version__,
                        "informationUri": "https://gitlab.com/ta-microservices/svcgen",
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"svcgen-audit/{r.name}/"},
                "originalUriBaseIds": {"SRCROOT": {"uri": Path(r.root).resolve().as_uri() + "/"}},
                "results": results_json,
            }
        )
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": runs,
    }


def _sarif_result(f: Finding, index: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ruleId": f.id,
        "ruleIndex": index,
        "level": SARIF_LEVEL[f.priority],
        "message": {"text": f"{f.message}. Fix: {f.check.fix}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": f.file, "uriBaseId": "SRCROOT"},
                    "region": {"startLine": max(f.line, 1), "startColumn": max(f.col, 1)},
                }
            }
        ],
        "partialFingerprints": {"svcgenAudit/v1": f"{f.id}:{f.file}:{f.snippet}"},
    }
    if f.suppressed is not None:
        data["suppressions"] = [
            {"kind": f.suppressed_kind or "inSource", "justification": f.suppressed}
        ]
    return data
