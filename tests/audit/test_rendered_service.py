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


def test_default_features_have_zero_findings(tmp_path: Path) -> None:
    svc = render(tmp_path)
    rc, doc, err = audit_json(svc)
    (item,) = doc["items"]
    assert item["findings"] == [], item["findings"]
    assert item["suppressed"] == [] and item["notices"] == [], err
    assert [(c["name"], c["score"]) for c in item["categories"]] == [(c, 10.0) for c in CATEGORIES]
    assert rc == 0 and item["status"] == "pass" and item["score"] == 10.0


def test_minimal_feature_set(tmp_path: Path) -> None:
    """Without the tracing feature a service has no OpenTelemetry at all,
    which is the review's NEW-1 gap: OBS001 is its one, genuine, finding."""
    svc = render(tmp_path, "features=[]")
    rc, doc, err = audit_json(svc)
    (item,) = doc["items"]
    assert item["suppressed"] == [] and item["notices"] == [], err
    assert [f["id"] for f in item["findings"]] == ["OBS001"], item["findings"]
    scores = {c["name"]: c["score"] for c in item["categories"]}
    assert scores == {**dict.fromkeys(CATEGORIES, 10.0), "Observability": 8.5}
    assert rc == 0 and item["status"] == "pass"
