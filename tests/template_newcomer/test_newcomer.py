"""A newcomer runs a fresh render the way its README says (issue 12, "A newcomer can run it").

The service is rendered through the real CLI (`svcgen new`), and everything goes through
the rendered Makefile: `make help`, `make redis` (a real redis-server, on a free loopback
port through REDIS_PORT), `make run` with the development config and no service
environment variables, `make -s token`, then real HTTP requests: the token gets 200 from
/v1/whoami, a wrong one 401. The production config refuses the development secret, a render
without auth explains that `make token` has nothing to mint, and `scripts/with-redis.sh`
(behind `make test-integration`) starts and stops its throwaway redis-server.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from service_helpers import free_port, redis_ping, require_redis_server

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "demo"
DEV_SECRET = "development-only-secret-do-not-deploy-0123456789"
OWN_SECRET = "newcomer-own-secret-0123456789abcdef0123"
CURL_LINE = 'curl -H "Authorization: Bearer $(make -s token)" localhost:8000/v1/whoami'
JWT_RE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")

pytestmark = pytest.mark.slow


def toolchain_env(**extra: str) -> dict[str, str]:
    """Only what the Go toolchain and make need: no service variable (JWT_SECRET, ...)."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "TMPDIR") if k in os.environ}
    for name in ("GOPATH", "GOCACHE", "GOMODCACHE"):
        out = subprocess.run(["go", "env", name], capture_output=True, text=True, check=True)
        env[name] = out.stdout.strip()
    env["GOTOOLCHAIN"] = "local"
    env.update(extra)
    return env


def svcgen_new(dest: Path, *data: str) -> Path:
    """`svcgen new demo --defaults` through the real CLI, as the newcomer runs it."""
    args = [sys.executable, "-m", "svcgen", "new", SERVICE, "--defaults", "--dest", str(dest)]
    for d in data:
        args += ["--data", d]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "cli")}
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return dest / SERVICE


def make(
    project: Path, *args: str, timeout: float = 600, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", *args],
        cwd=project,
        env=toolchain_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Started:
    proc: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]


def wait_until(what: str, cond: Callable[[], bool], timeout: float, started: Started) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        if started.proc.poll() is not None:
            pytest.fail(
                f"{what}: {started.proc.args} exited {started.proc.returncode}:\n{started.output()}"
            )
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}:\n{started.output()}")


@dataclass
class Response:
    status: int
    body: str

    def json(self) -> dict[str, object]:
        data = json.loads(self.body)
        assert isinstance(data, dict)
        return data


def get(url: str, token: str | None = None) -> Response:
    req = urllib.request.Request(url)
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return Response(resp.status, resp.read().decode())
    except urllib.error.HTTPError as e:
        return Response(e.code, e.read().decode())
    except OSError:
        return Response(0, "")


def jwt_payload(token: str) -> dict[str, object]:
    part = token.split(".")[1]
    data = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    assert isinstance(data, dict)
    return data


class Processes:
    """Processes started in their own session, stopped by process group at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, args: list[str], cwd: Path, env: dict[str, str]) -> Started:
        log = self.logs / f"{len(self.procs)}-{args[1]}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.procs.append(proc)
        return Started(proc, log)

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return svcgen_new(tmp_path_factory.mktemp("newcomer"))


@pytest.fixture(scope="module")
def minimal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return svcgen_new(tmp_path_factory.mktemp("newcomer-minimal"), "features=")


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    p = Processes(tmp_path)
    yield p
    p.stop_all()


# --- what the newcomer reads ------------------------------------------------------------------


def test_readme_first_screen_has_the_whole_flow(project: Path) -> None:
    first_screen = "\n".join((project / "README.md").read_text().splitlines()[:30])
    for needle in ("make help", "make redis", "make run", CURL_LINE, "make token", "make test"):
        assert needle in first_screen, (
            f"{needle!r} not in the README's first screen:\n{first_screen}"
        )


def test_make_help_lists_the_targets(project: Path) -> None:
    proc = make(project, "help")
    assert proc.returncode == 0, proc.stderr
    listed = {line.split()[0] for line in proc.stdout.splitlines() if line.strip()}
    documented = set(re.findall(r"^([a-z-]+):.*## ", (project / "Makefile").read_text(), re.M))
    want = {"help", "build", "test", "test-integration", "lint", "run", "redis", "token"}
    assert want <= documented, documented
    assert listed == documented, proc.stdout


def test_dev_config_needs_no_environment(project: Path) -> None:
    text = (project / "configs" / "config.yaml").read_text()
    assert "${" not in re.sub(r"#.*", "", text), "the development config references a variable"


# --- the flow, for real -----------------------------------------------------------------------


def dev_config_on(project: Path, dest: Path, http: int, admin: int, redis: int) -> Path:
    """configs/config.yaml with only its three addresses moved onto free ports."""
    text = (project / "configs" / "config.yaml").read_text()
    for old, new in (
        ("addr: 0.0.0.0:8000", f"addr: 127.0.0.1:{http}"),
        ("addr: 0.0.0.0:9090", f"addr: 127.0.0.1:{admin}"),
        ("addr: 127.0.0.1:6379", f"addr: 127.0.0.1:{redis}"),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    dest.write_text(text)
    return dest


def test_redis_run_token_whoami(project: Path, tmp_path: Path, processes: Processes) -> None:
    require_redis_server()
    redis_port, http, admin = free_port(), free_port(), free_port()
    redis = processes.start(["make", "redis", f"REDIS_PORT={redis_port}"], project, toolchain_env())
    wait_until("make redis to answer PING", lambda: redis_ping(redis_port), 30, redis)

    conf = dev_config_on(project, tmp_path / "config.yaml", http, admin, redis_port)
    svc = processes.start(["make", "run", f"CONF={conf}"], project, toolchain_env())
    wait_until(
        "make run to serve /healthz",
        lambda: get(f"http://127.0.0.1:{admin}/healthz").status == 200,
        600,
        svc,
    )
    ready = get(f"http://127.0.0.1:{admin}/readyz").json()
    assert ready["checks"] == {
        "redis": {"status": "up", "critical": False},
        "workers": {"status": "up", "critical": True},
    }, ready

    tok = make(project, "-s", "token", f"CONF={conf}")
    assert tok.returncode == 0, tok.stderr
    token = tok.stdout.removesuffix("\n")
    assert JWT_RE.match(token), f"make -s token printed more than a token: {tok.stdout!r}"
    claims = jwt_payload(token)
    assert claims["sub"] == claims["user_id"] == "alice"
    assert claims["iss"] == f"{SERVICE}-dev" and claims["aud"] == SERVICE, claims
    assert isinstance(claims["exp"], int) and 3500 < claims["exp"] - time.time() <= 3600

    url = f"http://127.0.0.1:{http}/v1/whoami"
    r = get(url, token)
    assert r.status == 200, r.body
    assert r.json()["subject"] == "alice"

    # Wrong tokens: another secret, a tampered signature, none at all.
    header, payload, sig = token.split(".")
    tampered = f"{header}.{payload}.{sig[:-2]}{'AA' if sig[-2:] != 'AA' else 'BB'}"
    for bad in (tampered, "not-a-jwt", None):
        r = get(url, bad)
        assert r.status == 401, (bad, r.status, r.body)
        assert r.json()["reason"] == "UNAUTHORIZED"

    # SUB and TTL reach the token subcommand.
    tok = make(project, "-s", "token", f"CONF={conf}", "SUB=bob", "TTL=5m")
    assert tok.returncode == 0, tok.stderr
    bob = tok.stdout.strip()
    assert get(url, bob).json()["subject"] == "bob"
    exp = jwt_payload(bob)["exp"]
    assert isinstance(exp, int) and exp - time.time() <= 300


def test_token_from_the_shipped_dev_config_as_is(project: Path) -> None:
    """`go run ./cmd/demo token -sub alice -ttl 1h`, verbatim, with no environment."""
    proc = subprocess.run(
        ["go", "run", f"./cmd/{SERVICE}", "token", "-sub", "alice", "-ttl", "1h"],
        cwd=project,
        env=toolchain_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert JWT_RE.match(proc.stdout.strip())
    assert jwt_payload(proc.stdout.strip())["sub"] == "alice"


def test_production_config_refuses_the_dev_secret(project: Path) -> None:
    binary = project / "bin" / SERVICE
    build = make(project, "build")
    assert build.returncode == 0, build.stderr
    prod = ["-conf", "configs/config-production.yaml"]

    def run(*args: str, secret: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(binary), *prod, *args],
            cwd=project,
            env={
                "PATH": os.environ["PATH"],
                "JWT_SECRET": secret,
                # config-production.yaml requires both (issue 14).
                "JWT_ISSUER": "https://idp.example.com",
                "JWT_AUDIENCE": SERVICE,
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    started = run(secret=DEV_SECRET)
    assert started.returncode == 1
    assert "middleware.auth.jwt_secret: it is the published development secret" in started.stderr
    # With a secret of its own, the production config loads, but token mints nothing for it.
    minted = run("token", "-sub", "alice", secret=OWN_SECRET)
    assert minted.returncode == 1 and minted.stdout == "", minted
    assert "does not verify development tokens" in minted.stderr


def test_minimal_render_explains_make_token(minimal: Path) -> None:
    helped = make(minimal, "help")
    assert helped.returncode == 0
    assert not re.search(r"^\s*(token|redis)\s", helped.stdout, re.M), helped.stdout
    proc = make(minimal, "token")
    assert proc.returncode == 2
    assert "rendered without the auth feature" in proc.stderr
    readme = "\n".join((minimal / "README.md").read_text().splitlines()[:30])
    assert "make -s token" not in readme and "make redis" not in readme
    assert "curl localhost:8000/v1/whoami" in readme


def test_minimal_render_passes_make_test(minimal: Path) -> None:
    proc = make(minimal, "test", timeout=1500)
    assert proc.returncode == 0, proc.stdout[-10000:] + proc.stderr[-10000:]


# --- scripts/with-redis.sh, behind make test-integration --------------------------------------

PROBE = (
    "import os, socket; host, port = os.environ['REDIS_ADDR'].rsplit(':', 1); "
    "s = socket.create_connection((host, int(port)), timeout=2); s.sendall(b'PING\\r\\n'); "
    "print(os.environ['REDIS_ADDR'], s.recv(16).decode().strip())"
)


def test_with_redis_starts_and_stops_a_throwaway_redis(project: Path) -> None:
    require_redis_server()
    script = str(project / "scripts" / "with-redis.sh")
    env = toolchain_env()
    proc = subprocess.run(
        [script, sys.executable, "-c", PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    addr, reply = proc.stdout.split()
    assert reply == "+PONG" and addr.startswith("127.0.0.1:"), proc.stdout
    port = int(addr.rsplit(":", 1)[1])
    assert not port_open(port), "redis-server still runs after the command"

    # The command's exit code comes back; Redis stops all the same.
    proc = subprocess.run(
        [script, "bash", "-c", 'echo "$REDIS_ADDR"; exit 3'],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 3, proc.stderr
    assert not port_open(int(proc.stdout.strip().rsplit(":", 1)[1]))


def test_with_redis_uses_redis_addr_when_set(project: Path) -> None:
    script = str(project / "scripts" / "with-redis.sh")
    env = toolchain_env(REDIS_ADDR="192.0.2.1:6390", REDIS_SERVER="/nonexistent/redis-server")
    proc = subprocess.run(
        [script, "bash", "-c", 'echo "$REDIS_ADDR"'],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "192.0.2.1:6390", proc
    # Without REDIS_ADDR a redis-server that cannot start is an error naming it.
    env.pop("REDIS_ADDR")
    proc = subprocess.run(
        [script, "true"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode != 0 and "/nonexistent/redis-server" in proc.stderr, proc


def test_make_test_needs_no_redis_and_make_test_integration_reaches_80_percent(
    project: Path,
) -> None:
    """make test-integration against its own redis-server: unit + integration, coverage >= 80%."""
    require_redis_server()
    makefile = (project / "Makefile").read_text()
    unit = re.search(r"^test:.*\n\t(.*)$", makefile, re.M)
    assert unit and "-tags" not in unit.group(1) and "with-redis" not in unit.group(1), makefile
    proc = make(project, "test-integration", timeout=1700)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-20000:]
    assert re.search(r"with-redis\.sh: redis-server on 127\.0\.0\.1:\d+", out), out[-3000:]
    m = re.search(r"^coverage: ([\d.]+)% \(minimum 80%\)$", proc.stdout, re.M)
    assert m, proc.stdout[-3000:]
    assert float(m.group(1)) >= 80
