"""Repository overhead of the `postgres` feature: store.List against raw pgx.

Renders a service with features=[postgres], starts a throwaway PostgreSQL
(tests/template_postgres/pgcluster.py), and runs the rendered service's Go
benchmarks BenchmarkListStore (List through the repository: nil-safe
filter, sort allow-list, query building, scanning, error mapping) and
BenchmarkListStoreBaselineRawPgx (the same SQL written by hand) in the same
run, interleaved with -count. The figure is the ratio of the medians; the
target is < 1.10 (the repository costs under 10%).

    python bench/bench_postgres.py           # -count 6 -benchtime 2s
    python bench/bench_postgres.py --quick   # -count 3 -benchtime 1s
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "template_postgres"))

from pgcluster import Cluster  # noqa: E402

LINE = re.compile(
    r"^(Benchmark\w+)-\d+\s+\d+\s+([\d.]+) ns/op\s+([\d.]+) B/op\s+([\d.]+) allocs/op", re.M
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter runs")
    args = parser.parse_args(argv)
    count, benchtime = ("3", "1s") if args.quick else ("6", "2s")

    from copier import run_copy

    with tempfile.TemporaryDirectory(prefix="bench-pg-") as tmp:
        svc = Path(tmp) / "demo"
        run_copy(
            str(ROOT / "templates" / "go-service"),
            svc,
            data={"service_name": "demo", "features": ["postgres"]},
            defaults=True,
            unsafe=True,
            skip_tasks=True,
            quiet=True,
        )
        cluster = Cluster()
        try:
            cluster.init()
            cluster.start()
            dsn = cluster.create_db("bench")
            env = {**os.environ, "TEST_DATABASE_URL": dsn, "GOFLAGS": "-mod=readonly"}
            proc = subprocess.run(
                [
                    "go",
                    "test",
                    "-run",
                    "^$",
                    "-bench",
                    "ListStore",
                    "-benchmem",
                    "-benchtime",
                    benchtime,
                    "-count",
                    count,
                    "./internal/store/",
                ],
                cwd=svc,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            cluster.cleanup()
    if proc.returncode != 0:
        print(proc.stdout + proc.stderr, file=sys.stderr)
        return 1
    runs: dict[str, list[tuple[float, float, float]]] = {}
    for name, ns, b, allocs in LINE.findall(proc.stdout):
        runs.setdefault(name, []).append((float(ns), float(b), float(allocs)))
    store = runs["BenchmarkListStore"]
    raw = runs["BenchmarkListStoreBaselineRawPgx"]
    s_ns = statistics.median(r[0] for r in store)
    r_ns = statistics.median(r[0] for r in raw)
    ratio = s_ns / r_ns
    for label, r, ns in (
        ("store.List (50 of 200 rows)", store, s_ns),
        ("raw pgx (baseline)", raw, r_ns),
    ):
        print(f"{label:30} {ns / 1000:8.1f} us/op  {r[0][1]:.0f} B/op  {r[0][2]:.0f} allocs/op")
    verdict = "met" if ratio < 1.10 else "NOT met"
    print(f"ratio {ratio:.3f} (target < 1.10): {verdict}  [{count} runs x {benchtime}]")
    return 0 if ratio < 1.10 else 1


if __name__ == "__main__":
    sys.exit(main())
