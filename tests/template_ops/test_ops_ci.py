"""The generated CI pipelines: schema-valid, actionlint-clean, and carrying every quality gate."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from ops_helpers import ALL_FEATURES, find_tool, run_tool

Render = Callable[..., Path]

GITLAB = ".gitlab-ci.yml"
GITHUB = ".github/workflows/ci.yml"
FILES = {"gitlab": {GITLAB}, "github": {GITHUB}, "both": {GITLAB, GITHUB}}


def _ci_files(project: Path) -> set[str]:
    found = {GITLAB} if (project / GITLAB).exists() else set()
    workflows = project / ".github" / "workflows"
    if workflows.is_dir():
        found |= {str(p.relative_to(project)) for p in workflows.iterdir()}
    return found


@pytest.mark.parametrize("provider", sorted(FILES))
def test_ci_provider_selects_files(ops_render: Render, provider: str) -> None:
    project = ops_render(ci_provider=provider, features=ALL_FEATURES)
    assert _ci_files(project) == FILES[provider]


@pytest.mark.parametrize("provider", ["gitlab", "both"])
def test_gitlab_ci_matches_gitlab_schema(ops_render: Render, provider: str) -> None:
    tool = find_tool("check-jsonschema")
    project = ops_render(ci_provider=provider, features=ALL_FEATURES)
    res = run_tool([tool, "--builtin-schema", "vendor.gitlab-ci", str(project / GITLAB)])
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("provider", ["github", "both"])
def test_github_workflow_matches_schema_and_actionlint(ops_render: Render, provider: str) -> None:
    project = ops_render(ci_provider=provider, features=ALL_FEATURES)
    tool = find_tool("check-jsonschema")
    res = run_tool([tool, "--builtin-schema", "vendor.github-workflows", str(project / GITHUB)])
    assert res.returncode == 0, res.stdout + res.stderr
    actionlint = find_tool("actionlint")
    res = run_tool([actionlint, "-no-color", GITHUB], cwd=project)
    assert res.returncode == 0, res.stdout + res.stderr


def test_validators_reject_broken_pipelines(tmp_path: Path) -> None:
    """Guard against checks that cannot fail: each validator rejects a broken file."""
    bad_gitlab = tmp_path / ".gitlab-ci.yml"
    bad_gitlab.write_text("test:\n  stage: test\n  scriptt: [go test ./...]\n")
    res = run_tool(
        [find_tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", str(bad_gitlab)]
    )
    assert res.returncode != 0 and "scriptt" in res.stdout + res.stderr

    workflow = tmp_path / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ matrix.nope }}\n"
    )
    res = run_tool(
        [
            find_tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            str(workflow),
        ]
    )
    assert res.returncode == 0, "schema-valid on purpose: only actionlint sees the bad expression"
    res = run_tool(
        [find_tool("actionlint"), "-no-color", str(workflow.relative_to(tmp_path))], cwd=tmp_path
    )
    assert res.returncode != 0 and "matrix" in res.stdout


# --- the quality gates -------------------------------------------------------------------------


def _gitlab_jobs(project: Path) -> dict[str, dict[str, Any]]:
    doc = yaml.safe_load((project / GITLAB).read_text())
    reserved = {
        "stages",
        "variables",
        "default",
        "workflow",
        "include",
        "image",
        "services",
        "cache",
    }
    return {
        k: v
        for k, v in doc.items()
        if isinstance(v, dict) and k not in reserved and not k.startswith(".")
    }


def _github_jobs(project: Path) -> dict[str, dict[str, Any]]:
    doc = yaml.safe_load((project / GITHUB).read_text())
    jobs = doc["jobs"]
    assert isinstance(jobs, dict)
    return jobs


def _text(node: Any) -> str:
    return yaml.safe_dump(node, sort_keys=False, width=10_000)


def _coverage_threshold(text: str) -> float:
    """The coverage gate's threshold, however the pipeline spells it."""
    for pattern in (
        r"COVERAGE_(?:MIN|THRESHOLD)\W+(\d+(?:\.\d+)?)",
        r"(?:coverage|total)[^\n]*?(?:<|-lt)\s*(\d+(?:\.\d+)?)",
        r"(?:min|threshold)[-_ ]?(?:coverage)?[=: ]+(\d+(?:\.\d+)?)",
    ):
        m = re.search(pattern, text, flags=re.I)
        if m:
            return float(m.group(1))
    raise AssertionError("no coverage threshold found in the pipeline")


def _assert_gates(jobs: dict[str, dict[str, Any]], redis_services: list[str]) -> None:
    everything = "\n".join(_text(j) for j in jobs.values())
    assert "golangci-lint" in everything, "lint job"
    race = [j for j in jobs.values() if re.search(r"go test[^\n]*-race", _text(j))]
    assert race, "a job runs go test -race"
    assert any("-coverprofile" in _text(j) for j in race), "the race job measures coverage"
    assert _coverage_threshold(everything) >= 80, "coverage gate at 80% or more"
    assert redis_services, "integration tests get a Redis service container"
    assert all(re.match(r"(docker\.io/)?(library/)?redis(:|$)", s) for s in redis_services), (
        redis_services
    )
    assert "govulncheck" in everything
    assert re.search(r"gitleaks|trufflehog|secret[_-]detection", everything, flags=re.I), (
        "secret detection"
    )
    bench = [j for j in jobs.values() if "benchstat" in _text(j)]
    assert bench, "a benchmark-regression job uses benchstat"
    bench_text = "\n".join(_text(j) for j in bench)
    assert re.search(r"(?<![\d.])10(\.0)?\b", bench_text), "fails at a slowdown over 10%"
    assert "-bench" in bench_text


def test_gitlab_pipeline_has_the_gates(ops_render: Render) -> None:
    project = ops_render(ci_provider="gitlab", features=ALL_FEATURES)
    jobs = _gitlab_jobs(project)
    doc = yaml.safe_load((project / GITLAB).read_text())
    services: list[str] = []
    for job in [*jobs.values(), doc]:
        for s in job.get("services", []) or []:
            services.append(s if isinstance(s, str) else s["name"])
    redis = [s for s in services if "redis" in s]
    _assert_gates(jobs, redis)
    bench = next(j for j in jobs.values() if "benchstat" in _text(j))
    assert "CI_MERGE_REQUEST_TARGET_BRANCH_NAME" in _text(bench) or "CI_DEFAULT_BRANCH" in _text(
        bench
    ), "benchmarks compare against the target branch"


def test_github_workflow_has_the_gates(ops_render: Render) -> None:
    project = ops_render(ci_provider="github", features=ALL_FEATURES)
    jobs = _github_jobs(project)
    redis = [
        str(s["image"])
        for j in jobs.values()
        for s in (j.get("services") or {}).values()
        if "redis" in str(s.get("image", ""))
    ]
    _assert_gates(jobs, redis)
    bench = next(j for j in jobs.values() if "benchstat" in _text(j))
    assert "base_ref" in _text(bench) or "base.ref" in _text(bench), (
        "benchmarks compare against the target branch"
    )


def test_gosec_runs_through_golangci_lint(ops_render: Render) -> None:
    project = ops_render(features=ALL_FEATURES)
    config = yaml.safe_load((project / ".golangci.yml").read_text())
    assert config["version"] == "2"
    assert "gosec" in config["linters"]["enable"]


# --- the gates, run: the coverage and benchmark checks fail and pass where they should ---------

# A stand-in for `go` (the real one is only needed by what the shim forwards to):
#   go test ... -bench ...  prints 10 synthetic benchmark runs, FAKE_OLD_NS ns/op inside the
#                           base worktree and FAKE_NEW_NS elsewhere;
#   go test ...             writes coverage.out;
#   go tool cover -func=... prints the total line with FAKE_TOTAL percent.
FAKE_GO = r"""#!/usr/bin/env bash
if [[ "$1" == test && " $* " == *" -bench"* ]]; then
  ns=$FAKE_NEW_NS
  [[ "$PWD" == */base* ]] && ns=$FAKE_OLD_NS
  printf 'goos: linux\ngoarch: amd64\npkg: example.com/demo/internal/x\n'
  for i in 1 2 3 4 5 6 7 8 9 10; do
    printf 'BenchmarkChain-2 \t 1000000\t %s.%d ns/op\t 0 B/op\t 0 allocs/op\n' "$ns" $((i % 3))
  done
  echo PASS
  exit 0
fi
if [[ "$1" == test ]]; then
  echo "mode: atomic" > coverage.out
  exit 0
fi
if [[ "$1" == tool && "$2" == cover ]]; then
  printf 'example.com/demo/x.go:1:\tF\t100.0%%\ntotal:\t\t\t(statements)\t%s%%\n' "$FAKE_TOTAL"
  exit 0
fi
exec "$REAL_GO" "$@"
"""


def _fake_go(tmp_path: Path) -> dict[str, str]:
    import os
    import shutil

    real_go = shutil.which("go")
    assert real_go, "go is on PATH"
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    shim = bin_dir / "go"
    shim.write_text(FAKE_GO)
    shim.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "REAL_GO": real_go}


def _coverage_scripts(project: Path) -> dict[str, tuple[str, dict[str, str]]]:
    """The coverage step of each pipeline, as (shell script, its CI environment)."""
    out: dict[str, tuple[str, dict[str, str]]] = {}
    gitlab = yaml.safe_load((project / GITLAB).read_text())
    job = next(j for j in _gitlab_jobs(project).values() if "-coverprofile" in _text(j))
    env = {**(gitlab.get("variables") or {}), **(job.get("variables") or {})}
    out["gitlab"] = ("\n".join(job["script"]), {k: str(v) for k, v in env.items()})
    workflow = yaml.safe_load((project / GITHUB).read_text())
    for job in _github_jobs(project).values():
        for step in job.get("steps", []):
            if "-coverprofile" in str(step.get("run", "")):
                env = {
                    **(workflow.get("env") or {}),
                    **(job.get("env") or {}),
                    **(step.get("env") or {}),
                }
                out["github"] = (step["run"], {k: str(v) for k, v in env.items()})
    assert set(out) == {"gitlab", "github"}
    return out


@pytest.mark.parametrize(("total", "passes"), [("79.9", False), ("80.0", True), ("93.4", True)])
def test_coverage_gate_fails_below_80(
    ops_render: Render, tmp_path: Path, total: str, passes: bool
) -> None:
    project = ops_render(ci_provider="both", features=ALL_FEATURES)
    env = _fake_go(tmp_path)
    for provider, (script, ci_env) in _coverage_scripts(project).items():
        assert float(ci_env.get("COVERAGE_MIN", "0")) >= 80, provider
        res = run_tool(
            ["bash", "-c", "set -eo pipefail\n" + script],
            cwd=project,
            env={**env, **ci_env, "FAKE_TOTAL": total},
        )
        assert (res.returncode == 0) == passes, f"{provider} at {total}%: {res.stdout}{res.stderr}"


def _bench_command(project: Path, provider: str) -> tuple[str, dict[str, str]]:
    if provider == "gitlab":
        job = next(j for j in _gitlab_jobs(project).values() if "benchstat" in _text(j))
        env = {k: str(v) for k, v in (job.get("variables") or {}).items()}
        script = [line for line in job["script"] if "scripts/bench-compare.sh" in line]
    else:
        job = next(j for j in _github_jobs(project).values() if "benchstat" in _text(j))
        env = {k: str(v) for k, v in (job.get("env") or {}).items()}
        script = []
        for step in job["steps"]:
            if "scripts/bench-compare.sh" in str(step.get("run", "")):
                env.update({k: str(v) for k, v in (step.get("env") or {}).items()})
                script.append(step["run"])
    assert len(script) == 1, f"{provider}: one step runs scripts/bench-compare.sh"
    return script[0], env


@pytest.mark.parametrize("provider", ["gitlab", "github"])
@pytest.mark.parametrize(("new_ns", "passes"), [("100", True), ("108", True), ("112", False)])
def test_benchmark_gate_fails_over_10_percent(
    ops_render: Render, tmp_path: Path, provider: str, new_ns: str, passes: bool
) -> None:
    """The CI's own bench command, with real benchstat, against a base of 100 ns/op."""
    import shutil

    benchstat = find_tool("benchstat")
    project = tmp_path / "project"
    shutil.copytree(ops_render(ci_provider="both", features=ALL_FEATURES), project)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"]):
        run_tool(["git", *args], cwd=project)
    commit = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base"]
    assert run_tool(commit, cwd=project).returncode == 0
    run_tool(["git", "update-ref", "refs/remotes/origin/main", "HEAD"], cwd=project)
    command, ci_env = _bench_command(project, provider)
    assert float(ci_env["BENCH_MAX_SLOWDOWN"]) == 10
    env = {
        **_fake_go(tmp_path),
        **ci_env,
        "BENCHSTAT": benchstat,
        "GOPATH": str(Path(benchstat).parent.parent),
        # what the CI systems provide
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "BASE_REF": "main",
        "FAKE_OLD_NS": "100",
        "FAKE_NEW_NS": new_ns,
    }
    # `git fetch origin` needs a remote; the target branch is already at origin/main.
    command = command.replace("$GOPATH/bin/benchstat", benchstat)
    res = run_tool(["bash", "-c", "set -eo pipefail\n" + command], cwd=project, env=env)
    out = res.stdout + res.stderr
    assert (res.returncode == 0) == passes, f"{provider} at {new_ns} ns/op vs 100: {out}"
    if not passes:
        assert "over the 10% limit" in out


# --- unit tests alone, and coverage over unit + integration (issue 12, build tags) --------------


def _coverage_job_and_unit_job(
    jobs: dict[str, dict[str, Any]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    cover = [j for j in jobs.values() if "-coverprofile" in _text(j)]
    assert len(cover) == 1, "one job measures coverage"
    unit = [
        j
        for j in jobs.values()
        if re.search(r"go test -race \./\.\.\.", _text(j)) and "-tags" not in _text(j)
    ]
    assert len(unit) == 1, "one job runs the unit tests alone (no build tag)"
    return cover[0], unit[0]


def test_gitlab_coverage_is_over_unit_and_integration(ops_render: Render) -> None:
    project = ops_render(ci_provider="gitlab", features=ALL_FEATURES)
    cover, unit = _coverage_job_and_unit_job(_gitlab_jobs(project))
    script = "\n".join(cover["script"])
    assert re.search(
        r"go test -race -tags integration [^\n]*-coverprofile=coverage.out \./\.\.\.", script
    )
    assert [s["name"] for s in cover["services"]] == ["redis:7-alpine", "postgres:16-alpine"]
    assert cover["variables"]["REDIS_ADDR"] == "redis:6379"
    assert cover["variables"]["TEST_DATABASE_URL"].startswith("postgres://postgres@postgres:5432/")
    assert "services" not in unit, "the unit tests need no Redis"


def test_github_coverage_is_over_unit_and_integration(ops_render: Render) -> None:
    project = ops_render(ci_provider="github", features=ALL_FEATURES)
    cover, unit = _coverage_job_and_unit_job(_github_jobs(project))
    step = next(s for s in cover["steps"] if "-coverprofile" in str(s.get("run", "")))
    assert re.search(
        r"go test -race -tags integration [^\n]*-coverprofile=coverage.out \./\.\.\.", step["run"]
    )
    assert cover["services"]["redis"]["image"] == "redis:7-alpine"
    assert cover["services"]["redis"]["ports"] == ["6379:6379"]
    assert cover["env"]["REDIS_ADDR"] == "localhost:6379"
    assert cover["services"]["postgres"]["image"] == "postgres:16-alpine"
    assert cover["env"]["TEST_DATABASE_URL"].startswith("postgres://postgres@localhost:5432/")
    assert "services" not in unit, "the unit tests need no Redis"


def test_github_services_follow_the_features(ops_render: Render) -> None:
    """Only the databases the service's features use run beside its integration tests."""
    for features, services in (
        ([], set()),
        (["postgres"], {"postgres"}),
        (["ratelimit"], {"redis"}),
    ):
        project = ops_render(ci_provider="github", features=features)
        cover, _ = _coverage_job_and_unit_job(_github_jobs(project))
        assert set(cover.get("services", {})) == services, features
        assert ("REDIS_ADDR" in _text(cover)) == ("redis" in services), features
        assert ("TEST_DATABASE_URL" in _text(cover)) == ("postgres" in services), features


def test_gitlab_without_ratelimit_has_no_redis_service(ops_render: Render) -> None:
    project = ops_render(ci_provider="gitlab", features=[])
    cover, _ = _coverage_job_and_unit_job(_gitlab_jobs(project))
    assert "services" not in cover and "REDIS_ADDR" not in _text(cover)
    assert "-tags integration" in _text(cover)


def test_real_redis_go_tests_carry_the_integration_tag(ops_render: Render) -> None:
    """A Go test that starts or reaches a real Redis must be behind //go:build integration."""
    project = ops_render(ci_provider="both", features=ALL_FEATURES)
    real_redis = re.compile(r"redistest\.Start\(|redis-server|REDIS_ADDR")
    untagged = []
    tagged = 0
    for path in project.rglob("*_test.go"):
        text = path.read_text()
        is_tagged = text.startswith("//go:build integration\n")
        tagged += is_tagged
        # Benchmarks may use a real Redis when one is there; tests may not.
        code = re.sub(r"//[^\n]*", "", text)
        tests = re.split(r"\n(?=func Benchmark)", code)[0]
        if not is_tagged and real_redis.search(tests):
            untagged.append(str(path.relative_to(project)))
    assert not untagged, f"real-Redis tests without the integration build tag: {untagged}"
    assert tagged >= 4, "the integration tests exist"
