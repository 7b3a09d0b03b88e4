"""Repository overhead of the `postgres` feature: store.List against raw pgx.

Renders a service with features=[postgres], starts a throwaway PostgreSQL
(tests/template_postgres/pgcluster.py), and runs the rendered service's Go
benchmarks BenchmarkListStore (List through the repository: nil-safe
filter, sort allow-list, query building, scanning, error mapping) and
BenchmarkListStoreBaselineRawPgx (the same SQL written by hand) in the same
run, interleaved round by round. The figure is the median of the rounds' ratios; the
target is < 1.10 (the repository costs under 10%).

    python bench/bench_postgres.py           # 6 rounds, -benchtime 2s
    python bench/bench_postgres.py --quick   # 3 rounds, -benchtime 1s
    python bench/run.py --only postgres [--quick]   # the same, into docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from benchlib import BenchResult, Context, Figure, Unavailable, run_checked

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "template_postgres"))

from pgcluster import Cluster  # noqa: E402

LINE = re.compile(
    r"^(Benchmark\w+)-\d+\s+\d+\s+([\d.]+) ns/op\s+([\d.]+) B/op\s+([\d.]+) allocs/op", re.M
)


def measure(quick: bool) -> tuple[dict[str, tuple[float, float, float]], list[float], str, str]:
    """Median ns/op, B/op, allocs/op of both benchmarks, the per-round ratios store/raw,
    and the rounds and -benchtime used.

    The test binary is built once; then each round runs the two benchmarks one
    after the other (alternating which goes first), so that both see the same
    machine load. `go test -count N` would run all N of one before the other.
    """
    rounds, benchtime = (3, "1s") if quick else (6, "2s")
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
        binary = Path(tmp) / "store.test"
        env = {**os.environ, "GOFLAGS": "-mod=readonly"}
        run_checked(
            ["go", "test", "-c", "-o", str(binary), "./internal/store/"], svc, env, timeout=1800
        )
        cluster = Cluster()
        out: list[str] = []
        try:
            cluster.init()
            cluster.start()
            env["TEST_DATABASE_URL"] = cluster.create_db("bench")
            for i in range(rounds):
                order = [STORE, RAW] if i % 2 == 0 else [RAW, STORE]
                for name in order:
                    proc = run_checked(
                        [
                            str(binary),
                            *("-test.run", "^$", "-test.bench", f"^{name}$", "-test.benchmem"),
                            *("-test.benchtime", benchtime),
                        ],
                        svc / "internal" / "store",
                        env,
                        timeout=600,
                    )
                    out.append(proc.stdout)
        finally:
            cluster.cleanup()
    runs: dict[str, list[tuple[float, float, float]]] = {}
    for name, ns, b, allocs in LINE.findall("\n".join(out)):
        runs.setdefault(name, []).append((float(ns), float(b), float(allocs)))
    medians = {
        name: (
            statistics.median(r[0] for r in rs),
            statistics.median(r[1] for r in rs),
            statistics.median(r[2] for r in rs),
        )
        for name, rs in runs.items()
    }
    if not {STORE, RAW} <= medians.keys():
        raise RuntimeError(f"no {STORE}/{RAW} lines in the benchmark output:\n{out[-1][-2000:]}")
    ratios = [st[0] / raw[0] for st, raw in zip(runs[STORE], runs[RAW], strict=True)]
    return medians, ratios, f"{rounds} rounds", benchtime


STORE, RAW = "BenchmarkListStore", "BenchmarkListStoreBaselineRawPgx"


def run(ctx: Context) -> BenchResult:
    """bench/run.py's entry: the ratio store.List / raw pgx, target < 1.10."""
    if shutil.which("initdb") is None and not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        raise Unavailable("PostgreSQL is not installed (apt-get install postgresql)")
    medians, ratios, count, benchtime = measure(ctx.quick)
    (s_ns, s_b, s_allocs), (r_ns, r_b, r_allocs) = medians[STORE], medians[RAW]
    # Each round ran both benchmarks back to back: the median of the rounds'
    # ratios is less sensitive to the load drifting between rounds.
    ratio = statistics.median(ratios)
    res = BenchResult(
        "postgres",
        "PostgreSQL repository: store.List vs raw pgx",
        command=f"the rendered `internal/store` test binary (`features=[postgres]`), {count} of"
        f" `-test.bench '^BenchmarkListStore$'` then `'^BenchmarkListStoreBaselineRawPgx$'`"
        f" (order alternating), `-test.benchmem -test.benchtime {benchtime}`, against a"
        " throwaway PostgreSQL on loopback",
    )
    res.figures.append(
        Figure(
            "`store.List` (50 of 200 rows) vs the same query in raw pgx",
            s_ns / 1000,
            "µs/op",
            baseline=r_ns / 1000,
            baseline_name="raw pgx",
            ratio=ratio,
            target="< 1.10x (repository overhead < 10%)",
            met=ratio < 1.10,
            note=f"ratio = median of the rounds' ratios ({', '.join(f'{r:.2f}' for r in ratios)});"
            f" {s_allocs:.0f} vs {r_allocs:.0f} allocs/op, {s_b:.0f} vs {r_b:.0f} B/op",
        )
    )
    res.details += [
        "| benchmark | µs/op (median) | B/op | allocs/op |",
        "| --- | ---: | ---: | ---: |",
        f"| `{STORE}` | {s_ns / 1000:.1f} | {s_b:.0f} | {s_allocs:.0f} |",
        f"| `{RAW}` | {r_ns / 1000:.1f} | {r_b:.0f} | {r_allocs:.0f} |",
    ]
    res.data = {"medians": medians, "round_ratios": ratios, "ratio": ratio}
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter runs")
    args = parser.parse_args(argv)
    try:
        medians, ratios, count, benchtime = measure(args.quick)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    ratio = statistics.median(ratios)
    for label, name in (("store.List (50 of 200 rows)", STORE), ("raw pgx (baseline)", RAW)):
        ns, b, allocs = medians[name]
        print(f"{label:30} {ns / 1000:8.1f} us/op  {b:.0f} B/op  {allocs:.0f} allocs/op")
    verdict = "met" if ratio < 1.10 else "NOT met"
    print(f"rounds' ratios: {', '.join(f'{r:.3f}' for r in ratios)}")
    print(
        f"ratio {ratio:.3f} (median of the rounds'; target < 1.10): {verdict}"
        f"  [{count} x {benchtime}]"
    )
    return 0 if ratio < 1.10 else 1


if __name__ == "__main__":
    sys.exit(main())
