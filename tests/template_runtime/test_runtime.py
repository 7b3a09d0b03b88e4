"""The rendered service as production runs it: the built binary, a real
redis-server, signals, floods, panics and overload, all checked from outside.

The template is rendered once per session with the default features through
the real CLI (``python -m svcgen new``), built with ``go build`` and started
with a config file written here (never the shipped dev config). Each test
starts its own process on free loopback ports and talks to it over HTTP.

Test-only routes. The shipped service has no route that panics or stalls, and
must not. To reach those code paths through the binary, the session copy of
the rendered service gets what a user adding routes would write: one file,
``internal/api/zz_runtimetest_routes.go`` (the handlers below, the same shapes
as ``testRoutes`` in the template's ``internal/server/runtime_test.go``), and
one line in ``api.Register`` calling it. Only this temporary copy is changed;
the template and every real render are not. The routes are behind the whole
chain of ``server.NewHandler`` like any API route (request ID, logging,
metrics, shedding, recovery, deadline, pre-auth limiter, auth, limiter).
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import service_helpers
from service_helpers import (
    RedisServer,
    Response,
    ServiceProcess,
    build_service,
    hs256_jwt,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "rtsvc"
SECRET = "runtime-e2e-secret-0123456789abcdef0123"

pytestmark = pytest.mark.slow

TEST_ROUTES = """\
package api

// Test-only routes added by tests/template_runtime to its temporary copy of
// the rendered service. Never part of the template.

import (
	"net/http"
	"strings"
	"time"
)

func registerRuntimeTestRoutes(mux *http.ServeMux) {
	// Writes its headers and part of a body, flushes, then panics.
	mux.HandleFunc("GET /v1/rt/panic-late", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(strings.Repeat("partial ", 1000)))
		_ = http.NewResponseController(w).Flush()
		panic("late boom")
	})
	// Writes nothing until its context ends (or 5 s pass).
	mux.HandleFunc("GET /v1/rt/stall", func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	// Holds the request for 1.5 s, then answers 200.
	mux.HandleFunc("GET /v1/rt/hold", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(1500 * time.Millisecond):
		}
		_, _ = w.Write([]byte("held"))
	})
}
"""


# --- helpers -----------------------------------------------------------------

go_env = functools.partial(service_helpers.go_env, CGO_ENABLED="0")


def jwt(claims: dict[str, Any], key: str = SECRET) -> str:
    """An HS256 JWT, minted with the standard library."""
    return hs256_jwt(claims, key)


def token(user: str = "u-1") -> str:
    return jwt({"user_id": user, "role": "member", "exp": int(time.time()) + 3600})


def request(
    port: int,
    path: str,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> Response:
    """GET on a NEW connection (http.client opens one per call here)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, body)
    finally:
        conn.close()


def config(redis_addr: str, **http: Any) -> dict[str, Any]:
    """The test's own config: auth and the Redis limiter on, short health
    caching so that /readyz follows Redis within a fraction of a second."""
    return {
        "server": {
            "http": {"shutdown_delay": "0s", "shutdown_timeout": "10s", **http},
            "admin": {},
        },
        "health": {"cache_ttl": "200ms", "refresh_interval": "100ms"},
        "log": {"level": "info"},
        "data": {"redis": {"addr": redis_addr}},
        "middleware": {
            "auth": {"enabled": True, "jwt_secret": "${JWT_SECRET}"},
            "ratelimit": {
                "enabled": True,
                "fail_closed": True,
                "default_limit": 1000,
                "default_window": "60s",
                "key": "user",
                "preauth": {"limit": 1000, "window": "60s"},
            },
        },
        "tracing": {"enabled": False},
    }


class Service(ServiceProcess):
    """The built binary with one config; its stdout+stderr go to a log file."""

    def __init__(self, binary: Path, workdir: Path, cfg: dict[str, Any]) -> None:
        env = {"PATH": os.environ.get("PATH", ""), "JWT_SECRET": SECRET}
        super().__init__(binary, workdir, cfg, env)

    def get(self, path: str, tok: str | None = None, **headers: str) -> Response:
        if tok is not None:
            headers["Authorization"] = f"Bearer {tok}"
        return request(self.port, path, headers)

    def admin(self, path: str) -> Response:
        return request(self.admin_port, path, timeout=5)

    def readyz(self) -> tuple[int, dict[str, Any]]:
        r = self.admin("/readyz")
        body: dict[str, Any] = r.json()
        return r.status, body

    def metric(self, name: str, **labels: str) -> float:
        body = self.admin("/metrics").body.decode()
        total = 0.0
        for m in re.finditer(rf"^{re.escape(name)}(?:\{{([^}}]*)\}})? (\S+)$", body, re.M):
            have = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1) or ""))
            if all(have.get(k) == v for k, v in labels.items()):
                total += float(m.group(2))
        return total

    def log_lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --- fixtures ----------------------------------------------------------------


@pytest.fixture(scope="session")
def binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default-features service, rendered by the CLI, with the test-only
    routes added to this copy (see the module docstring), built once."""
    if shutil.which("go") is None:
        pytest.fail("the Go toolchain is required")
    dest = tmp_path_factory.mktemp("render")
    proc = subprocess.run(
        [sys.executable, "-m", "svcgen", "new", SERVICE, "--defaults", "--dest", str(dest)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    project = dest / SERVICE
    routes = project / "internal" / "api" / "routes.go"
    text = routes.read_text()
    anchor = "func Register(mux *http.ServeMux, deps Deps) {\n"
    assert anchor in text, "api.Register changed shape; update the test's route hook"
    routes.write_text(text.replace(anchor, anchor + "\tregisterRuntimeTestRoutes(mux)\n"))
    (project / "internal" / "api" / "zz_runtimetest_routes.go").write_text(TEST_ROUTES)
    return build_service(project, SERVICE, go_env())


@pytest.fixture
def start(binary: Path, tmp_path: Path, redis: RedisServer) -> Iterator[Callable[..., Service]]:
    started: list[Service] = []

    def run(edit: Callable[[dict[str, Any]], None] | None = None, **http: Any) -> Service:
        cfg = config(redis.addr, **http)
        if edit is not None:
            edit(cfg)
        svc = Service(binary, tmp_path, cfg).start()
        started.append(svc)
        return svc

    yield run
    for svc in started:
        svc.stop()


# --- readiness follows the limiter's mode ------------------------------------------


def _fail_open(cfg: dict[str, Any]) -> None:
    cfg["middleware"]["ratelimit"]["fail_closed"] = False


def _local(cfg: dict[str, Any]) -> None:
    cfg["middleware"]["ratelimit"]["failure_mode"] = "local"
    cfg["middleware"]["ratelimit"]["replicas"] = 2


@pytest.mark.parametrize(
    ("mode", "edit", "ready", "overall", "critical", "api"),
    [
        ("fail_closed", None, 503, "unavailable", True, 503),
        ("fail_open", _fail_open, 200, "degraded", False, 200),
        ("failure_mode_local", _local, 200, "degraded", False, 200),
    ],
)
def test_readiness_with_redis_killed(
    start: Callable[..., Service],
    redis: RedisServer,
    mode: str,
    edit: Callable[[dict[str, Any]], None] | None,
    ready: int,
    overall: str,
    critical: bool,
    api: int,
) -> None:
    svc = start(edit)
    tok = token()
    wait_until("/readyz 200 with redis up", lambda: svc.readyz()[0] == 200)
    assert svc.readyz()[1]["checks"]["redis"] == {"status": "up", "critical": critical}
    assert svc.get("/v1/whoami", tok).status == 200

    redis.kill()
    wait_until(
        "/readyz to show redis down",
        lambda: svc.readyz()[1]["checks"]["redis"]["status"] == "down",
    )
    code, body = svc.readyz()
    assert (code, body["status"]) == (ready, overall), (mode, body)
    assert body["checks"]["redis"] == {"status": "down", "critical": critical}, body
    assert "error" not in json.dumps(body), "error texts only with ?verbose=1"
    r = svc.get("/v1/whoami", tok)
    assert r.status == api, (mode, r.body)
    if api == 503:
        assert r.json()["reason"] == "SERVICE_DEGRADED"
    else:
        assert r.json()["claims"]["user_id"] == "u-1"
    assert svc.admin("/healthz").status == 200


# --- the SIGTERM sequence --------------------------------------------------------------


def test_sigterm_keeps_serving_through_shutdown_delay_then_exits_0(
    start: Callable[..., Service],
) -> None:
    delay, timeout = 2.0, 8.0
    svc = start(shutdown_delay=f"{delay:g}s", shutdown_timeout=f"{timeout:g}s")
    tok = token()
    assert svc.get("/v1/whoami", tok).status == 200
    assert svc.readyz()[0] == 200
    t0 = time.monotonic()
    svc.signal(signal.SIGTERM)
    wait_until("/readyz 503 shutting_down", lambda: svc.readyz()[0] == 503, timeout=delay)
    code, body = svc.readyz()
    assert (code, body["status"]) == (503, "shutting_down")
    # A NEW connection, opened well after the signal and inside the delay.
    time.sleep(0.3)
    opened = time.monotonic() - t0
    r = svc.get("/v1/whoami", tok)
    assert opened < delay and r.status == 200, (opened, r.status, r.body)
    assert svc.readyz()[1]["status"] == "shutting_down"
    assert svc.proc is not None
    rc = svc.proc.wait(timeout=timeout + 5)
    elapsed = time.monotonic() - t0
    assert rc == 0, svc.log.read_text()[-3000:]
    assert delay <= elapsed < timeout, elapsed
    # After the delay the public listener is closed: new connections fail.
    with pytest.raises(OSError):
        svc.get("/v1/whoami", tok)


def test_second_signal_exits_1_at_once(start: Callable[..., Service]) -> None:
    delay = 6.0
    svc = start(shutdown_delay=f"{delay:g}s", shutdown_timeout="10s")
    t0 = time.monotonic()
    svc.signal(signal.SIGTERM)
    wait_until("/readyz 503 shutting_down", lambda: svc.readyz()[0] == 503, timeout=delay)
    svc.signal(signal.SIGINT)
    assert svc.proc is not None
    rc = svc.proc.wait(timeout=delay + 5)
    assert rc == 1, svc.log.read_text()[-3000:]
    # "At once": long before the first signal's shutdown_delay would have ended.
    assert time.monotonic() - t0 < delay, "the second signal waited for the delay"


# --- panics ---------------------------------------------------------------------


def test_panic_after_headers_gives_a_broken_response(start: Callable[..., Service]) -> None:
    svc = start()
    conn = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=10)
    conn.request("GET", "/v1/rt/panic-late", headers={"Authorization": f"Bearer {token()}"})
    resp = conn.getresponse()
    assert resp.status == 200  # the headers were out before the panic
    with pytest.raises((http.client.IncompleteRead, ConnectionError)):
        resp.read()  # never a clean end of body
    conn.close()
    assert svc.proc is not None and svc.proc.poll() is None, "the process survived"
    wait_until(
        "http_panics_total{route} to count it",
        lambda: svc.metric("http_panics_total") == 1,
        timeout=5,
    )
    panics = re.findall(
        r'^http_panics_total\{route="([^"]*)"\} 1$', svc.admin("/metrics").body.decode(), re.M
    )
    assert panics and panics[0].endswith("/v1/rt/panic-late"), panics
    access = [
        json.loads(line)
        for line in svc.log_lines()
        if '"path":"/v1/rt/panic-late"' in line and '"status"' in line
    ]
    assert access and all(a["status"] == 500 for a in access), access


# --- the pre-auth limiter ---------------------------------------------------------------


def test_bad_token_flood_reaches_429(start: Callable[..., Service]) -> None:
    def tight_preauth(cfg: dict[str, Any]) -> None:
        cfg["middleware"]["ratelimit"]["preauth"] = {"limit": 20, "window": "60s"}

    svc = start(tight_preauth)
    bad = jwt({"user_id": "mallory", "exp": int(time.time()) + 3600}, key="x" * 40)
    codes = [svc.get("/v1/whoami", bad).status for _ in range(30)]
    assert codes[:20] == [401] * 20, codes
    assert codes[20:] == [429] * 10, codes
    no_token = svc.get("/v1/whoami")
    assert no_token.status == 429 and no_token.json()["reason"] == "RATE_LIMITED"


# --- bounded logs ------------------------------------------------------------------------


def raw_request(port: int, head: bytes) -> bytes:
    """Send a raw request head; return what the server answered (b"" when it
    closed the connection before answering)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        # The server may stop reading and close early: read what it sent.
        with contextlib.suppress(OSError):
            s.sendall(head)
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except OSError:
            pass
        return b"".join(chunks)


def test_huge_header_leaves_no_log_line_over_4_kib(start: Callable[..., Service]) -> None:
    svc = start()
    # 500 KB: over max_header_bytes (default 64 KiB): answered 431 by net/http.
    big = b"GET /v1/whoami HTTP/1.1\r\nHost: x\r\nUser-Agent: " + b"a" * 500_000 + b"\r\n\r\n"
    answer = raw_request(svc.port, big)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
    # 60 KB, under the limit: served (401, no token) and logged, cut to 256 bytes.
    ua = "b" * 60_000
    r = svc.get("/v1/whoami", **{"User-Agent": ua, "X-Request-ID": "r" * 5000})
    assert r.status in (400, 401), r.status
    lines = svc.log_lines()
    longest = max(len(line.encode()) for line in lines)
    assert longest <= 4096, f"a log line of {longest} bytes"
    assert any("[+59744 bytes]" in line for line in lines), "no truncation marker in the log"


# --- deadlines and overload ---------------------------------------------------------------


def test_request_timeout_gives_503_timeout(start: Callable[..., Service]) -> None:
    svc = start(request_timeout="300ms")
    r = svc.get("/v1/rt/stall", token())
    assert r.status == 503, r.body
    assert r.json()["reason"] == "TIMEOUT" and r.json()["code"] == 503
    assert svc.get("/v1/whoami", token()).status == 200


def test_max_in_flight_gives_503_overloaded(start: Callable[..., Service]) -> None:
    svc = start(max_in_flight=2)
    tok = token()
    held: list[int] = []

    def hold() -> None:
        held.append(svc.get("/v1/rt/hold", tok).status)

    threads = [threading.Thread(target=hold) for _ in range(2)]
    for t in threads:
        t.start()
    wait_until(
        "two requests in flight",
        lambda: svc.metric("http_in_flight_requests") >= 2,
        timeout=5,
    )
    r = svc.get("/v1/whoami", tok)
    for t in threads:
        t.join(10)
    assert r.status == 503, r.body
    assert r.json()["reason"] == "OVERLOADED" and r.headers["retry-after"] == "1"
    assert held == [200, 200]
    assert svc.metric("http_shed_total", reason="max_in_flight") == 1
    assert svc.get("/v1/whoami", tok).status == 200
