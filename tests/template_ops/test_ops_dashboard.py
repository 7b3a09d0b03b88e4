"""The Grafana dashboard of the rendered service: valid JSON, sane layout, exported metrics only."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ops_helpers import (
    ALL_FEATURES,
    FEATURE_SETS,
    exported_metrics,
    feature_id,
    promql_metric_names,
    series_names,
)

Render = Callable[..., Path]

# Metric families that exist only with a feature, and must then appear on the dashboard.
FEATURE_METRICS = {
    "auth": {"auth_failures_total", "auth_jwks_refresh_total"},
    "ratelimit": {"rate_limit_blocked_total", "rate_limit_errors_total"},
    "httpclient": {
        "circuit_breaker_state",
        "circuit_breaker_requests_total",
        "circuit_breaker_trips_total",
    },
    "worker": {"worker_runs_total", "worker_panics_total", "worker_last_run_timestamp_seconds"},
    "postgres": {
        "db_connections_in_use",
        "db_connections_idle",
        "db_connections_open",
        "db_connections_max",
        "db_connection_wait_total",
        "db_connection_wait_seconds_total",
        "db_connection_acquire_canceled_total",
    },
}
CORE_METRICS = {
    "http_request_duration_seconds_count",
    "http_request_duration_seconds_bucket",
    "go_goroutines",
    "process_resident_memory_bytes",
}


def _dashboard(project: Path) -> dict[str, Any]:
    data = json.loads((project / "deploy/grafana/dashboard.json").read_text())
    assert isinstance(data, dict)
    return data


def _exprs(dash: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]


@pytest.mark.parametrize("features", FEATURE_SETS, ids=feature_id)
def test_dashboard_structure(ops_render: Render, features: tuple[str, ...]) -> None:
    dash = _dashboard(ops_render(features=features))
    assert dash["title"] == "demo service"
    assert dash["uid"] == "demo"
    panels = dash["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    assert {v["name"] for v in dash["templating"]["list"]} == {"datasource", "instance"}

    cells: set[tuple[int, int]] = set()
    for panel in panels:
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, panel["title"]
        for dx in range(pos["w"]):
            for dy in range(pos["h"]):
                cell = (pos["x"] + dx, pos["y"] + dy)
                assert cell not in cells, f"panel {panel['title']!r} overlaps another"
                cells.add(cell)
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}"
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}"
            assert 'job="demo"' in target["expr"]
            assert "{{" not in target["expr"], "no unrendered template left"
        ref_ids = [t["refId"] for t in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids))


@pytest.mark.parametrize("features", FEATURE_SETS, ids=feature_id)
def test_dashboard_uses_only_exported_metrics(
    ops_render: Render, features: tuple[str, ...]
) -> None:
    project = ops_render(features=features)
    exported = series_names(exported_metrics(project))
    used: set[str] = set()
    for expr in _exprs(_dashboard(project)):
        used |= promql_metric_names(expr)
    assert used <= exported, (
        f"dashboard uses metrics the service does not export: {used - exported}"
    )
    expected = set(CORE_METRICS)
    for feature, names in FEATURE_METRICS.items():
        if feature in features:
            expected |= names
        else:
            assert not (used & names), f"{feature} is off but its panels remain"
    assert expected <= used, f"dashboard lacks panels for {expected - used}"


def test_dashboard_covers_the_brief(ops_render: Render) -> None:
    """Request rate, error rate, p50/p99 by route, runtime panels."""
    dash = _dashboard(ops_render(features=ALL_FEATURES))
    exprs = _exprs(dash)
    assert any("histogram_quantile(0.5," in e and "route" in e for e in exprs)
    assert any("histogram_quantile(0.99," in e and "route" in e for e in exprs)
    assert any('status=~"5.."' in e for e in exprs)
    breaker = next(
        p for p in dash["panels"] if "circuit_breaker_state" in json.dumps(p.get("targets"))
    )
    mapping = breaker["fieldConfig"]["defaults"]["mappings"][0]["options"]
    assert {k: v["text"] for k, v in mapping.items()} == {
        "0": "closed",
        "1": "open",
        "2": "half-open",
    }


def test_dashboard_shows_unknown_key(ops_render: Render) -> None:
    """A token signed by a kid in no key set (issue 14) has its own series."""
    dash = _dashboard(ops_render(features=ALL_FEATURES))
    unknown = [
        (p["title"], t)
        for p in dash["panels"]
        for t in p.get("targets", [])
        if 'reason="unknown_key"' in t["expr"]
    ]
    assert unknown, 'no series for auth_failures_total{reason="unknown_key"}'
    title, target = unknown[0]
    assert "auth_failures_total" in target["expr"] and "unknown_key" in target["legendFormat"]
    assert "unknown" in title.lower()
    by_reason = next(p for p in dash["panels"] if p["title"] == "Auth failures by reason")
    assert "unknown_key" in by_reason["description"]


def test_dashboard_follows_http_port_and_name(ops_render: Render) -> None:
    dash = _dashboard(ops_render(service_name="orders-api", http_port=9090, features=ALL_FEATURES))
    assert dash["uid"] == "orders-api"
    assert all('job="orders-api"' in e for e in _exprs(dash))
