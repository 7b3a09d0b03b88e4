"""Helpers for the observability-pack and CI-gate tests of the go-service template."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from service_helpers import render_files

ALL_FEATURES: tuple[str, ...] = ("ratelimit", "auth", "tracing", "httpclient", "worker", "postgres")

# all on, all off, and each single feature turned off
FEATURE_SETS: list[tuple[str, ...]] = [
    ALL_FEATURES,
    (),
    *[tuple(f for f in ALL_FEATURES if f != off) for off in ALL_FEATURES],
]


def feature_id(features: tuple[str, ...]) -> str:
    if features == ALL_FEATURES:
        return "all-on"
    if not features:
        return "all-off"
    (off,) = set(ALL_FEATURES) - set(features)
    return f"no-{off}"


TOOL_INSTALL = {
    "promtool": "go install github.com/prometheus/prometheus/cmd/promtool@v0.316.0",
    "actionlint": "go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12",
    "check-jsonschema": "pip install check-jsonschema",
    "benchstat": "go install golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da",
}


def find_tool(name: str) -> str:
    """Return the path of a CLI tool from PATH or $(go env GOPATH)/bin; fail the test if missing."""
    found = shutil.which(name)
    if found:
        return found
    gopath = os.environ.get("GOPATH")
    if not gopath and shutil.which("go"):
        gopath = subprocess.run(
            ["go", "env", "GOPATH"], capture_output=True, text=True, check=True
        ).stdout.strip()
    for root in (gopath or "").split(os.pathsep):
        candidate = Path(root) / "bin" / name
        if root and candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    pytest.fail(
        f"{name} not found on PATH or in $(go env GOPATH)/bin; "
        f"install it with: {TOOL_INSTALL[name]}"
    )


def run_tool(
    args: list[str], cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def build_k8scheck(out_dir: Path) -> str:
    """Build tests/template_ops/k8scheck (strict decoding into k8s.io/api types)."""
    go = shutil.which("go")
    if go is None:
        pytest.fail("go not found on PATH: it builds tests/template_ops/k8scheck")
    binary = out_dir / "k8scheck"
    res = subprocess.run(
        [go, "build", "-o", str(binary), "."],
        cwd=Path(__file__).parent / "k8scheck",
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    return str(binary)


class Renderer:
    def __init__(self, base: Path) -> None:
        self._base = base
        self._cache: dict[tuple[tuple[str, Any], ...], Path] = {}

    def __call__(self, **answers: Any) -> Path:
        data: dict[str, Any] = {"service_name": "demo", **answers}
        if "features" in data:
            data["features"] = list(data["features"])
        key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in data.items()))
        if key not in self._cache:
            dst = self._base / f"r{len(self._cache)}" / str(data["service_name"])
            self._cache[key] = render_files(dst, data)
        return self._cache[key]


# --- metric names -------------------------------------------------------------------------------

PROMQL_KEYWORDS = {
    "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
    "group_left", "group_right", "inf", "nan", "atan2",
}  # fmt: skip

# Standard collectors from client_golang: which constructor provides which family.
COLLECTOR_METRICS = {
    "NewGoCollector": {
        "go_goroutines", "go_threads", "go_gc_duration_seconds", "go_info",
        "go_memstats_heap_inuse_bytes", "go_memstats_alloc_bytes", "go_memstats_heap_alloc_bytes",
        "go_memstats_sys_bytes",
    },
    "NewProcessCollector": {
        "process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds",
        "process_max_fds", "process_virtual_memory_bytes", "process_start_time_seconds",
    },
}  # fmt: skip

# Series Prometheus itself adds for every target.
SYNTHETIC_METRICS = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}


def promql_metric_names(expr: str) -> set[str]:
    """Metric names referenced by a PromQL expression (functions, keywords and labels excluded)."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    s = re.sub(r"\{[^}]*\}", " ", s)  # label matchers
    s = re.sub(r"\[[^\]]*\]", " ", s)  # range and subquery selectors
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", s)
    s = re.sub(r"\$\{?\w+\}?", " ", s)  # Grafana variables
    names = re.findall(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", s)
    return {n for n in names if n.lower() not in PROMQL_KEYWORDS}


_OPTS_RE = re.compile(r"prometheus\.(Counter|Gauge|Histogram|Summary)(?:Vec)?Opts\s*\{")
_NAME_RE = re.compile(r'\bName:\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)"')
# Collectors that build their own descriptors (values read at scrape time).
_DESC_RE = re.compile(r'prometheus\.NewDesc\(\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)"')


def exported_metrics(project: Path) -> dict[str, str]:
    """Metric families the rendered service registers, from its Go source: name -> type.

    Reads every prometheus.*Opts literal and prometheus.NewDesc call in non-test Go files
    (the service uses no Namespace/Subsystem, which the scan asserts), plus the standard Go
    and process collectors when they are registered.
    """
    families: dict[str, str] = {}
    for path in sorted(project.rglob("*.go")):
        if path.name.endswith("_test.go"):
            continue
        text = path.read_text(encoding="utf-8")
        assert "Namespace:" not in text and "Subsystem:" not in text, (
            f"{path}: metric Namespace/Subsystem not supported by this scan; use full Name"
        )
        for m in _OPTS_RE.finditer(text):
            body = text[m.end() : m.end() + 600]
            name = _NAME_RE.search(body)
            if name:
                families[name.group(1)] = m.group(1).lower()
        for m in _DESC_RE.finditer(text):
            families[m.group(1)] = "desc"
        for ctor, names in COLLECTOR_METRICS.items():
            if re.search(rf"collectors\.{ctor}\(", text):
                for n in names:
                    families[n] = "collector"
    return families


def series_names(families: Mapping[str, str]) -> set[str]:
    """Every series name a scrape can contain for these families (histogram suffixes included)."""
    out = set(SYNTHETIC_METRICS)
    for name, kind in families.items():
        out.add(name)
        if kind in ("histogram", "summary"):
            out.update({f"{name}_count", f"{name}_sum"})
        if kind == "histogram":
            out.add(f"{name}_bucket")
    return out
