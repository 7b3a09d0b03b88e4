"""Benchmark: ``svcgen patch-config`` against the naive ruamel.yaml loop and
against mikefarah yq v4 (one ``yq -i`` process per file).

Every side runs as fresh processes, so the figures include interpreter start-up
and imports (svcgen's own start-up is counted, as the target requires). Each
run patches freshly written copies of N 30-line service configs, setting
``middleware.ratelimit.fail_closed: true``.

    python bench/bench_patch_config.py --json bench-patch.json          # 18, 100, 1000
    python bench/bench_patch_config.py --sizes 18,1000 --json f.json
    python bench/bench_patch_config.py --quick --json /tmp/quick.json   # smoke test

yq is looked up as $YQ, then $(go env GOPATH)/bin/yq, then yq on PATH, and used
only when ``yq --version`` says it is mikefarah's yq v4 (Debian's /usr/bin/yq
is a different program); without it the yq columns are empty.

Prints a markdown table and writes the figures as JSON to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG = """\
# {name} configuration (production).
# Values may reference environment variables as ${{NAME}}.
server:
  http:
    addr: 0.0.0.0:8000
    read_header_timeout: 5s
    read_timeout: 15s
    write_timeout: 15s
    idle_timeout: 60s   # keep-alive
    shutdown_timeout: 15s
    max_body_bytes: 1048576
health:
  cache_ttl: 5s
  refresh_interval: 3s
log:
  level: info
  format: json
middleware:
  ratelimit:
    enabled: true
    rps: 100          # per client
    burst: 20
    redis_addr: ${{REDIS_ADDR}}
  auth:
    mode: jwt
    issuer: https://auth.example.com
    audiences: [orders, payments]
tracing:
  enabled: false
  sample_ratio: 0.1
"""

NAIVE = """\
import sys
from pathlib import Path
from ruamel.yaml import YAML

for name in sys.argv[1:]:
    path = Path(name)
    yaml = YAML()
    data = yaml.load(path)
    data["middleware"]["ratelimit"]["fail_closed"] = True
    with path.open("w") as fh:
        yaml.dump(data, fh)
"""


def write_fleet(root: Path, n: int) -> list[Path]:
    """N service configs in a new directory ``root`` (see FRESH)."""
    files = []
    for i in range(n):
        path = root / f"svc-{i:04d}" / "configs" / "config-production.yaml"
        path.parent.mkdir(parents=True)
        path.write_text(CONFIG.format(name=f"svc-{i:04d}"), encoding="utf-8")
        files.append(path)
    return files


#: FRESH: each side patches a fleet written for it in a new directory, and no fleet is
#: deleted until the end. On this VM's ext4 (no journal), creating a file in a
#: directory of a tree that was just deleted and written again at the same place
#: (as this bench did before) cost up to 1 ms of CPU, against 0.03 ms in a new
#: tree; yq and svcgen create a temporary file per config, the naive loop does
#: not, so reusing the place charged that to them.


def find_yq() -> tuple[str, str] | None:
    """mikefarah yq v4: (path, version), or None."""
    candidates = [os.environ.get("YQ", "")]
    go = shutil.which("go")
    if go:
        gopath = subprocess.run(
            [go, "env", "GOPATH"], capture_output=True, text=True, check=False
        ).stdout
        candidates.append(os.path.join(gopath.strip().split(os.pathsep)[0], "bin", "yq"))
    candidates.append(shutil.which("yq") or "")
    for path in candidates:
        if not path or not os.path.isfile(path):
            continue
        try:
            out = subprocess.run(
                [path, "--version"], capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.SubprocessError):
            continue
        text = (out.stdout + out.stderr).strip()
        if "mikefarah" in text and " v4." in text:
            return path, text.rsplit(" ", 1)[-1]
    return None


def bench_env() -> dict[str, str]:
    """Every Python side reads compiled bytecode, as an installed program does:
    pip compiles ruamel's and typer's modules when it installs them, but with
    PYTHONDONTWRITEBYTECODE set (as here, and on some CI machines) svcgen's own
    modules, run from the source tree, would be compiled from source on every
    run. The untimed warm-up run writes the .pyc files to a scratch prefix."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "svcgen-bench-pycache")
    return env


ENV = bench_env()


def timed_each(cmds: list[list[str]]) -> float:
    """One process per command, one after the other (as a shell loop runs them)."""
    start = time.perf_counter()
    for cmd in cmds:
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    return time.perf_counter() - start


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    return time.perf_counter() - start


#: what the installed ``svcgen`` script runs (without ``-m``'s runpy), with this
#: interpreter and its PYTHONPATH
SVCGEN = [sys.executable, "-c", "from svcgen.main import main; main()"]


def warm_up(root: Path, naive_script: Path) -> None:
    """One untimed run of each Python side (page cache, .pyc files)."""
    files = write_fleet(root, 2)
    timed([sys.executable, str(naive_script), *map(str, files)])
    timed([*SVCGEN, "patch-config", "--set=a=1", *map(str, files)])


def measure(root: Path, n: int, repeat: int, yq: str | None) -> dict[str, float | int]:
    naive_script = root / "naive.py"
    root.mkdir(parents=True, exist_ok=True)
    naive_script.write_text(NAIVE, encoding="utf-8")
    svcgen = [*SVCGEN, "patch-config"]
    flip = "--set=middleware.ratelimit.fail_closed=true"
    warm_up(root / "warm-up", naive_script)
    runs: dict[str, list[float]] = {"naive": [], "svcgen": [], "svcgen_jobs1": []}
    if yq:
        runs["yq"] = []
    for rep in range(repeat):

        def fleet(side: str, rep: int = rep) -> tuple[list[Path], str]:
            files = write_fleet(root / f"{side}-{rep}", n)
            return files, str(root / f"{side}-{rep}" / "*" / "configs" / "*.yaml")

        if yq:
            files, _ = fleet("yq")
            expr = ".middleware.ratelimit.fail_closed = true"
            runs["yq"].append(timed_each([[yq, "-i", expr, str(f)] for f in files]))
            assert "fail_closed: true" in files[-1].read_text()
        files, _ = fleet("naive")
        runs["naive"].append(timed([sys.executable, str(naive_script), *map(str, files)]))
        assert "fail_closed: true" in files[-1].read_text()
        files, pattern = fleet("svcgen-jobs1")
        runs["svcgen_jobs1"].append(timed([*svcgen, flip, "--jobs", "1", pattern]))
        assert "    fail_closed: true\n" in files[-1].read_text()
        files, pattern = fleet("svcgen")
        runs["svcgen"].append(timed([*svcgen, flip, pattern]))
        assert "    fail_closed: true\n" in files[-1].read_text()
    row: dict[str, float | int] = {"files": n}
    for key, values in runs.items():
        row[f"{key}_s"] = round(statistics.median(values), 4)
        row[f"{key}_runs"] = [round(v, 4) for v in values]  # type: ignore[assignment]
    row["naive_ms_per_file"] = round(1000 * float(row["naive_s"]) / n, 3)
    row["speedup"] = round(float(row["naive_s"]) / float(row["svcgen_s"]), 2)
    row["speedup_jobs1"] = round(float(row["naive_s"]) / float(row["svcgen_jobs1_s"]), 2)
    if yq:
        row["yq_ms_per_file"] = round(1000 * float(row["yq_s"]) / n, 3)
        row["vs_yq"] = round(float(row["yq_s"]) / float(row["svcgen_s"]), 2)
    return row


def startup() -> float:
    return min(timed([*SVCGEN, "--help"]) for _ in range(3))


def markdown(rows: list[dict[str, float | int]]) -> str:
    lines = [
        "| files | naive ruamel loop (s) | naive ms/file | yq -i per file (s) | svcgen, default "
        "--jobs (s) | vs naive | vs yq | svcgen --jobs 1 (s) | vs naive |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        yq = f"{r['yq_s']}" if "yq_s" in r else "—"
        vs_yq = f"{r['vs_yq']}x" if "vs_yq" in r else "—"
        lines.append(
            f"| {r['files']} | {r['naive_s']} | {r['naive_ms_per_file']} | {yq} | {r['svcgen_s']} "
            f"| {r['speedup']}x | {vs_yq} | {r['svcgen_jobs1_s']} | {r['speedup_jobs1']}x |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--json",
        "--out",
        dest="out",
        required=True,
        type=Path,
        help="write the figures as JSON here",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat (smoke test)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", help="comma-separated file counts (default 18,100,1000)")
    parser.add_argument("--no-yq", action="store_true", help="leave yq out")
    parser.add_argument(
        "--dir",
        type=Path,
        help="where the scratch fleet goes (default: a temporary directory under $TMPDIR)",
    )
    args = parser.parse_args()
    sizes = [3, 10] if args.quick else [18, 100, 1000]
    if args.sizes:
        sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    repeat = 1 if args.quick else args.repeat
    found = None if args.no_yq else find_yq()
    yq = found[0] if found else None
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
    load_start = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="svcgen-bench-", dir=args.dir) as tmp:
        rows = [measure(Path(tmp) / f"fleet-{n}", n, repeat, yq) for n in sizes]
    figures = {
        "benchmark": "patch-config vs naive ruamel.yaml load/modify/dump and yq -i per file "
        "(fresh processes)",
        "yq": f"mikefarah yq {found[1]} ({found[0]})" if found else None,
        "fleet_dir": str(args.dir or tempfile.gettempdir()),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "repeat": repeat,
        "svcgen_help_startup_s": round(startup(), 4),
        "load_average_start": load_start,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "rows": rows,
    }
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(markdown(rows))
    print(f"\nsvcgen --help start-up: {figures['svcgen_help_startup_s']} s; cpus: {os.cpu_count()}")


if __name__ == "__main__":
    main()
