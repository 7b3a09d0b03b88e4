"""Alerts and dashboard of the `postgres` feature: promtool, metric names, panels."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from service_helpers import render_files

POOL_METRICS = {
    "db_connections_open",
    "db_connections_in_use",
    "db_connections_idle",
    "db_connections_max",
    "db_connection_wait_total",
    "db_connection_wait_seconds_total",
    "db_connection_acquire_canceled_total",
}


def render(dest: Path, features: list[str]) -> Path:
    return render_files(dest, {"service_name": "demo", "features": features})


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool not found: go install github.com/prometheus/prometheus/cmd/promtool")
    return path


def alerts(project: Path) -> dict[str, str]:
    doc = yaml.safe_load((project / "deploy/prometheus/alerts.yaml").read_text())
    return {str(r["alert"]): str(r["expr"]) for g in doc["groups"] for r in g["rules"]}


@pytest.mark.parametrize("features", [["postgres"], ["ratelimit", "httpclient", "postgres"]])
def test_alerts_pass_promtool_and_use_exported_metrics(tmp_path: Path, features: list[str]) -> None:
    project = render(tmp_path / "demo", features)
    prom = project / "deploy/prometheus"
    for args in (["check", "rules", "alerts.yaml"], ["test", "rules", "alerts_test.yaml"]):
        proc = subprocess.run(
            [promtool(), *args], cwd=prom, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
    rules = alerts(project)
    assert {"DBPoolExhausted", "DBConnectionWaits"} <= set(rules)
    collector = (project / "internal/platform/postgres/metrics.go").read_text()
    exported = set(re.findall(r'prometheus\.NewDesc\("(\w+)"', collector))
    assert exported == POOL_METRICS
    for name in ("DBPoolExhausted", "DBConnectionWaits"):
        used = set(re.findall(r"\bdb_\w+", rules[name]))
        assert used and used <= exported, (name, used)
    runbooks = (project / "deploy/README.md").read_text()
    assert "### DBPoolExhausted" in runbooks and "### DBConnectionWaits" in runbooks
    dash = json.loads((project / "deploy/grafana/dashboard.json").read_text())
    exprs = " ".join(t["expr"] for p in dash["panels"] for t in p.get("targets", []))
    assert set(re.findall(r"\bdb_\w+", exprs)) >= POOL_METRICS


def test_promtool_catches_a_broken_pool_rule(tmp_path: Path) -> None:
    """The unit tests fail when the threshold changes (so they can fail)."""
    project = render(tmp_path / "demo", ["postgres"])
    path = project / "deploy/prometheus/alerts.yaml"
    text = path.read_text()
    assert "[5m])) > 1\n" in text
    path.write_text(text.replace("[5m])) > 1\n", "[5m])) > 5\n"))
    proc = subprocess.run(
        [promtool(), "test", "rules", "alerts_test.yaml"],
        cwd=path.parent,
        check=False,
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0 and "DBConnectionWaits" in proc.stdout + proc.stderr


def test_no_pool_alerts_without_the_feature(tmp_path: Path) -> None:
    project = render(tmp_path / "demo", ["ratelimit"])
    assert not {"DBPoolExhausted", "DBConnectionWaits"} & set(alerts(project))
    assert "db_connections" not in (project / "deploy/grafana/dashboard.json").read_text()
