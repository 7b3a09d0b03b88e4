"""Shared helpers of the svcgen benchmarks: timing, results, processes, ports.

Every figure a bench reports is a :class:`Figure`: a value beside a baseline
measured in the same run, their ratio, and the target it is held to.
"""

from __future__ import annotations

import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
TEMPLATE = ROOT / "templates" / "go-service"
BIN_DIR = Path(sys.executable).parent


class Unavailable(Exception):
    """A bench cannot run here (a missing command, tool or feature). The
    report says so instead of inventing numbers."""


@dataclass
class Figure:
    """One measured figure with its same-run baseline and target.

    ``ratio`` is ``value / baseline`` unless set explicitly or ``show_ratio``
    is False. ``met`` is True
    or False when the figure has a target, None when it is informational.
    """

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""
    show_ratio: bool = True  # False: the baseline is context (e.g. a total), not a ratio

    def __post_init__(self) -> None:
        if self.ratio is None and self.baseline and self.show_ratio:
            self.ratio = self.value / self.baseline


@dataclass
class BenchResult:
    """What one bench produced: figures, raw data for plots, and status."""

    name: str
    title: str
    status: str = "ok"  # ok | not available | error
    reason: str = ""
    command: str = ""
    figures: list[Figure] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # markdown lines
    data: dict[str, Any] = field(default_factory=dict)
    plots: list[str] = field(default_factory=list)  # file names under img/
    seconds: float = 0.0
    started: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> BenchResult:
        figures = [Figure(**f) for f in raw.pop("figures", [])]
        return cls(figures=figures, **raw)


@dataclass
class Context:
    """Run-wide settings handed to every bench."""

    quick: bool
    work: Path  # scratch directory, removed after the run
    out: Path  # where benchmarks.md and img/ go
    log: Callable[[str], None]
    _service: Path | None = None

    def service(self) -> Path:
        """A service rendered with defaults, shared by the Go benches."""
        if self._service is None:
            dest = self.work / "svc"
            dest.mkdir(parents=True, exist_ok=True)
            run_checked([*svcgen_cmd(), "new", "benchsvc", "--defaults", "--dest", str(dest)])
            self._service = dest / "benchsvc"
        return self._service


# ---------------------------------------------------------------- commands


def svcgen_cmd() -> list[str]:
    """The installed ``svcgen`` entry point of this interpreter (not a pyenv
    shim, whose own start-up would be measured too)."""
    script = BIN_DIR / "svcgen"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "svcgen"]


def copier_cmd() -> list[str]:
    script = BIN_DIR / "copier"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "copier"]


def go_bin_dir() -> Path | None:
    if shutil.which("go") is None:
        return None
    out = subprocess.run(["go", "env", "GOPATH"], capture_output=True, text=True, check=False)
    gopath = out.stdout.strip().split(os.pathsep)[0]
    return Path(gopath) / "bin" if gopath else None


def find_tool(name: str) -> str | None:
    """A tool on PATH or in $(go env GOPATH)/bin."""
    found = shutil.which(name)
    if found:
        return found
    gobin = go_bin_dir()
    if gobin and (gobin / name).is_file():
        return str(gobin / name)
    return None


def require_tool(name: str, install: str) -> str:
    found = find_tool(name)
    if found is None:
        raise Unavailable(
            f"`{name}` is not on PATH nor in $(go env GOPATH)/bin; install: {install}"
        )
    return found


def run_checked(
    cmd: Sequence[str],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run a command; raise RuntimeError with its output when it fails."""
    proc = subprocess.run(
        list(cmd), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout)[-2000:]
        raise RuntimeError(f"`{' '.join(cmd)}` exited {proc.returncode}:\n{tail}")
    return proc


def time_command(
    cmd: Sequence[str],
    runs: int,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    before: Callable[[int], None] | None = None,
) -> list[float]:
    """Wall-clock seconds of ``runs`` runs of ``cmd`` (each must exit 0).
    ``before(i)`` runs untimed before run i (e.g. to clear a destination)."""
    times: list[float] = []
    for i in range(runs):
        if before is not None:
            before(i)
        times.append(time_once(cmd, cwd, env))
    return times


def time_once(
    cmd: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> float:
    """Wall-clock seconds of one run of ``cmd``, which must exit 0."""
    start = time.perf_counter()
    proc = subprocess.run(list(cmd), cwd=cwd, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace")[-2000:]
        raise RuntimeError(f"`{' '.join(cmd)}` exited {proc.returncode}:\n{err}")
    return elapsed


def interleaved(
    pairs: Sequence[tuple[str, Callable[[], float]]], runs: int
) -> dict[str, list[float]]:
    """Run each measurement ``runs`` times, alternating between them so that
    background noise hits value and baseline alike."""
    out: dict[str, list[float]] = {name: [] for name, _ in pairs}
    for _ in range(runs):
        for name, fn in pairs:
            out[name].append(fn())
    return out


def median(xs: Sequence[float]) -> float:
    return float(statistics.median(xs))


def percentile(sorted_xs: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of an already sorted list."""
    if not sorted_xs:
        return float("nan")
    k = max(0, min(len(sorted_xs) - 1, round(q / 100 * len(sorted_xs) + 0.5) - 1))
    return float(sorted_xs[k])


# ---------------------------------------------------------------- network


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """GET url; (status, body). Status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll check() every 20 ms; return the seconds it took. Raise on timeout."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if check():
            return time.perf_counter() - start
        time.sleep(0.02)
    raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {what}")


def redis_ping(port: int, timeout: float = 0.5) -> bool:
    """True when a Redis on 127.0.0.1:port answers PING."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """A throw-away redis-server on a free loopback port (no persistence)."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    def ping(self) -> bool:
        return redis_ping(self.port)

    def start(self) -> RedisServer:
        exe = shutil.which("redis-server")
        if exe is None:
            raise Unavailable("redis-server is not installed (apt-get install redis-server)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                exe,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.ping, 10, f"redis-server on {self.addr}")
        return self

    def kill(self) -> None:
        """SIGKILL: the abrupt outage the fail-closed bench needs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()


def stop_process(proc: subprocess.Popen[Any], grace: float = 10) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# ---------------------------------------------------------------- /proc


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (from /proc/PID/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{key} not in /proc/{pid}/status")


def machine_description() -> list[str]:
    """Markdown bullet lines describing the machine."""
    model = "unknown CPU"
    mhz = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name") and model == "unknown CPU":
                model = line.split(":", 1)[1].strip()
            if line.startswith("cpu MHz") and not mhz:
                mhz = line.split(":", 1)[1].strip()
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    mem = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    go = subprocess.run(["go", "version"], capture_output=True, text=True, check=False).stdout
    lines = [
        f"- CPU: {model}" + (f" ({mhz} MHz)" if mhz else ""),
        f"- `nproc`: {nproc}",
        f"- memory: {mem}",
        f"- load average when the run started: {load}",
        f"- OS: {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; {go.strip() or 'go: not found'}",
    ]
    vegeta = find_tool("vegeta")
    if vegeta:
        ver = subprocess.run(
            ["go", "version", "-m", vegeta], capture_output=True, text=True, check=False
        )
        mod = [ln.split()[2] for ln in ver.stdout.splitlines() if ln.strip().startswith("mod\t")]
        lines.append(f"- vegeta {mod[0] if mod else '(version unknown)'} ({vegeta})")
    redis = shutil.which("redis-server")
    if redis:
        ver = subprocess.run([redis, "--version"], capture_output=True, text=True, check=False)
        lines.append(f"- {ver.stdout.strip()}")
    return lines
