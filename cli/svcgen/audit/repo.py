"""The repository-file checks: RL001 (production config), LINT001
(.golangci.yml), CI001 (CI quality gates), K8S001 (probes).

Each returns findings with 1-based line/column; a missing file is reported
at ``go.mod:1:1``. YAML is read with ruamel.yaml (round-trip, for positions).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from svcgen.audit.model import Finding

DEFAULT_CONFIG_GLOB = "configs/*prod*.yaml"


def _yaml() -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="rt")


def _load_all(path: Path) -> list[Any] | None:
    from ruamel.yaml.error import YAMLError

    try:
        return list(_yaml().load_all(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, YAMLError, ValueError):
        return None


def _pos(node: Any, key: Any = None) -> tuple[int, int]:
    lc = getattr(node, "lc", None)
    if lc is None:
        return 1, 1
    if key is not None:
        try:
            line, col = lc.key(key)
            return line + 1, col + 1
        except (KeyError, TypeError, AttributeError):
            pass
    return lc.line + 1, lc.col + 1


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


# ---- RL001 -----------------------------------------------------------------


def check_ratelimit(root: Path, config_glob: str = DEFAULT_CONFIG_GLOB) -> list[Finding]:
    """A production config with a ``middleware.ratelimit`` block must set
    ``fail_closed: true``. A config without a rate limiter is not flagged."""
    out: list[Finding] = []
    paths = sorted(
        set(root.glob(config_glob)) | set(root.glob(config_glob.replace(".yaml", ".yml")))
    )
    for path in paths:
        docs = _load_all(path)
        if not docs or not isinstance(docs[0], dict):
            continue
        doc = docs[0]
        mw = doc.get("middleware")
        rl = mw.get("ratelimit") if isinstance(mw, dict) else None
        if not isinstance(rl, dict):
            continue
        value = rl.get("fail_closed")
        if value is True:
            continue
        if "fail_closed" in rl:
            line, col = _pos(rl, "fail_closed")
            msg = (
                f"middleware.ratelimit.fail_closed is {value!r}: "
                "the limiter fails open when Redis is down"
            )
        else:
            line, col = _pos(mw, "ratelimit")
            msg = (
                "middleware.ratelimit has no fail_closed: the limiter fails open when Redis is down"
            )
        out.append(Finding("RL001", _rel(root, path), line, col, msg))
    return out


# ---- LINT001 ---------------------------------------------------------------

REVIEW_LINTERS = (
    "errcheck",
    "gosec",
    "govet",
    "staticcheck",
    "ineffassign",
    "unused",
    "gocyclo",
    "gocognit",
    "nestif",
    "goconst",
    "dupl",
    "misspell",
)
THRESHOLDS = {"gocyclo": 15, "gocognit": 20, "nestif": 4}
LINT_FILES = (".golangci.yml", ".golangci.yaml")


def check_golangci(root: Path) -> list[Finding]:
    path = next((root / n for n in LINT_FILES if (root / n).is_file()), None)
    if path is None:
        if any((root / n).is_file() for n in (".golangci.toml", ".golangci.json")):
            return []
        return [
            Finding(
                "LINT001",
                "go.mod",
                1,
                1,
                "no .golangci.yml: lint rules differ per service",
                missing_file=True,
            )
        ]
    docs = _load_all(path)
    rel = _rel(root, path)
    if not docs or not isinstance(docs[0], dict):
        return [Finding("LINT001", rel, 1, 1, "unreadable .golangci.yml")]
    doc = docs[0]
    raw = doc.get("linters")
    linters: dict[str, Any] = raw if isinstance(raw, dict) else {}
    enabled = {str(x) for x in (linters.get("enable") or [])}
    disabled = {str(x) for x in (linters.get("disable") or [])}
    if linters.get("default") == "all" or linters.get("enable-all") is True:
        enabled = set(REVIEW_LINTERS) - disabled
    problems = [f"{name} not enabled" for name in REVIEW_LINTERS if name not in enabled]
    settings = linters.get("settings") or doc.get("linters-settings") or {}
    for name, limit in THRESHOLDS.items():
        if name not in enabled:
            continue
        conf = settings.get(name) if isinstance(settings, dict) else None
        value = conf.get("min-complexity") if isinstance(conf, dict) else None
        # golangci-lint's defaults: gocyclo 30, gocognit 30, nestif 5.
        if not isinstance(value, int) or value > limit:
            problems.append(
                f"{name} min-complexity {value if value is not None else 'default'} > {limit}"
            )
    if not problems:
        return []
    line, col = _pos(doc, "linters") if "linters" in doc else (1, 1)
    return [Finding("LINT001", rel, line, col, "golangci-lint config: " + "; ".join(problems))]


# ---- CI001 -----------------------------------------------------------------

GATES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("tests", re.compile(r"\bgo test\b|gotestsum|make test")),
    ("golangci-lint", re.compile(r"golangci-lint|golangci/golangci-lint-action")),
    ("gosec", re.compile(r"\bgosec\b")),
    ("govulncheck", re.compile(r"govulncheck")),
    ("secret scan", re.compile(r"(?i)gitleaks|trufflehog|detect-secrets|secret[-_ ]detection")),
    ("benchmark regression", re.compile(r"benchstat|bench-compare|benchmark-action|-bench\b")),
)
COVERAGE_NUMBER = re.compile(r"\b(8\d|9\d|100)(\.\d+)?\b")


def _scalars(node: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(key, text) for every scalar of a YAML tree, keys included."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield str(k), str(k)
            yield from _scalars(v, str(k))
    elif isinstance(node, list):
        for v in node:
            yield from _scalars(v, key)
    elif node is not None:
        yield key, str(node)


def _missing_gates(files: list[Path]) -> list[str]:
    pairs: list[tuple[str, str]] = []
    for f in files:
        for doc in _load_all(f) or []:
            pairs.extend(_scalars(doc))
    text = "\n".join(t for _, t in pairs)
    coverage = any(
        ("cover" in k.lower() or "cover" in t.lower()) and COVERAGE_NUMBER.search(t)
        for k, t in pairs
    )
    missing = []
    for name, rx in GATES:
        if not rx.search(text):
            missing.append(name)
        if name == "tests" and not coverage:
            missing.append("coverage >= 80%")
    return missing


def check_ci(root: Path) -> list[Finding]:
    gitlab = root / ".gitlab-ci.yml"
    workflows = (
        sorted(
            p for p in (root / ".github" / "workflows").glob("*") if p.suffix in (".yml", ".yaml")
        )
        if (root / ".github" / "workflows").is_dir()
        else []
    )
    providers = []
    if gitlab.is_file():
        providers.append((gitlab, [gitlab]))
    if workflows:
        providers.append((workflows[0], workflows))
    if not providers:
        return [
            Finding(
                "CI001",
                "go.mod",
                1,
                1,
                "no CI pipeline (.gitlab-ci.yml or .github/workflows/)",
                missing_file=True,
            )
        ]
    out = []
    for first, files in providers:
        missing = _missing_gates(files)
        if missing:
            out.append(Finding("CI001", _rel(root, first), 1, 1, "CI lacks: " + ", ".join(missing)))
    return out


# ---- K8S001 ----------------------------------------------------------------

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}
SKIP_DIRS = {".git", "vendor", "node_modules", ".github", "testdata"}


def _yaml_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).parts
        if any(p in SKIP_DIRS or p.startswith(".") for p in rel[:-1]):
            continue
        if path.suffix in (".yaml", ".yml") and path.is_file():
            yield path


def check_k8s(root: Path) -> list[Finding]:
    out = []
    for path in _yaml_files(root):
        try:
            head = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "kind:" not in head or "{{" in head:
            continue
        for doc in _load_all(path) or []:
            if not isinstance(doc, dict) or doc.get("kind") not in WORKLOADS:
                continue
            spec = ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}
            for c in spec.get("containers") or []:
                if not isinstance(c, dict):
                    continue
                live, ready = c.get("livenessProbe"), c.get("readinessProbe")
                name = c.get("name", "?")
                problem = None
                if live is None or ready is None:
                    which = [
                        n
                        for n, p in (("livenessProbe", live), ("readinessProbe", ready))
                        if p is None
                    ]
                    problem = f"container {name!r} has no {' or '.join(which)}"
                elif _plain(live) == _plain(ready):
                    problem = f"container {name!r} uses the same check for liveness and readiness"
                if problem:
                    line, col = _pos(c)
                    out.append(Finding("K8S001", _rel(root, path), line, col, problem))
    return out


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def run_repo_checks(root: Path, ids: set[str], config_glob: str) -> list[Finding]:
    out: list[Finding] = []
    if "RL001" in ids:
        out += check_ratelimit(root, config_glob)
    if "LINT001" in ids:
        out += check_golangci(root)
    if "CI001" in ids:
        out += check_ci(root)
    if "K8S001" in ids:
        out += check_k8s(root)
    return out
