"""Issue 14 in a rendered service: JWT key sets and JWKS, breaker semantics,
and Redis topologies (Cluster, Sentinel, TLS) against real redis-server
processes on free loopback ports.

The template is rendered with its defaults and the Go tests of the packages
this issue changed run with the real toolchain; the topology tests carry the
`integration` build tag and must pass here, not skip.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import service_helpers

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = ROOT / "templates" / "go-service"

pytestmark = pytest.mark.slow


go_env = functools.partial(service_helpers.go_env, REDIS_ADDR=None)


@pytest.fixture(scope="module")
def project(copie_session: Any) -> Path:
    result = copie_session.copy(extra_answers={"service_name": "keys"}, template_dir=TEMPLATE_DIR)
    assert result.exit_code == 0, result.exception
    path: Path = result.project_dir
    return path


def go_test(project: Path, *args: str) -> str:
    proc = subprocess.run(
        ["go", "test", "-count=1", *args],
        cwd=project,
        env=go_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    return out


def test_breaker_and_key_selection(project: Path) -> None:
    out = go_test(
        project,
        "-v",
        "-run",
        "CallerDeadlines|FiveConsecutive5xx|RetriedCallCountsOnce|429|KeySet|Legacy|JWKS|StaticKeyRotation"
        "|ProductionRequiresIssuerAndAudience",
        "./internal/platform/httpclient/",
        "./internal/platform/auth/",
        "./internal/server/",
        "./internal/config/",
    )
    for name in (
        "TestCallerDeadlinesLeaveBreakerClosed",
        "TestFiveConsecutive5xxLogicalCallsOpenBreaker",
        "TestKeySetSelectsKeyByKID",
        "TestJWKSRotationMidTest",
        "TestJWKSThroughHandler",
        "TestStaticKeyRotation",
        "TestProductionRequiresIssuerAndAudience",
    ):
        assert f"--- PASS: {name}" in out, out


def test_redis_topologies(project: Path) -> None:
    for tool in ("redis-server", "redis-cli"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is required (apt-get install redis-server redis-tools)")
    version = subprocess.run(
        ["redis-server", "--version"], capture_output=True, text=True, check=True
    )
    assert "v=" in version.stdout
    out = go_test(
        project,
        "-tags",
        "integration",
        "-v",
        "-run",
        "Topology",
        "./internal/platform/ratelimit/",
        "./internal/server/",
    )
    for name in (
        "TestTopologyClusterSameDecisionsAsSingleNode",
        "TestTopologySentinelFailover",
        "TestTopologyTLS",
        "TestTopologyACLUser",
        # The failover through the HTTP handler, in each fail_closed mode.
        "TestTopologySentinelFailoverThroughHandler/fail_closed=true",
        "TestTopologySentinelFailoverThroughHandler/fail_closed=false",
    ):
        assert f"--- PASS: {name}" in out, out
    assert "SKIP" not in out, out
    for mode in ("true", "false"):
        m = re.search(rf"fail_closed={mode}: (\d+) degraded", out)
        assert m and int(m.group(1)) > 0, f"no request met the switch (fail_closed={mode}):\n{out}"
