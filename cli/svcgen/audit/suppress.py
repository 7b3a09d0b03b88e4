"""Suppressions: ``//svcgen:audit-ignore ID reason`` on or above a finding's
line, and ``.svcgen-audit.yml``::

    ignore:
      - id: LOG001
        path: internal/legacy/*      # a glob, relative to the module root
        reason: legacy package, removed in Q3

A reason is required; an inline comment without one suppresses nothing (and
is reported as a notice), a file entry without one is bad input.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

from svcgen.audit.model import CHECKS, Finding
from svcgen.errors import InputFileError, Location

CONFIG_FILE = ".svcgen-audit.yml"
INLINE = re.compile(r"(?://|#)\s*svcgen:audit-ignore\s+([A-Z0-9_,]+)(?:[ \t]+(\S.*?))?\s*$")


@dataclass(frozen=True)
class Rule:
    id: str
    path: str
    reason: str


def load_rules(root: Path) -> list[Rule]:
    path = root / CONFIG_FILE
    if not path.is_file():
        return []
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        doc = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except (OSError, YAMLError) as exc:
        raise InputFileError(f"cannot read: {exc}", where=path) from exc
    if doc is None:
        return []
    if not isinstance(doc, dict) or set(doc) - {"ignore"}:
        raise InputFileError(
            "must be a mapping with one key, 'ignore'",
            where=path,
            fix="ignore: [{id: CHECK, path: GLOB, reason: WHY}]",
        )
    rules = []
    for entry in doc.get("ignore") or []:
        line = entry.lc.line + 1 if hasattr(entry, "lc") else None
        where = Location(path, line)
        if not isinstance(entry, dict):
            raise InputFileError("each ignore entry must be {id, path, reason}", where=where)
        check = str(entry.get("id", ""))
        if check not in CHECKS:
            raise InputFileError(
                f"unknown check id {check!r}", where=where, fix="see `svcgen audit --help`"
            )
        reason = str(entry.get("reason") or "").strip()
        if not reason:
            raise InputFileError(
                f"ignore entry for {check} has no reason",
                where=where,
                fix="add reason: <why this finding is acceptable>",
            )
        rules.append(Rule(check, str(entry.get("path") or "*"), reason))
    return rules


class Lines:
    """Reads source lines on demand (cached per file)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, list[str]] = {}

    def get(self, rel: str) -> list[str]:
        if rel not in self._cache:
            try:
                text = (self.root / rel).read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            self._cache[rel] = text.splitlines()
        return self._cache[rel]

    def line(self, rel: str, n: int) -> str:
        lines = self.get(rel)
        return lines[n - 1] if 0 < n <= len(lines) else ""


def inline_reason(lines: Lines, f: Finding, notices: list[str]) -> str | None:
    for n in (f.line, f.line - 1):
        m = INLINE.search(lines.line(f.file, n))
        if not m or f.id not in m.group(1).split(","):
            continue
        if not m.group(2):
            notices.append(
                f"{f.file}:{n}: svcgen:audit-ignore {f.id} has no reason and suppresses nothing"
            )
            return None
        return m.group(2)
    return None


def apply(
    root: Path, findings: list[Finding], rules: list[Rule], notices: list[str]
) -> tuple[list[Finding], list[Finding]]:
    """Split findings into (active, suppressed); fills snippets."""
    lines = Lines(root)
    active, suppressed = [], []
    for f in findings:
        if not f.missing_file:
            f.snippet = lines.line(f.file, f.line).strip()
        reason = inline_reason(lines, f, notices)
        kind = "inSource"
        if reason is None:
            kind = "external"
            reason = next(
                (r.reason for r in rules if r.id == f.id and fnmatch.fnmatch(f.file, r.path)),
                None,
            )
        if reason is None:
            active.append(f)
        else:
            f.suppressed, f.suppressed_kind = reason, kind
            suppressed.append(f)
    return active, suppressed
