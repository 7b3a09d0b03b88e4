"""A service freshly rendered by `svcgen new` passes its own audit: the
template and the audit keep each other honest."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import audit_json, svcgen

pytestmark = pytest.mark.slow

CATEGORIES = [
    "Code Quality",
    "Security",
    "Reliability",
    "Performance",
    "Observability",
    "Resilience",
    "Testing",
]


def render(tmp_path: Path, *data: str) -> Path:
    args = [f"--data={d}" for d in data]
    proc = svcgen("new", "demo", "--defaults", "--dest", tmp_path, *args)
    assert proc.returncode == 0, proc.stderr
    return tmp_path / "demo"


def assert_clean(svc: Path) -> None:
    rc, doc, err = audit_json(svc)
    (item,) = doc["items"]
    assert item["findings"] == [], item["findings"]
    assert item["suppressed"] == [] and item["notices"] == [], err
    assert [(c["name"], c["score"]) for c in item["categories"]] == [(c, 10.0) for c in CATEGORIES]
    assert rc == 0 and item["status"] == "pass" and item["score"] == 10.0


def test_default_features_have_zero_findings(tmp_path: Path) -> None:
    assert_clean(render(tmp_path))


def test_minimal_feature_set_has_zero_findings(tmp_path: Path) -> None:
    """Without the tracing feature the service still continues its callers'
    W3C trace context (internal/platform/tracecontext), so OBS001 holds too:
    zero findings, 10 everywhere."""
    svc = render(tmp_path, "features=[]")
    assert (svc / "internal/platform/tracecontext/tracecontext.go").is_file()
    assert not (svc / "internal/platform/tracing").exists()
    assert_clean(svc)
