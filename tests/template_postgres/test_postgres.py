"""The `postgres` feature of the go-service template, against a real PostgreSQL.

A service rendered with features=[postgres] is built and run against a
throwaway cluster (see pgcluster.py): the binary's `migrate up|down|status`,
the rendered service's own Go integration tests (migrations up/down/up, the
repository with a nil filter, an allow-listed sort, an injection attempt in
sort, statement_timeout on pg_sleep), pool exhaustion with max_conns 1
(db_connection_wait_total grows), and PostgreSQL killed (/readyz 503 naming
postgres, GET /v1/items 503 SERVICE_DEGRADED, recovery after a restart with
no restart of the service).
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pgcluster import Cluster, free_port

import service_helpers
from service_helpers import build_service, go_integration_tests, render_files

SERVICE = "demo"

pytestmark = pytest.mark.slow


go_env = functools.partial(service_helpers.go_env, GOTOOLCHAIN="local")
# A restarted cluster and a blocked pool take longer than the default 20 s may allow.
wait_until = functools.partial(service_helpers.wait_until, timeout=30.0)


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=15) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return 0, str(e)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    c = Cluster()
    c.init()
    c.start()
    yield c
    c.cleanup()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("pgsvc") / SERVICE
    return render_files(dest, {"service_name": SERVICE, "features": ["postgres"]})


@pytest.fixture(scope="module")
def binary(project: Path) -> Path:
    return build_service(project, SERVICE, go_env())


def write_config(path: Path, port: int, health: dict[str, str] | None = None, **pg: Any) -> Path:
    settings = {"max_conns": 4, "min_conns": 0, "statement_timeout": "5s", **pg}
    lines = "".join(f"    {k}: {v}\n" for k, v in settings.items())
    probes = {"cache_ttl": "100ms", "refresh_interval": "100ms", **(health or {})}
    path.write_text(
        "server:\n  http:\n"
        f"    addr: 127.0.0.1:{port}\n    shutdown_timeout: 5s\n    shutdown_delay: 0s\n"
        f"  admin:\n    addr: 127.0.0.1:{free_port()}\n"
        "health:\n"
        + "".join(f"  {k}: {v}\n" for k, v in probes.items())
        + 'data:\n  postgres:\n    dsn: "${DATABASE_URL}"\n'
        + lines
    )
    return path


def migrate(binary: Path, conf: Path, dsn: str, cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary), "-conf", str(conf), "migrate", cmd],
        env={**os.environ, "DATABASE_URL": dsn},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class Service:
    def __init__(self, binary: Path, conf: Path, dsn: str, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        # probes and /metrics are on the admin listener (server.admin.addr)
        admin = re.search(r"admin:\n    addr: (\S+)", conf.read_text())
        assert admin, conf.read_text()
        self.admin = f"http://{admin.group(1)}"
        self.proc = subprocess.Popen(
            [str(binary), "-conf", str(conf)],
            env={**os.environ, "DATABASE_URL": dsn},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        wait_until(
            "the service to serve /healthz", lambda: http_get(self.admin + "/healthz")[0] == 200
        )

    def metric(self, name: str) -> float:
        _, body = http_get(self.admin + "/metrics")
        m = re.search(rf"^{name} (\S+)$", body, re.M)
        assert m, f"{name} not in /metrics"
        return float(m.group(1))

    def stop(self) -> str:
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=30)
        assert self.proc.returncode == 0, out
        return out


def test_migrate_command_up_down_status(binary: Path, cluster: Cluster, tmp_path: Path) -> None:
    dsn = cluster.create_db("migrate_cli")
    conf = write_config(tmp_path / "c.yaml", free_port())
    up = migrate(binary, conf, dsn, "up")
    assert up.returncode == 0, up.stdout + up.stderr
    assert "00001_create_items.sql" in up.stdout
    assert cluster.psql("SELECT to_regclass('items') IS NOT NULL", "migrate_cli").strip() == "t"
    st = migrate(binary, conf, dsn, "status")
    assert st.returncode == 0 and "applied" in st.stdout, st.stdout + st.stderr
    down = migrate(binary, conf, dsn, "down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert cluster.psql("SELECT to_regclass('items') IS NULL", "migrate_cli").strip() == "t"
    again = migrate(binary, conf, dsn, "up")
    assert again.returncode == 0, again.stdout + again.stderr
    bad = migrate(binary, conf, dsn, "sideways")
    assert bad.returncode != 0 and "up, down or status" in bad.stdout + bad.stderr
    # The DSN (with its credentials) never shows up in the output.
    assert dsn not in up.stdout + up.stderr + bad.stdout + bad.stderr


def test_go_integration_tests_run_against_postgres(project: Path, cluster: Cluster) -> None:
    dsn = cluster.create_db("go_integration")
    env = {**go_env(), "TEST_DATABASE_URL": dsn}
    out = go_integration_tests(project, env, "./internal/store/", f"./cmd/{SERVICE}/", timeout=900)
    for sub in (
        "migrations_up,_down,_up",
        "nil_filter",
        "allow-listed_sort",
        "injection",
        "statement_timeout",
    ):
        assert re.search(rf"--- PASS: TestIntegrationPostgres/\S*{re.escape(sub)}", out), sub
    # The whole service against the database, and `migrate status|down|up` (cmd/).
    assert "--- PASS: TestIntegrationServiceWithPostgres" in out, out[-20000:]


class TableLock:
    """An ACCESS EXCLUSIVE lock on a table, held by a psql session until release()."""

    def __init__(self, cluster: Cluster, db: str, table: str) -> None:
        self.cluster, self.db, self.table = cluster, db, table
        self.proc = subprocess.Popen(
            [*cluster.psql_argv(db), "-Aq"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.proc.stdin
        self.proc.stdin.write(f"BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE;\n")
        self.proc.stdin.flush()
        wait_until("the table lock", lambda: self.count(granted=True) > 0)

    def count(self, *, granted: bool) -> int:
        sql = (
            f"SELECT count(*) FROM pg_locks WHERE relation = '{self.table}'::regclass"
            f" AND granted = {str(granted).lower()}"
        )
        return int(self.cluster.psql(sql, self.db).strip())

    def release(self) -> None:
        if self.proc.poll() is None:
            out, _ = self.proc.communicate("COMMIT;\n", timeout=30)
            assert self.proc.returncode == 0, out


def test_pool_exhaustion_counts_waits(binary: Path, cluster: Cluster, tmp_path: Path) -> None:
    dsn = cluster.create_db("exhaust")
    port = free_port()
    # The readiness check's ping also needs the one connection. The checks
    # run once at start-up and are then cached for an hour with no background
    # refresh, so while this test runs the two requests are the pool's only
    # users and every counted wait is theirs.
    conf = write_config(
        tmp_path / "c.yaml", port, max_conns=1, health={"cache_ttl": "1h", "refresh_interval": "1h"}
    )
    assert migrate(binary, conf, dsn, "up").returncode == 0
    svc = Service(binary, conf, dsn, port)
    lock: TableLock | None = None
    try:
        wait_until("/readyz 200", lambda: http_get(svc.admin + "/readyz")[0] == 200)
        assert svc.metric("db_connections_max") == 1
        assert svc.metric("db_connections_in_use") == 0
        waits = svc.metric("db_connection_wait_total")
        wait_seconds = svc.metric("db_connection_wait_seconds_total")

        # The first request's query blocks on the lock while it holds the
        # pool's one connection.
        lock = TableLock(cluster, "exhaust", "items")
        results: list[tuple[int, str]] = []

        def get() -> None:
            results.append(http_get(svc.url + "/v1/items"))

        first = threading.Thread(target=get)
        first.start()
        wait_until("the first query to block on the lock", lambda: lock.count(granted=False) == 1)
        assert svc.metric("db_connections_in_use") == 1
        assert svc.metric("db_connections_idle") == 0
        assert svc.metric("db_connections_open") == 1

        # The second request waits in the pool for that connection. pgxpool
        # counts a wait when it ends (the acquire succeeds), so the counter
        # has not moved yet.
        second = threading.Thread(target=get)
        second.start()
        wait_until("both requests in flight", lambda: svc.metric("http_in_flight_requests") == 2)
        time.sleep(0.5)  # let the second request reach the pool's Acquire (from the handler: µs)
        assert lock.count(granted=False) == 1, "a second connection reached PostgreSQL"
        assert svc.metric("db_connection_wait_total") == waits
        assert not results, results

        lock.release()
        first.join(timeout=30)
        second.join(timeout=30)
        assert [s for s, _ in results] == [200, 200], results
        # Exactly one acquire waited: the second request's.
        assert svc.metric("db_connection_wait_total") == waits + 1
        assert svc.metric("db_connection_wait_seconds_total") > wait_seconds
        assert svc.metric("db_connection_acquire_canceled_total") == 0
        assert svc.metric("db_connections_in_use") == 0
        assert svc.metric("db_connections_idle") == 1
    finally:
        if lock is not None:
            lock.release()
        svc.stop()


def test_postgres_killed_then_recovers(binary: Path, cluster: Cluster, tmp_path: Path) -> None:
    dsn = cluster.create_db("outage")
    port = free_port()
    conf = write_config(tmp_path / "c.yaml", port, health_check_period="1s")
    assert migrate(binary, conf, dsn, "up").returncode == 0
    svc = Service(binary, conf, dsn, port)
    try:
        wait_until("/readyz 200", lambda: http_get(svc.admin + "/readyz")[0] == 200)
        status, body = http_get(svc.url + "/v1/items?sort=created_at&limit=50")
        assert status == 200 and json.loads(body) == {"items": []}, body
        status, body = http_get(svc.url + "/v1/items?sort=name%3BDROP%20TABLE%20items")
        assert status == 400 and json.loads(body)["reason"] == "BAD_REQUEST", body

        cluster.kill()
        wait_until("/readyz 503", lambda: http_get(svc.admin + "/readyz")[0] == 503)
        _, ready = http_get(svc.admin + "/readyz")
        checks = {name: c["status"] for name, c in json.loads(ready)["checks"].items()}
        assert checks == {"postgres": "down"}, ready
        assert http_get(svc.admin + "/healthz")[0] == 200
        status, body = http_get(svc.url + "/v1/items")
        assert status == 503, body
        env = json.loads(body)
        assert env["reason"] == "SERVICE_DEGRADED" and "127.0.0.1" not in env["message"], body

        cluster.start()
        wait_until("/readyz 200 again", lambda: http_get(svc.admin + "/readyz")[0] == 200)
        wait_until("/v1/items 200 again", lambda: http_get(svc.url + "/v1/items")[0] == 200)
        assert svc.proc.poll() is None, "the service restarted"
    finally:
        logs = svc.stop()
    assert dsn not in logs
