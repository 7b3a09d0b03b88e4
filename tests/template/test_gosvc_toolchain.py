"""The service rendered with the default answers is green as generated.

The Go toolchain runs once, on one render (module-scoped fixture): build, vet,
test -race with coverage, golangci-lint and gofmt.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from gosvc_helpers import ALL_FEATURES, COVERAGE_MIN, coverage_total, run

from service_helpers import go_env, render_files, require_redis_server


def test_answers_file_records_the_defaults(default_service: Path) -> None:
    answers = yaml.safe_load((default_service / ".copier-answers.yml").read_text())
    assert answers["service_name"] == "demo"
    assert answers["module_path"] == "gitlab.com/ta-microservices/demo"
    assert answers["description"] == "demo service"
    assert answers["http_port"] == 8000
    assert answers["go_version"] == "1.26"
    assert answers["ci_provider"] == "both"
    assert answers["features"] == ALL_FEATURES
    assert answers["_src_path"]


def test_layout(default_service: Path) -> None:
    for rel in [
        "cmd/demo/main.go",
        "cmd/demo/run.go",
        "configs/config.yaml",
        "configs/config-production.yaml",
        "internal/config/config.go",
        "internal/server/server.go",
        "internal/platform/health/health.go",
        "internal/platform/logging/logging.go",
        "internal/api/whoami.go",
        "internal/api/routes.go",
        *(
            f"internal/platform/middleware/{name}{suffix}"
            for name in ("requestid", "recovery", "metrics", "logging")
            for suffix in (".go", "_test.go")
        ),
        "Makefile",
        "Dockerfile",
        ".golangci.yml",
        "README.md",
        ".gitlab-ci.yml",
        ".github/workflows/ci.yml",
    ]:
        assert (default_service / rel).is_file(), rel
    leftovers = [p for p in default_service.rglob("*") if p.suffix == ".jinja" or "{" in p.name]
    assert not leftovers, leftovers
    assert (
        "gitlab.com/ta-microservices/demo/internal/"
        in (default_service / "internal/server/server.go").read_text()
    )


def test_config_matches_the_contract(default_service: Path) -> None:
    for name in ("config.yaml", "config-production.yaml"):
        cfg = yaml.safe_load((default_service / "configs" / name).read_text())
        http = cfg["server"]["http"]
        assert http["addr"] == "0.0.0.0:8000"
        assert {k: http[k] for k in http if k != "addr"} == {
            "read_header_timeout": "5s",
            "read_timeout": "15s",
            "write_timeout": "15s",
            "idle_timeout": "60s",
            "shutdown_timeout": "20s",
            "max_body_bytes": 1048576,
            "shutdown_delay": "5s",
            "request_timeout": "10s",
            "route_timeouts": {},
            "max_in_flight": 1000,
            "shedding": {"enabled": False, "cpu_threshold": 0.9},
            "max_header_bytes": 65536,
        }
        assert cfg["server"]["admin"] == {"addr": "0.0.0.0:9090"}
        assert cfg["health"] == {"cache_ttl": "5s", "refresh_interval": "3s"}
        assert cfg["log"] == {"level": "info"}


def test_go_build(default_service: Path) -> None:
    run(["go", "build", "./..."], default_service)


def test_go_vet(default_service: Path) -> None:
    run(["go", "vet", "./..."], default_service)


def test_go_test_race_and_coverage(default_service: Path, tmp_path: Path) -> None:
    """Coverage is measured over unit + integration tests (build tag integration), as CI does.

    The integration tests start their own redis-server (package redistest).
    """
    require_redis_server()
    profile = tmp_path / "cover.out"
    proc = run(
        [
            "go",
            "test",
            "-race",
            "-count=1",
            "-tags",
            "integration",
            f"-coverprofile={profile}",
            "./...",
        ],
        default_service,
    )
    assert "FAIL" not in proc.stdout
    assert "no test files" not in proc.stdout, f"every package has tests:\n{proc.stdout}"
    cover = run(["go", "tool", "cover", f"-func={profile}"], default_service)
    total = coverage_total(cover.stdout)
    assert total >= COVERAGE_MIN, f"coverage {total}% < {COVERAGE_MIN}%"


def test_golangci_lint_zero_issues(default_service: Path, golangci_lint: str) -> None:
    proc = run(
        [golangci_lint, "run", "--allow-parallel-runners", "./..."], default_service, timeout=1200
    )
    assert "0 issues" in proc.stdout, proc.stdout


def test_gofmt_clean(default_service: Path) -> None:
    proc = run(["gofmt", "-l", "."], default_service)
    assert proc.stdout.strip() == "", f"not gofmt-clean:\n{proc.stdout}"


@pytest.mark.parametrize(
    "file", ["cmd/demo/main_test.go", "internal/platform/health/health_test.go"]
)
def test_goroutine_leaks_are_checked(default_service: Path, file: str) -> None:
    assert "goleak.VerifyTestMain(m)" in (default_service / file).read_text()


def test_lint_config_forbids_background_context_and_unbounded_reads(
    default_service: Path, golangci_lint: str, tmp_path: Path
) -> None:
    """Guard against a lint config that cannot fail: forbidigo must flag both calls."""
    project = tmp_path / "project"
    shutil.copytree(default_service, project, ignore=shutil.ignore_patterns(".git"))
    (project / "internal/api/zz_forbidden.go").write_text(
        "package api\n\n"
        'import (\n\t"context"\n\t"io"\n\t"strings"\n)\n\n'
        "func forbidden() ([]byte, error) {\n"
        "\t_ = context.Background()\n"
        '\treturn io.ReadAll(strings.NewReader("x"))\n'
        "}\n\n"
        "var _ = forbidden\n"
    )
    proc = subprocess.run(
        [golangci_lint, "run", "--allow-parallel-runners", "./internal/api/..."],
        cwd=project,
        env=go_env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode != 0, proc.stdout
    assert "use of `context.Background` forbidden" in proc.stdout, proc.stdout
    assert "use of `io.ReadAll` forbidden" in proc.stdout, proc.stdout


@pytest.mark.parametrize("features", [ALL_FEATURES, []], ids=["all-features", "no-features"])
def test_builds_as_rendered_without_tasks(tmp_path: Path, features: list[str]) -> None:
    """Without --trust no task touches go.mod: the files as rendered must build."""
    render_files(tmp_path, {"service_name": "demo", "features": features})
    run(["go", "build", "./..."], tmp_path)
    run(["go", "vet", "./..."], tmp_path)
