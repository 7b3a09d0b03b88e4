"""Feature toggles of the go-service template (the copier multi-select `features`).

- Every one of the 2^6 combinations renders gofmt-clean Go that passes `go build` and
  `go vet` (one shared GOCACHE; `-trimpath` lets renders in different folders share it).
- All on, all off and each single feature off (the representative sets) also pass
  golangci-lint with zero issues and `go test -race`, and `go mod tidy` leaves go.mod and
  go.sum unchanged (no unused module, none missing); templates/tools/gen_gomod.py --check
  verifies the same for all 64 combinations.
- A feature that is off leaves nothing behind: no package, no config key, no module in
  go.mod, no README row; one that is on has all of them (so the check can fail).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from service_helpers import find_golangci_lint, render_files

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = REPO_ROOT / "templates" / "go-service"
ALL_FEATURES: tuple[str, ...] = (
    "ratelimit",
    "auth",
    "tracing",
    "httpclient",
    "worker",
    "postgres",
)

COMBINATIONS: list[tuple[str, ...]] = [
    tuple(f for f, on in zip(ALL_FEATURES, mask, strict=True) if on)
    for mask in itertools.product((True, False), repeat=len(ALL_FEATURES))
]
REPRESENTATIVE: list[tuple[str, ...]] = [
    ALL_FEATURES,
    (),
    *[tuple(f for f in ALL_FEATURES if f != off) for off in ALL_FEATURES],
]

# What each feature adds to a rendered service.
PATHS: dict[str, list[str]] = {
    "ratelimit": ["internal/platform/ratelimit", "internal/platform/middleware/ratelimit.go"],
    "auth": ["internal/platform/auth", "internal/platform/middleware/auth.go"],
    "tracing": ["internal/platform/tracing", "internal/platform/middleware/tracing.go"],
    "httpclient": ["internal/platform/httpclient"],
    "worker": ["internal/platform/worker"],
    "postgres": ["internal/platform/postgres", "internal/store", "migrations"],
}
CONFIG_KEYS: dict[str, list[str]] = {
    "ratelimit": ["data.redis", "middleware.ratelimit"],
    "auth": ["middleware.auth"],
    "tracing": ["tracing"],
    "httpclient": ["client"],
    "worker": [],
    "postgres": ["data.postgres"],
}
MODULES: dict[str, list[str]] = {
    "ratelimit": ["github.com/redis/go-redis/", "github.com/alicebob/miniredis/"],
    "auth": ["github.com/golang-jwt/jwt/"],
    # Without tracing the service still propagates the W3C trace context with
    # otel's API (go.opentelemetry.io/otel, .../trace): the SDK, the exporter
    # and otelhttp are what the feature adds.
    "tracing": [
        "go.opentelemetry.io/otel/sdk ",
        "go.opentelemetry.io/otel/exporters/",
        "go.opentelemetry.io/contrib/",
    ],
    "httpclient": ["github.com/sony/gobreaker/"],
    "worker": [],
    "postgres": ["github.com/jackc/pgx/", "github.com/pressly/goose/"],
}
README_MARKERS: dict[str, list[str]] = {
    "ratelimit": ["`middleware.ratelimit.", "`rate_limit_errors_total`"],
    "auth": ["`middleware.auth.", "`auth_failures_total`"],
    "tracing": ["`tracing.enabled`", "`trace_id`"],
    "httpclient": ["`client.timeout`", "`circuit_breaker_state`"],
    "worker": ["`worker_runs_total`", "`workers`"],
    "postgres": ["`data.postgres.dsn`", "`db_connection_wait_total`"],
}


def feature_id(features: tuple[str, ...]) -> str:
    if features == ALL_FEATURES:
        return "all-on"
    if not features:
        return "all-off"
    missing = [f for f in ALL_FEATURES if f not in features]
    if len(missing) == 1:
        return f"no-{missing[0]}"
    return "+".join(features)


def go_env(*, mod: str = "readonly") -> dict[str, str]:
    env = dict(os.environ)
    env["GOFLAGS"] = f"-mod={mod} -trimpath"
    env["GOTOOLCHAIN"] = "local"
    env.pop("GOWORK", None)
    return env


def run(cmd: list[str], cwd: Path, *, mod: str = "readonly", timeout: float = 1200) -> str:
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        env=go_env(mod=mod),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(cmd)} exited {proc.returncode} in {cwd}\n"
            f"--- stdout ---\n{proc.stdout[-20000:]}\n--- stderr ---\n{proc.stderr[-20000:]}"
        )
    return proc.stdout


def render_plain(dest: Path, features: tuple[str, ...]) -> Path:
    """Render without tasks (no git init, no go mod download): the files only."""
    return render_files(dest, {"service_name": "demo", "features": list(features)})


def config_keys(path: Path) -> set[str]:
    """Every dotted key of a YAML mapping, intermediate ones included."""
    keys: set[str] = set()

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                key = f"{prefix}.{k}" if prefix else str(k)
                keys.add(key)
                walk(v, key)

    walk(yaml.safe_load(path.read_text()), "")
    return keys


# --- every combination: render, gofmt, build, vet ------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("features", COMBINATIONS, ids=feature_id)
def test_combination_builds_and_vets(tmp_path: Path, features: tuple[str, ...]) -> None:
    project = render_plain(tmp_path / "demo", features)
    leftovers = [p for p in project.rglob("*") if p.suffix == ".jinja" or "{" in p.name]
    assert not leftovers, leftovers
    assert run(["gofmt", "-l", "."], project).strip() == "", "gofmt-unclean files"
    run(["go", "build", "./..."], project)
    run(["go", "vet", "./..."], project)


# --- representative sets: lint, race tests, tidy, nothing left behind -------------------


@pytest.fixture(scope="module", params=REPRESENTATIVE, ids=feature_id)
def representative(request: pytest.FixtureRequest, copie_session: Any) -> tuple[Path, set[str]]:
    """A representative feature set rendered like `svcgen new` does (tasks included)."""
    features: tuple[str, ...] = request.param
    result = copie_session.copy(
        extra_answers={"service_name": "demo", "features": list(features)},
        template_dir=TEMPLATE_DIR,
    )
    assert result.exception is None, f"render failed: {result.exception!r}"
    assert result.project_dir is not None
    return Path(result.project_dir), set(features)


@pytest.mark.slow
def test_golangci_lint_clean(representative: tuple[Path, set[str]]) -> None:
    project, _ = representative
    out = run([find_golangci_lint(), "run", "--allow-parallel-runners", "./..."], project)
    assert "0 issues" in out, out


@pytest.mark.slow
def test_go_test_race(representative: tuple[Path, set[str]]) -> None:
    project, _ = representative
    run(["go", "test", "-race", "-count=1", "./..."], project)


@pytest.mark.slow
def test_go_mod_tidy_is_a_no_op(representative: tuple[Path, set[str]]) -> None:
    project, _ = representative
    # -diff prints what tidy would change and exits non-zero when that is anything.
    run(["go", "mod", "tidy", "-diff"], project, mod="mod")


def test_nothing_left_behind(representative: tuple[Path, set[str]]) -> None:
    project, on = representative
    gomod = (project / "go.mod").read_text()
    readme = (project / "README.md").read_text()
    configs = {
        name: config_keys(project / "configs" / name)
        for name in ("config.yaml", "config-production.yaml")
    }
    for feature in ALL_FEATURES:
        want = feature in on
        for rel in PATHS[feature]:
            assert (project / rel).exists() == want, f"{feature}: {rel}"
        for name, keys in configs.items():
            for key in CONFIG_KEYS[feature]:
                assert (key in keys) == want, f"{feature}: {key} in configs/{name}"
        for module in MODULES[feature]:
            assert (module in gomod) == want, f"{feature}: {module} in go.mod"
        for marker in README_MARKERS[feature]:
            assert (marker in readme) == want, f"{feature}: {marker} in README.md"
    tracecontext = project / "internal/platform/tracecontext"
    assert tracecontext.exists() == ("tracing" not in on)
    assert (project / "internal/platform/middleware/tracecontext.go").exists() == (
        "tracing" not in on
    )
    otel_in_client = project / "internal/platform/httpclient/otel.go"
    assert otel_in_client.exists() == ({"tracing", "httpclient"} <= on)
    otel_in_postgres = project / "internal/platform/postgres/otel.go"
    assert otel_in_postgres.exists() == ({"tracing", "postgres"} <= on)


@pytest.mark.slow
def test_gomod_templates_are_tidy_for_every_combination() -> None:
    """go.mod.jinja/go.sum.jinja are what `go mod tidy` makes of each of the 64 renders."""
    tool = REPO_ROOT / "templates" / "tools" / "gen_gomod.py"
    proc = subprocess.run(
        [sys.executable, str(tool), "--check"],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert proc.returncode == 0, (
        f"{proc.stdout}{proc.stderr}\nregenerate with: python templates/tools/gen_gomod.py"
    )
