"""Every feature combination renders a valid operations pack (deploy/ only, 2^6 renders)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
import yaml
from ops_helpers import ALL_FEATURES, find_tool, run_tool

from service_helpers import render_files

COMBINATIONS = [
    tuple(f for f, on in zip(ALL_FEATURES, mask, strict=True) if on)
    for mask in itertools.product((True, False), repeat=len(ALL_FEATURES))
]


@pytest.mark.parametrize("features", COMBINATIONS, ids=lambda f: "+".join(f) or "none")
def test_pack_is_valid_for_every_combination(tmp_path: Path, features: tuple[str, ...]) -> None:
    render_files(
        tmp_path,
        {"service_name": "demo", "features": list(features)},
        exclude=["*", "!deploy", "!deploy/**"],
    )
    deploy = tmp_path / "deploy"
    dashboard = json.loads((deploy / "grafana/dashboard.json").read_text())
    assert dashboard["panels"]
    for path in sorted(deploy.rglob("*.yaml")):
        docs = list(yaml.safe_load_all(path.read_text()))
        assert docs and all(isinstance(d, dict) for d in docs), path
    readme = (deploy / "README.md").read_text()
    for feature, marker in {
        "ratelimit": "RateLimitErrors",
        "httpclient": "CircuitBreakerOpen",
        "postgres": "DBPoolExhausted",
    }.items():
        assert (marker in readme) == (feature in features), f"README and {feature} disagree"
    promtool = find_tool("promtool")
    res = run_tool([promtool, "check", "rules", "prometheus/alerts.yaml"], cwd=deploy)
    assert res.returncode == 0, res.stdout + res.stderr
    res = run_tool([promtool, "test", "rules", "prometheus/alerts_test.yaml"], cwd=deploy)
    assert res.returncode == 0, res.stdout + res.stderr
