"""JWT auth and Redis rate limiting of a rendered service, end to end.

The template is rendered with its defaults, the service binary is built and
run against a real redis-server on a free loopback port, and real HTTP
requests check the contract of issue 3: every auth rejection, the typed
claims of /v1/whoami, the rate limit with its headers, and a Redis outage
(fail-closed 503 and fail-open pass-through, /readyz naming redis while
/healthz stays 200, recovery without a restart). The Go integration tests of
the rendered service must run against Redis here, not skip.
"""

from __future__ import annotations

import functools
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import service_helpers
from service_helpers import (
    RedisServer,
    Response,
    ServiceProcess,
    build_service,
    go_integration_tests,
    hs256_jwt,
    require_redis_server,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = ROOT / "templates" / "go-service"
SERVICE = "demo"
SECRET = "authrl-e2e-secret-0123456789abcdef0123"
WRONG_SECRET = "another-secret-entirely-0123456789abcdef"
# config-production.yaml requires the tokens' issuer and audience (issue 14).
ISSUER = "https://idp.example.com"
AUDIENCE = SERVICE
DEV_SECRET = "development-only-secret-do-not-deploy-0123456789"  # configs/config.yaml

pytestmark = pytest.mark.slow


# --- helpers -----------------------------------------------------------------

# The Go tests must start their own redis-server here.
go_env = functools.partial(service_helpers.go_env, REDIS_ADDR=None)


def jwt(claims: dict[str, Any], *, key: str = SECRET, alg: str = "HS256") -> str:
    return hs256_jwt(claims, key, alg)


def claims(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "user_id": "u-42",
        "role": "admin",
        "email": "u42@example.com",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "exp": int(time.time()) + 3600,
    }
    base.update(over)
    return base


def http_get(url: str, token: str | None = None) -> Response:
    req = urllib.request.Request(url)
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return Response(
                resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
            )
    except urllib.error.HTTPError as e:
        return Response(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())


class Service(ServiceProcess):
    """The built binary running with a config file, stopped with SIGTERM."""

    def __init__(self, binary: Path, workdir: Path, config: dict[str, Any], env: dict[str, str]):
        config["server"]["http"]["shutdown_delay"] = "0s"
        super().__init__(binary, workdir, config, env)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        self.proc = None
        assert code == 0, f"service exited {code} on SIGTERM:\n{self.log.read_text()}"

    def get(self, path: str, token: str | None = None) -> Response:
        admin = path.split("?", maxsplit=1)[0] in ("/healthz", "/readyz", "/metrics")
        base = self.admin_url if admin else self.url
        return http_get(base + path, token)

    def metric(self, name: str, **labels: str) -> float:
        """The value of one sample of /metrics (0 when absent)."""
        body = self.get("/metrics").body.decode()
        want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        pattern = re.compile(rf"^{re.escape(name)}\{{{re.escape(want)}\}} (\S+)$", re.M)
        m = pattern.search(body)
        return float(m.group(1)) if m else 0.0


# --- fixtures ----------------------------------------------------------------


@pytest.fixture(scope="module")
def project(copie_session: Any) -> Path:
    result = copie_session.copy(extra_answers={"service_name": SERVICE}, template_dir=TEMPLATE_DIR)
    assert result.exception is None, f"render failed: {result.exception!r}"
    assert result.exit_code == 0
    return Path(result.project_dir)


@pytest.fixture(scope="module")
def binary(project: Path) -> Path:
    return build_service(project, SERVICE, go_env())


def service_env(secret: str = SECRET, **over: str) -> dict[str, str]:
    """What the production config needs from the environment; over replaces or unsets ("")."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "JWT_SECRET": secret,
        "JWT_ISSUER": ISSUER,
        "JWT_AUDIENCE": AUDIENCE,
    }
    env.update(over)
    return {k: v for k, v in env.items() if k == "JWT_SECRET" or v}


def load_config(project: Path, name: str, redis: RedisServer) -> dict[str, Any]:
    cfg: dict[str, Any] = yaml.safe_load((project / "configs" / name).read_text())
    cfg["data"]["redis"]["addr"] = f"127.0.0.1:{redis.port}"
    # Short cache so that /readyz reflects Redis within a fraction of a second.
    cfg["health"] = {"cache_ttl": "200ms", "refresh_interval": "100ms"}
    return cfg


@pytest.fixture
def start_service(
    binary: Path, project: Path, tmp_path: Path, redis: RedisServer
) -> Iterator[Callable[..., Service]]:
    started: list[Service] = []

    def start(
        config_name: str = "config-production.yaml",
        edit: Callable[[dict[str, Any]], None] | None = None,
        secret: str = SECRET,
    ) -> Service:
        cfg = load_config(project, config_name, redis)
        if edit is not None:
            edit(cfg)
        svc = Service(binary, tmp_path, cfg, service_env(secret))
        svc.start()
        started.append(svc)
        return svc

    yield start
    for svc in started:
        svc.stop()


# --- the shipped configs -------------------------------------------------------


def test_shipped_configs_fail_closed_only_in_production(project: Path) -> None:
    dev = yaml.safe_load((project / "configs" / "config.yaml").read_text())
    prod = yaml.safe_load((project / "configs" / "config-production.yaml").read_text())
    # Production reads its secret from the environment; development ships the
    # published development secret, which only a config with allow_dev_secret takes.
    assert prod["middleware"]["auth"]["jwt_secret"] == "${JWT_SECRET}"
    assert "allow_dev_secret" not in prod["middleware"]["auth"]
    assert dev["middleware"]["auth"]["jwt_secret"] == DEV_SECRET
    assert dev["middleware"]["auth"]["allow_dev_secret"] is True
    for cfg in (dev, prod):
        auth = cfg["middleware"]["auth"]
        assert auth["enabled"] is True
        assert auth["algorithms"] == ["HS256"]
        assert auth["skip_paths"] == ["/healthz", "/readyz", "/metrics"]
        rl = cfg["middleware"]["ratelimit"]
        assert rl["enabled"] is True
        assert rl["key"] == "ip"
        assert rl["default_limit"] == 100
        assert rl["default_window"] == "60s"
        assert "addr" in cfg["data"]["redis"]
    assert dev["middleware"]["ratelimit"]["fail_closed"] is False
    assert prod["middleware"]["ratelimit"]["fail_closed"] is True
    # Production requires the tokens' issuer and audience, from the environment.
    assert prod["middleware"]["auth"]["issuer"] == "${JWT_ISSUER}"
    assert prod["middleware"]["auth"]["audience"] == "${JWT_AUDIENCE}"


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"JWT_SECRET": ""}, "JWT_SECRET"),
        ({"JWT_SECRET": "too-short"}, "middleware.auth.jwt_secret"),
        ({"JWT_ISSUER": ""}, "middleware.auth.issuer: environment variable JWT_ISSUER"),
        ({"JWT_AUDIENCE": ""}, "middleware.auth.audience: environment variable JWT_AUDIENCE"),
    ],
    ids=["no-secret", "short-secret", "no-issuer", "no-audience"],
)
def test_production_refuses_to_start_without_its_variables(
    binary: Path,
    project: Path,
    tmp_path: Path,
    redis: RedisServer,
    env: dict[str, str],
    needle: str,
) -> None:
    cfg = load_config(project, "config-production.yaml", redis)
    svc = Service(binary, tmp_path, cfg, service_env(**env))
    proc = subprocess.run(
        [str(binary), "-conf", str(svc.conf)],
        env=svc.env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode != 0
    assert needle in proc.stdout + proc.stderr


# --- auth ------------------------------------------------------------------------

INVALID = "invalid bearer token"


def without(c: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in c.items() if k != name}


AUTH_CASES: list[tuple[str, Callable[[], str | None], str, str]] = [
    ("no token", lambda: None, "missing", "missing bearer token"),
    ("numeric user_id", lambda: jwt(claims(user_id=42)), "bad_claims", "invalid bearer token"),
    ("array role", lambda: jwt(claims(role=["admin"])), "bad_claims", "invalid bearer token"),
    ("null email", lambda: jwt(claims(email=None)), "bad_claims", "invalid bearer token"),
    ("alg none", lambda: jwt(claims(), alg="none"), "bad_algorithm", "invalid bearer token"),
    ("expired", lambda: jwt(claims(exp=int(time.time()) - 60)), "expired", "bearer token expired"),
    ("wrong key", lambda: jwt(claims(), key=WRONG_SECRET), "bad_signature", "invalid bearer token"),
    ("wrong issuer", lambda: jwt(claims(iss="https://x.example")), "bad_claims", INVALID),
    ("wrong audience", lambda: jwt(claims(aud="other-svc")), "bad_claims", INVALID),
    ("no audience", lambda: jwt(without(claims(), "aud")), "bad_claims", INVALID),
    ("garbage", lambda: "not.a.jwt", "malformed", "invalid bearer token"),
]


def test_auth_rejections(start_service: Callable[..., Service]) -> None:
    svc = start_service()
    for name, make_token, reason, message in AUTH_CASES:
        before = svc.metric("auth_failures_total", reason=reason)
        r = svc.get("/v1/whoami", make_token())
        assert r.status == 401, name
        assert r.json() == {"code": 401, "reason": "UNAUTHORIZED", "message": message}, name
        assert r.headers["content-type"] == "application/json", name
        assert r.headers["www-authenticate"].startswith('Bearer realm="api"'), name
        assert svc.metric("auth_failures_total", reason=reason) == before + 1, name
    # Probes and scrapes need no token.
    for path in ("/healthz", "/readyz", "/metrics"):
        wait_until(f"{path} to answer 200", lambda p=path: svc.get(p).status == 200)


def test_whoami_returns_typed_claims(start_service: Callable[..., Service]) -> None:
    svc = start_service()
    exp = int(time.time()) + 600
    r = svc.get("/v1/whoami", jwt(claims(exp=exp)))
    assert r.status == 200, r.body
    body = r.json()
    assert body["subject"] == "u-42"
    assert body["claims"]["user_id"] == "u-42"
    assert body["claims"]["role"] == "admin"
    assert body["claims"]["email"] == "u42@example.com"
    assert body["service"] == SERVICE
    # An allowed response carries the rate-limit headers too.
    assert r.headers["ratelimit-limit"] == "100"
    assert int(r.headers["ratelimit-remaining"]) == 99


# --- rate limit -------------------------------------------------------------------


def tight_limit(cfg: dict[str, Any]) -> None:
    cfg["middleware"]["ratelimit"]["routes"] = {"/v1/whoami": {"limit": 3, "window": "60s"}}


def test_rate_limit_429_with_headers(start_service: Callable[..., Service]) -> None:
    svc = start_service(edit=tight_limit)
    token = jwt(claims())
    for remaining in (2, 1, 0):
        r = svc.get("/v1/whoami", token)
        assert r.status == 200, r.body
        assert r.headers["ratelimit-limit"] == "3"
        assert r.headers["ratelimit-remaining"] == str(remaining)
        assert int(r.headers["ratelimit-reset"]) > 0
        assert "retry-after" not in r.headers
    r = svc.get("/v1/whoami", token)
    assert r.status == 429
    assert r.json() == {"code": 429, "reason": "RATE_LIMITED", "message": "rate limit exceeded"}
    assert r.headers["ratelimit-limit"] == "3"
    assert r.headers["ratelimit-remaining"] == "0"
    assert 19 <= int(r.headers["retry-after"]) <= 20  # one interval: 60s / 3
    assert 59 <= int(r.headers["ratelimit-reset"]) <= 60
    assert svc.metric("rate_limit_blocked_total", route="GET /v1/whoami") == 1
    # Health, readiness and metrics are never limited.
    for _ in range(10):
        assert svc.get("/healthz").status == 200
        assert "ratelimit-limit" not in svc.get("/healthz").headers


# --- outage -----------------------------------------------------------------------


def readyz_redis(svc: Service) -> tuple[int, dict[str, Any]]:
    r = svc.get("/readyz?verbose=1")
    checks: dict[str, Any] = r.json()["checks"]
    return r.status, checks.get("redis", {})


def test_outage_fail_closed_then_recovers(
    start_service: Callable[..., Service], redis: RedisServer
) -> None:
    svc = start_service("config-production.yaml")
    assert svc.proc is not None
    pid = svc.proc.pid
    token = jwt(claims())
    wait_until("/readyz 200", lambda: readyz_redis(svc)[0] == 200)
    assert svc.get("/v1/whoami", token).status == 200

    redis.kill()
    r = svc.get("/v1/whoami", token)
    assert r.status == 503
    assert r.json() == {
        "code": 503,
        "reason": "SERVICE_DEGRADED",
        "message": "Rate limiting unavailable",
    }
    assert "ratelimit-limit" not in r.headers
    # The pre-auth limiter (before auth) is the first to meet the outage.
    errors = sum(
        svc.metric(prefix + "rate_limit_errors_total", reason=reason)
        for prefix in ("", "preauth_")
        for reason in ("redis_error", "timeout")
    )
    assert errors >= 1
    wait_until("/readyz 503 naming redis", lambda: readyz_redis(svc)[0] == 503)
    _, check = readyz_redis(svc)
    assert check["status"] == "down" and check["critical"] is True and check["error"], check
    assert svc.get("/healthz").status == 200

    redis.start()
    wait_until("traffic to recover", lambda: svc.get("/v1/whoami", token).status == 200)
    wait_until("/readyz 200 again", lambda: readyz_redis(svc)[0] == 200)
    r = svc.get("/v1/whoami", token)
    assert r.status == 200 and r.headers["ratelimit-limit"] == "100"
    assert svc.proc is not None and svc.proc.pid == pid and svc.proc.poll() is None


def test_outage_fail_open_passes_traffic(
    start_service: Callable[..., Service], redis: RedisServer
) -> None:
    svc = start_service("config.yaml")
    token = jwt(claims(iss=f"{SERVICE}-dev", aud=SERVICE), key=DEV_SECRET)
    assert svc.get("/v1/whoami", token).status == 200
    redis.kill()
    for _ in range(5):
        r = svc.get("/v1/whoami", token)
        assert r.status == 200, r.body
        assert r.json()["claims"]["user_id"] == "u-42"
        assert "ratelimit-limit" not in r.headers
    # Fail-open serves without Redis: readiness shows the outage but stays 200,
    # or every replica would leave the load balancer at once (issue 12).
    wait_until("/readyz to show redis down", lambda: readyz_redis(svc)[1].get("status") == "down")
    code, check = readyz_redis(svc)
    assert code == 200 and check["critical"] is False, check
    assert svc.get("/readyz").json()["status"] == "degraded"
    redis.start()
    wait_until(
        "rate-limit headers to come back",
        lambda: "ratelimit-limit" in svc.get("/v1/whoami", token).headers,
    )


def test_failure_mode_local_overrides_fail_closed(
    start_service: Callable[..., Service], redis: RedisServer
) -> None:
    def local(cfg: dict[str, Any]) -> None:
        tight_limit(cfg)
        cfg["middleware"]["ratelimit"]["failure_mode"] = "local"
        cfg["middleware"]["ratelimit"]["replicas"] = 3

    svc = start_service("config-production.yaml", edit=local)
    token = jwt(claims())
    redis.kill()
    r = svc.get("/v1/whoami", token)  # limit 3 over 3 replicas: 1 here
    assert r.status == 200 and r.headers["ratelimit-limit"] == "1", r.body
    r = svc.get("/v1/whoami", token)
    assert r.status == 429 and r.json()["reason"] == "RATE_LIMITED"


# --- the rendered service's own Go integration tests ------------------------------


def test_go_integration_tests_run_against_redis(project: Path) -> None:
    require_redis_server()
    out = go_integration_tests(project, go_env(), "./...")
    passed = set(re.findall(r"^\s*--- PASS: (TestIntegration\w+)", out, re.M))
    expected = {
        "TestIntegrationRedisLimitAndWindowReset",
        "TestIntegrationRedisOneRoundTrip",
        "TestIntegrationRedisOutageAndRecovery",
        "TestIntegrationRateLimitReachedAndReset",
        "TestIntegrationRateLimitFailClosed",
        "TestIntegrationRateLimitFailOpen",
        "TestIntegrationRateLimitFailureModeLocal",
        "TestIntegrationServer",
        "TestIntegrationProxy",
    }
    assert expected <= passed, f"missing: {sorted(expected - passed)}\n{out[-20000:]}"
