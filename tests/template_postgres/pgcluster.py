"""A throwaway PostgreSQL cluster for tests and benchmarks.

initdb in a temporary folder, `postgres` on a free loopback port, run as an
unprivileged user: PostgreSQL refuses to run as root, and CI runs as root, so
as root the cluster belongs to the `postgres` system user (created by
Debian's postgresql package) and every server process is started through
`setpriv`, which execs (the PID we keep is the postmaster's). Stopped by PID.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


def pg_bin() -> Path:
    """The newest installed PostgreSQL bin folder (Debian layout)."""
    found = sorted(glob.glob(PG_BIN_GLOB), key=lambda p: int(Path(p).parent.name))
    for d in reversed(found):
        if (Path(d) / "initdb").is_file():
            return Path(d)
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Cluster:
    """One PostgreSQL cluster: start(), stop(), kill(), dsn()."""

    def __init__(self) -> None:
        self.bin = pg_bin()
        # Directly under /tmp: the unprivileged user cannot enter pytest's
        # root-only tmp_path.
        self.root = Path(tempfile.mkdtemp(prefix="svcgen-pg-"))
        self.data = self.root / "data"
        self.sock = self.root / "sock"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            self._user = pwd.getpwnam("postgres")

    # --- running as the unprivileged user ------------------------------------

    def _as_user(self, argv: list[str]) -> list[str]:
        if self._user is None:
            return argv
        u = self._user
        return ["setpriv", f"--reuid={u.pw_uid}", f"--regid={u.pw_gid}", "--init-groups", *argv]

    def _chown(self, path: Path) -> None:
        if self._user is not None:
            os.chown(path, self._user.pw_uid, self._user.pw_gid)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def init(self) -> None:
        self.sock.mkdir(exist_ok=True)
        for p in (self.root, self.sock):
            p.chmod(0o700)
            self._chown(p)
        subprocess.run(
            self._as_user(
                [
                    str(self.bin / "initdb"),
                    "-D",
                    str(self.data),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "--no-sync",
                    "-E",
                    "UTF8",
                ]
            ),
            check=True,
            capture_output=True,
            cwd=self.root,
        )

    def start(self, timeout: float = 30.0) -> None:
        self.log.touch()
        self._chown(self.log)
        logf = self.log.open("ab")
        self.proc = subprocess.Popen(
            self._as_user(
                [
                    str(self.bin / "postgres"),
                    "-D",
                    str(self.data),
                    "-p",
                    str(self.port),
                    "-h",
                    "127.0.0.1",
                    "-k",
                    str(self.sock),
                    "-c",
                    "fsync=off",
                    "-c",
                    "max_connections=50",
                ]
            ),
            stdout=logf,
            stderr=subprocess.STDOUT,
            cwd=self.root,
        )
        logf.close()
        deadline = time.monotonic() + timeout
        while not self._accepting():
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"postgres exited {self.proc.returncode}:\n{self.log.read_text()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"postgres did not start:\n{self.log.read_text()}")
            time.sleep(0.05)

    def _accepting(self) -> bool:
        r = subprocess.run(
            [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
            check=False,
        )
        return r.returncode == 0

    def _signal(self, sig: signal.Signals, timeout: float = 30.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)  # by PID: the postmaster, setpriv exec'd into it
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=timeout)
        self.proc = None

    def stop(self) -> None:
        """Fast shutdown (SIGINT): roll back open transactions, close clients."""
        self._signal(signal.SIGINT)

    def kill(self) -> None:
        """Immediate shutdown (SIGQUIT): every backend is gone at once, like a crash."""
        self._signal(signal.SIGQUIT)

    def psql_argv(self, db: str) -> list[str]:
        """psql as the superuser on db, stopping at the first error."""
        return [
            str(self.bin / "psql"),
            *("-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db),
            *("-v", "ON_ERROR_STOP=1"),
        ]

    def psql(self, sql: str, db: str = "postgres") -> str:
        r = subprocess.run(
            [*self.psql_argv(db), "-Atc", sql],
            check=True,
            capture_output=True,
            text=True,
        )
        return r.stdout

    def create_db(self, name: str) -> str:
        self.psql(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def dsn(self, db: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}?sslmode=disable"
