"""Alert rules of the rendered service: promtool check and unit tests, structure, metrics."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from ops_helpers import (
    ALL_FEATURES,
    FEATURE_SETS,
    exported_metrics,
    feature_id,
    find_tool,
    promql_metric_names,
    run_tool,
    series_names,
)

Render = Callable[..., Path]

# Alerts that exist only with a feature, and the metric family that feature brings.
FEATURE_ALERTS = {
    "ratelimit": {"RateLimitErrors"},
    "httpclient": {"CircuitBreakerOpen"},
    "worker": {"WorkerRunsFailing"},
    "postgres": {"DBPoolExhausted", "DBConnectionWaits"},
}
CORE_ALERTS = {
    "TargetDown",
    "ServiceMetricsAbsent",
    "HealthCheckFailing",
    "HighErrorRate",
    "HighLatencyP99",
    "GoroutineGrowth",
    "HighMemoryUsage",
}


def _rules(project: Path) -> list[dict[str, object]]:
    doc = yaml.safe_load((project / "deploy/prometheus/alerts.yaml").read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


@pytest.mark.parametrize("features", FEATURE_SETS, ids=feature_id)
def test_promtool_check_rules(ops_render: Render, features: tuple[str, ...]) -> None:
    promtool = find_tool("promtool")
    project = ops_render(features=features)
    res = run_tool([promtool, "check", "rules", "deploy/prometheus/alerts.yaml"], cwd=project)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "SUCCESS" in res.stdout


@pytest.mark.parametrize("features", FEATURE_SETS, ids=feature_id)
def test_promtool_rule_unit_tests(ops_render: Render, features: tuple[str, ...]) -> None:
    """The rendered alerts_test.yaml proves each alert fires when it should and not before."""
    promtool = find_tool("promtool")
    project = ops_render(features=features)
    res = run_tool([promtool, "test", "rules", "deploy/prometheus/alerts_test.yaml"], cwd=project)
    assert res.returncode == 0, res.stdout + res.stderr
    tested = set(
        re.findall(
            r"alertname: (\w+)", (project / "deploy/prometheus/alerts_test.yaml").read_text()
        )
    )
    assert tested == {str(r["alert"]) for r in _rules(project)}, "every alert has a unit test"


def test_promtool_catches_a_broken_rule(ops_render: Render, tmp_path: Path) -> None:
    """Guard against a check that cannot fail: a bad expression is rejected."""
    promtool = find_tool("promtool")
    project = ops_render(features=ALL_FEATURES)
    text = (project / "deploy/prometheus/alerts.yaml").read_text()
    broken = tmp_path / "alerts.yaml"
    broken.write_text(text.replace("up{job=", "sum by (job (up{job=", 1))
    res = run_tool([promtool, "check", "rules", str(broken)])
    assert res.returncode != 0
    assert "parse error" in (res.stdout + res.stderr).lower()


# (alert, text in the rule, replacement): each mutation must make `promtool test rules` fail,
# proving the unit tests pin that part of the rule.
MUTATIONS = [
    ("CircuitBreakerOpen", "for: 5m", "for: 3m"),  # open for more than 5 minutes
    (
        "CircuitBreakerOpen",
        'circuit_breaker_state{job="demo"} > 0',
        'circuit_breaker_state{job="demo"} == 1',
    ),
    ("RateLimitErrors", "> 0.001", "> 0.01"),  # 0.1% of requests
    ("HighLatencyP99", "> 0.1", "> 0.5"),  # 100 ms
    ("HighLatencyP99", ', route!~"/healthz|/readyz|/metrics"', ""),  # probes are not API traffic
    ("HighErrorRate", ', route!~"/healthz|/readyz|/metrics"', ""),
    ("HealthCheckFailing", "for: 5m", "for: 10m"),
    ("GoroutineGrowth", "> 0.1", "> 2"),
]


@pytest.mark.parametrize(("alert", "old", "new"), MUTATIONS, ids=lambda v: str(v)[:24])
def test_rule_unit_tests_catch_mutations(
    ops_render: Render, tmp_path: Path, alert: str, old: str, new: str
) -> None:
    promtool = find_tool("promtool")
    project = ops_render(features=ALL_FEATURES)
    rules = (project / "deploy/prometheus/alerts.yaml").read_text()
    head, tail = rules.split(f"- alert: {alert}\n", 1)
    body, sep, rest = tail.partition("- alert:")
    assert old in body, f"{alert} no longer contains {old!r}"
    (tmp_path / "alerts.yaml").write_text(
        f"{head}- alert: {alert}\n{body.replace(old, new)}{sep}{rest}"
    )
    (tmp_path / "alerts_test.yaml").write_text(
        (project / "deploy/prometheus/alerts_test.yaml").read_text()
    )
    assert run_tool([promtool, "check", "rules", "alerts.yaml"], cwd=tmp_path).returncode == 0
    res = run_tool([promtool, "test", "rules", "alerts_test.yaml"], cwd=tmp_path)
    assert res.returncode != 0, f"mutating {alert} ({old!r} -> {new!r}) went unnoticed"
    assert f"alertname: {alert}" in res.stdout + res.stderr


def test_breaker_rule_treats_half_open_as_not_recovered(ops_render: Render) -> None:
    rule = next(
        r for r in _rules(ops_render(features=ALL_FEATURES)) if r["alert"] == "CircuitBreakerOpen"
    )
    assert rule["for"] == "5m"
    assert "circuit_breaker_state" in str(rule["expr"])


@pytest.mark.parametrize("features", FEATURE_SETS, ids=feature_id)
def test_rules_are_complete_and_match_features(
    ops_render: Render, features: tuple[str, ...]
) -> None:
    project = ops_render(features=features)
    rules = _rules(project)
    names = [str(r["alert"]) for r in rules]
    assert len(names) == len(set(names)), "alert names are unique"
    expected = CORE_ALERTS.union(*(a for f, a in FEATURE_ALERTS.items() if f in features))
    assert set(names) == expected
    runbooks = (project / "deploy/README.md").read_text()
    headings = {
        re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", runbooks, flags=re.M)
    }
    for rule in rules:
        labels = rule["labels"]
        annotations = rule["annotations"]
        assert isinstance(labels, dict) and isinstance(annotations, dict)
        assert labels["severity"] in {"critical", "warning"}, rule["alert"]
        assert labels["service"] == "demo"
        for key in ("summary", "description", "runbook"):
            assert str(annotations.get(key, "")).strip(), f"{rule['alert']} lacks {key}"
        anchor = str(annotations["runbook"]).split(" ", 1)[0]
        assert anchor == f"deploy/README.md#{str(rule['alert']).lower()}"
        assert anchor.split("#", 1)[1] in headings, f"runbook section for {rule['alert']}"
        assert 'job="demo"' in str(rule["expr"]), "every rule is scoped to the service's job"


@pytest.mark.parametrize("features", FEATURE_SETS, ids=feature_id)
def test_rules_reference_only_exported_metrics(
    ops_render: Render, features: tuple[str, ...]
) -> None:
    project = ops_render(features=features)
    exported = series_names(exported_metrics(project))
    for rule in _rules(project):
        used = promql_metric_names(str(rule["expr"]))
        assert used, rule["alert"]
        assert used <= exported, (
            f"{rule['alert']} uses metrics the service does not export: {used - exported}"
        )


def test_review_thresholds(ops_render: Render) -> None:
    """The numbers come from the review's post-deployment monitoring list."""
    rules = {str(r["alert"]): r for r in _rules(ops_render(features=ALL_FEATURES))}
    assert "> 0.001" in str(rules["RateLimitErrors"]["expr"])  # 0.1% of requests
    assert "rate_limit_errors_total" in str(rules["RateLimitErrors"]["expr"])
    assert "http_request_duration_seconds_count" in str(rules["RateLimitErrors"]["expr"])
    assert "histogram_quantile(0.99" in str(rules["HighLatencyP99"]["expr"])
    assert "> 0.1" in str(rules["HighLatencyP99"]["expr"])  # 100 ms
    assert "go_goroutines" in str(rules["GoroutineGrowth"]["expr"])
    assert "> 500e6" in str(rules["HighMemoryUsage"]["expr"])  # 500 MB per instance


def test_promql_metric_name_extraction() -> None:
    expr = (
        "histogram_quantile(0.99, sum by (job, le) (rate(http_request_duration_seconds_bucket"
        '{job="demo", status=~"5.."}[5m]))) > 0.1 and on (job) up{job="x"} == bool 1'
        ' or time() - max by (w) (worker_last{a="b"}) > 500e6'
    )
    assert promql_metric_names(expr) == {
        "http_request_duration_seconds_bucket",
        "up",
        "worker_last",
    }
