"""Helpers shared by the tests of a rendered service (tests/template*):
rendering its files, the Go environment, the built binary, a redis-server,
free loopback ports, polling, HS256 tokens, and the service process itself.

The port and redis-server helpers are bench/benchlib.py's, so that tests and
benches start Redis the same way. tests/ is on sys.path (pytest puts a
conftest's folder there); bench/ is not a package, so it is appended here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = ROOT / "templates" / "go-service"
GOLANGCI_LINT_FALLBACK = Path("/root/go/bin/golangci-lint")
if str(ROOT / "bench") not in sys.path:
    sys.path.append(str(ROOT / "bench"))  # its module names are unique

from benchlib import RedisServer, free_port, redis_ping  # noqa: E402

__all__ = [
    "RedisServer",
    "Response",
    "ServiceProcess",
    "build_service",
    "find_golangci_lint",
    "free_port",
    "go_env",
    "go_integration_tests",
    "hs256_jwt",
    "redis_ping",
    "render_files",
    "require_redis_server",
    "start_redis",
    "wait_until",
]


def render_files(dest: Path, data: dict[str, Any], **options: Any) -> Path:
    """templates/go-service rendered into dest with data (defaults for the other
    questions) and no tasks (no git init, no go mod download): the files only.
    ``options`` go to copier.run_copy as they are (e.g. ``exclude``)."""
    from copier import run_copy

    run_copy(
        str(TEMPLATE_DIR),
        dest,
        data=data,
        defaults=True,
        unsafe=True,
        skip_tasks=True,
        quiet=True,
        **options,
    )
    return dest


def go_env(**over: str | None) -> dict[str, str]:
    """The environment of go commands (go.sum must be complete, never tidied);
    ``over`` sets variables, or unsets them with None."""
    env = dict(os.environ)
    env["GOFLAGS"] = "-mod=readonly"
    env.pop("GOWORK", None)
    for name, value in over.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def build_service(project: Path, service: str, env: dict[str, str]) -> Path:
    """`go build` of cmd/SERVICE into bin/SERVICE; the test fails with go's output."""
    out = project / "bin" / service
    proc = subprocess.run(
        ["go", "build", "-o", str(out), f"./cmd/{service}"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return out


def go_integration_tests(
    project: Path, env: dict[str, str], *packages: str, timeout: float = 1200
) -> str:
    """`go test -race -tags integration -v -run Integration` of packages; they must
    pass and none may skip. Returns go's output."""
    proc = subprocess.run(
        [
            *("go", "test", "-race", "-count=1", "-tags", "integration"),
            *("-v", "-run", "Integration", *packages),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-20000:]
    assert "--- SKIP" not in out, "integration tests skipped:\n" + out[-20000:]
    return out


def find_golangci_lint() -> str:
    """The golangci-lint binary; a missing linter fails the test, never skips it."""
    path = shutil.which("golangci-lint")
    if path is None and GOLANGCI_LINT_FALLBACK.is_file():
        path = str(GOLANGCI_LINT_FALLBACK)
    if path is None:
        pytest.fail(
            "golangci-lint not found on PATH nor at /root/go/bin/golangci-lint; install it: "
            "go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0"
        )
    return path


def require_redis_server() -> str:
    """The redis-server binary; a missing one fails the test, never skips it."""
    path = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(path).is_file():
        pytest.fail("redis-server is required (apt-get install redis-server); it is not on PATH")
    return path


def start_redis(workdir: Path) -> RedisServer:
    """A redis-server on a free loopback port, answering PING."""
    require_redis_server()
    return RedisServer(workdir).start()


def wait_until(what: str, cond: Callable[[], bool], timeout: float = 20.0) -> None:
    """Poll cond; recovery and readiness are eventual, so poll, never sleep-and-assert."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_jwt(claims: dict[str, Any], key: str, alg: str = "HS256") -> str:
    """A JWT minted with the standard library: HS256, or unsigned with alg "none"."""
    header = _b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = _b64url(json.dumps(claims).encode())
    if alg == "none":
        return f"{header}.{payload}."
    sig = hmac.new(key.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(sig)}"


@dataclass
class Response:
    """An HTTP answer: the status, the headers (lower-case names) and the body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class ServiceProcess:
    """A built service binary with one config file on free loopback ports (the
    public listener and server.admin); its stdout+stderr go to a log file.
    ``start`` returns once the admin listener answers /healthz 200."""

    def __init__(
        self, binary: Path, workdir: Path, cfg: dict[str, Any], env: dict[str, str]
    ) -> None:
        self.port, self.admin_port = free_port(), free_port()
        cfg["server"]["http"]["addr"] = f"127.0.0.1:{self.port}"
        cfg["server"].setdefault("admin", {})["addr"] = f"127.0.0.1:{self.admin_port}"
        self.cfg = cfg
        self.conf = workdir / f"config-{self.port}.yaml"
        self.conf.write_text(yaml.safe_dump(cfg))
        self.log = workdir / f"service-{self.port}.log"
        self.binary = binary
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def admin_url(self) -> str:
        """The admin listener: /healthz, /readyz, /metrics."""
        return f"http://127.0.0.1:{self.admin_port}"

    def _healthz_ok(self) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.admin_port, timeout=5)
        try:
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    def start(self) -> Self:
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [str(self.binary), "-conf", str(self.conf)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

        def up() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                pytest.fail(f"service exited {self.proc.returncode}:\n{self.log.read_text()}")
            return self._healthz_ok()

        wait_until("the service to answer /healthz", up)
        return self
