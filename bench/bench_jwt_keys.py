"""JWT verify cost per algorithm (issue 14), in one run.

    python bench/bench_jwt_keys.py [--quick]      (or: python bench/run.py --only jwt_keys)

Renders a service with the default features, then runs
``BenchmarkVerifyAlgorithms`` (verify through the key set, kid selection
included: HS256, RS256, ES256, EdDSA, against the legacy jwt_secret path as
the baseline) and ``BenchmarkAuth`` (the auth middleware on a valid HS256
token against a bare handler) with ``-count`` runs, and prints a Markdown
table of the medians (and the fastest run) for docs/benchmarks.md, with the
load average before and after. Targets: HS256 < 10 us per verify; auth
middleware overhead on a valid HS256 token < 12 us/op.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import bench_go
from benchlib import BenchResult, Context, Figure, run_checked, svcgen_cmd

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "go-service"
PATTERN = "BenchmarkVerifyAlgorithms|BenchmarkAuth$"
PACKAGES = ("./internal/platform/auth/", "./internal/platform/middleware/")
HS256 = "BenchmarkVerifyAlgorithms/HS256"
LEGACY = "BenchmarkVerifyAlgorithms/legacy_hs256_baseline"
MIDDLEWARE = "BenchmarkAuth/auth_valid_hs256"
BARE = "BenchmarkAuth/bare"
HS256_TARGET_NS = 10_000
MIDDLEWARE_TARGET_NS = 12_000
CPU = re.compile(r"\s([\d.]+) cpu-ns/op")


@dataclass
class Runs:
    """Every run of one benchmark: ns/op and cpu-ns/op (the process's CPU
    time per op, which other processes on a shared machine barely inflate)
    per run, B/op and allocs/op."""

    name: str
    ns: list[float]
    bytes_op: float
    allocs_op: float
    cpu: list[float]

    @property
    def cpu_median(self) -> float | None:
        return statistics.median(self.cpu) if self.cpu else None

    @property
    def median(self) -> float:
        return statistics.median(self.ns)

    @property
    def best(self) -> float:
        return min(self.ns)


def parse(output: str) -> dict[str, Runs]:
    out: dict[str, Runs] = {}
    for line in output.splitlines():
        m = bench_go.LINE.match(line.strip())
        if not m:
            continue
        r = out.setdefault(m["name"], Runs(m["name"], [], 0.0, 0.0, []))
        r.ns.append(float(m["ns"]))
        if cpu := CPU.search(line):
            r.cpu.append(float(cpu.group(1)))
        r.bytes_op = float(m["bytes"] or 0)
        r.allocs_op = float(m["allocs"] or 0)
    return out


def loadavg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def measure(project: Path, quick: bool) -> tuple[dict[str, Runs], list[str], str]:
    """The runs, the go test command and the load average before/after."""
    count, benchtime = ("3", "2000x") if quick else ("8", "1s")
    cmd = [
        "go",
        "test",
        "-run",
        "^$",
        "-bench",
        PATTERN,
        "-benchmem",
        "-count",
        count,
        "-benchtime",
        benchtime,
        *PACKAGES,
    ]
    env = dict(os.environ)
    env.pop("GOWORK", None)
    before = loadavg()
    out = run_checked(cmd, cwd=project, env=env, timeout=1200).stdout
    load = f"load average (1/5/15 min) {before} before, {loadavg()} after"
    runs = parse(out)
    if HS256 not in runs or MIDDLEWARE not in runs:
        raise RuntimeError(f"benchmarks missing from `go test` output:\n{out[-2000:]}")
    return runs, cmd, load


def table(runs: dict[str, Runs]) -> list[str]:
    rows = [
        "| benchmark | ns/op (median) | ns/op (fastest run) | CPU ns/op (median) | B/op "
        "| allocs/op | vs baseline |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    base, bare = runs.get(LEGACY), runs.get(BARE)
    for name, r in runs.items():
        ref = bare if name.startswith("BenchmarkAuth/") else base
        ratio = f"{r.median / ref.median:.2f}x" if ref and ref is not r else "baseline"
        cpu = f"{r.cpu_median:,.0f}" if r.cpu_median is not None else "n/a"
        rows.append(
            f"| `{name}` | {r.median:,.0f} | {r.best:,.0f} | {cpu} | {r.bytes_op:,.0f} "
            f"| {r.allocs_op:,.0f} | {ratio} |"
        )
    return rows


def verdicts(runs: dict[str, Runs]) -> list[str]:
    hs, mw, bare = runs[HS256], runs[MIDDLEWARE], runs.get(BARE)
    bare_ns = bare.median if bare else 0.0
    over = mw.median - bare_ns
    cpu: list[str] = []
    if hs.cpu_median is not None and mw.cpu_median is not None:
        bare_cpu = bare.cpu_median if bare and bare.cpu_median is not None else 0.0
        cpu.append(
            f"CPU time per op (median): HS256 verify {hs.cpu_median:,.0f} ns, "
            f"middleware overhead {mw.cpu_median - bare_cpu:,.0f} ns."
        )
    return [
        f"HS256 verify through the key set: {hs.median:,.0f} ns/op median "
        f"(fastest run {hs.best:,.0f}), target < 10 us: "
        f"**{'met' if hs.median < HS256_TARGET_NS else 'missed'}**.",
        f"Auth middleware overhead, valid HS256: {over:,.0f} ns/op median "
        f"(fastest run {mw.best - bare_ns:,.0f}), target < 12 us: "
        f"**{'met' if over < MIDDLEWARE_TARGET_NS else 'missed'}**.",
        *cpu,
    ]


def render(dest: Path) -> Path:
    run_checked(
        [
            *svcgen_cmd(),
            "new",
            "bench",
            "--dest",
            str(dest),
            "--defaults",
            "--template",
            str(TEMPLATE),
        ]
    )
    return dest / "bench"


def run(quick: bool) -> str:
    with tempfile.TemporaryDirectory(prefix="bench-jwt-") as tmp:
        runs, _cmd, load = measure(render(Path(tmp)), quick)
    return "\n".join([*table(runs), "", *verdicts(runs), f"Measured with {load}."])


def run_bench(ctx: Context) -> BenchResult:
    """bench/run.py's entry: the same runs, as figures with targets."""
    runs, cmd, load = measure(ctx.service(), ctx.quick)
    res = BenchResult(
        "jwt_keys",
        "JWT verify per algorithm, key sets (issue 14)",
        command=f"`{' '.join(cmd)}` in a service rendered with `svcgen new benchsvc --defaults`",
    )
    base, bare = runs.get(LEGACY), runs.get(BARE)
    for name, r in runs.items():
        ref = bare if name.startswith("BenchmarkAuth/") else base
        target, met = "", None
        if name == HS256:
            target, met = "< 10 µs", r.median < HS256_TARGET_NS
        elif name == MIDDLEWARE:
            over = r.median - (bare.median if bare else 0.0)
            target, met = "overhead < 12 µs", over < MIDDLEWARE_TARGET_NS
        res.figures.append(
            Figure(
                f"`{name}`",
                r.median,
                "ns/op",
                baseline=ref.median if ref and ref is not r else None,
                baseline_name=f"`{ref.name}`" if ref and ref is not r else "",
                target=target,
                met=met,
                note=f"fastest run {r.best:,.0f} ns/op; {r.bytes_op:,.0f} B/op, "
                f"{r.allocs_op:,.0f} allocs/op",
            )
        )
    res.details = [*table(runs), *verdicts(runs), f"Measured with {load}."]
    return res


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 short runs instead of 8 x 1s")
    args = parser.parse_args(argv)
    print(run(args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
