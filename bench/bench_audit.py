"""svcgen audit speed. One service rendered with the default features, warm
build cache: ``svcgen audit --json`` (the whole command: Python start-up, the
Go analyzers, the repository checks) against ``go vet ./...`` on the same
service, interleaved, median of N runs, same run. Then an 18-service fleet
(copies of that service in their own directories) with ``--jobs 2``, first
with the copies' packages not yet in the build cache, then warm.

    python bench/bench_audit.py --json audit.json --md docs/benchmarks-audit.md
    python bench/bench_audit.py --quick            # 3 runs, a 3-service fleet
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import ROOT, BenchResult, Context, Figure, median, svcgen_cmd

TARGET_RATIO = 1.5


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, **extra)
    env["PYTHONPATH"] = str(ROOT / "cli") + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("GOWORK", None)
    return env


def _timed(cmd: list[str], cwd: Path, **extra: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=cwd, env=_env(**extra), capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` exited {proc.returncode}: {proc.stderr[-2000:]}")
    return elapsed


def run(ctx: Context, runs: int = 0, fleet_size: int = 0) -> BenchResult:
    runs = runs or (3 if ctx.quick else 9)
    fleet_size = fleet_size or (3 if ctx.quick else 18)
    res = BenchResult(
        name="audit",
        title="svcgen audit against go vet",
        command="python bench/bench_audit.py" + (" --quick" if ctx.quick else ""),
    )
    if shutil.which("go") is None:
        res.status, res.reason = "not available", "`go` is not on PATH"
        return res
    svcgen = svcgen_cmd()
    dest = ctx.work / "audit"
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [*svcgen, "new", "demo", "--defaults", "--dest", str(dest)],
        env=_env(), check=True, capture_output=True,
    )  # fmt: skip
    svc = dest / "demo"
    vet = ["go", "vet", "./..."]
    audit = [*svcgen, "audit", "--json"]
    ctx.log("audit: warming the build cache (go vet, analyzer build, first audit)")
    _timed(vet, svc)
    _timed(audit, svc)
    vets, audits, uncached = [], [], []
    for i in range(runs):
        ctx.log(f"audit: run {i + 1}/{runs}")
        vets.append(_timed(vet, svc))
        audits.append(_timed(audit, svc))
        uncached.append(_timed(audit, svc, SVCGEN_AUDIT_CACHE="0"))
    v, a, u = median(vets), median(audits), median(uncached)
    res.figures += [
        Figure(
            name="audit one service (warm build cache, default result cache)",
            value=a,
            unit="s",
            baseline=v,
            baseline_name="go vet ./... (warm cache)",
            target=f"<= {TARGET_RATIO}x go vet",
            met=a <= TARGET_RATIO * v,
            note=f"median of {runs} interleaved runs",
        ),
        Figure(
            name="audit one service (warm build cache, SVCGEN_AUDIT_CACHE=0)",
            value=u,
            unit="s",
            baseline=v,
            baseline_name="go vet ./... (warm cache)",
            note="every analyzer re-runs; informational",
        ),
    ]
    fleet_dir = ctx.work / "audit-fleet"
    fleet_dir.mkdir()
    lines = ["services:"]
    for n in range(fleet_size):
        name = f"svc{n:02d}"
        shutil.copytree(svc, fleet_dir / name)
        lines += [f"  - name: {name}", f"    path: {name}"]
    (fleet_dir / "fleet.yaml").write_text("\n".join(lines) + "\n")
    fleet_cmd = [*svcgen, "audit", "--fleet", "fleet.yaml", "--jobs", "2", "--json"]
    ctx.log(f"audit: {fleet_size}-service fleet, cold then warm")
    # The copies' sources equal the service's: with the result cache on, the
    # first fleet run would reuse its results. Cold and warm-uncached runs
    # therefore turn the result cache off.
    cold = _timed(fleet_cmd, fleet_dir, SVCGEN_AUDIT_CACHE="0")
    warm_uncached = _timed(fleet_cmd, fleet_dir, SVCGEN_AUDIT_CACHE="0")
    warm = _timed(fleet_cmd, fleet_dir)
    res.figures += [
        Figure(
            name=f"audit a {fleet_size}-service fleet, --jobs 2, copies not yet built, "
            "SVCGEN_AUDIT_CACHE=0",
            value=cold,
            unit="s",
            baseline=a * fleet_size,
            baseline_name=f"{fleet_size} x one warm audit",
            show_ratio=False,
            note="each copy lives in its own directory, so its packages compile once",
        ),
        Figure(
            name=f"audit a {fleet_size}-service fleet, --jobs 2, warm, SVCGEN_AUDIT_CACHE=0",
            value=warm_uncached,
            unit="s",
            baseline=u * fleet_size,
            baseline_name=f"{fleet_size} x one uncached audit",
            note="every analyzer re-runs on every service",
        ),
        Figure(
            name=f"audit a {fleet_size}-service fleet, --jobs 2, warm cache",
            value=warm,
            unit="s",
            baseline=a * fleet_size,
            baseline_name=f"{fleet_size} x one warm audit",
            note="one svcgen process for the fleet",
        ),
    ]
    res.details = [
        f"One service rendered with the default features; {runs} interleaved rounds of "
        "`go vet ./...`, `svcgen audit --json` and the same with `SVCGEN_AUDIT_CACHE=0`; "
        f"then {fleet_size} copies in one fleet file with `--jobs 2`.",
        "Raw runs (s): go vet "
        + ", ".join(f"{x:.2f}" for x in vets)
        + "; svcgen audit "
        + ", ".join(f"{x:.2f}" for x in audits)
        + "; SVCGEN_AUDIT_CACHE=0 "
        + ", ".join(f"{x:.2f}" for x in uncached)
        + ".",
    ]
    res.data = {
        "vet": vets,
        "audit": audits,
        "audit_uncached": uncached,
        "fleet_cold": cold,
        "fleet_warm_uncached": warm_uncached,
        "fleet_warm": warm,
    }
    return res


def markdown(res: BenchResult, machine: str) -> str:
    out = [
        "# svcgen audit benchmark",
        "",
        "`bench/bench_audit.py` renders one service with the default features and",
        "times the whole `svcgen audit --json` command (Python start-up, the Go",
        "analyzers over go/packages, the repository checks) against `go vet ./...`",
        "on the same service, both with a warm build cache, interleaved in the same",
        "run. The fleet figures audit copies of that service, each in its own",
        "directory, listed in one fleet file, with `--jobs 2`.",
        "",
        "```",
        res.command,
        "```",
        "",
        f"## Results ({machine})",
        "",
        "| figure | value | baseline (same run) | ratio | target | result |",
        "| --- | ---: | --- | ---: | --- | --- |",
    ]
    for f in res.figures:
        base = f"{f.baseline_name}: {f.baseline:.2f} s" if f.baseline is not None else "-"
        ratio = f"{f.ratio:.2f}x" if f.ratio is not None else "-"
        verdict = "-" if f.met is None else ("met" if f.met else "NOT met")
        out.append(
            f"| {f.name} | {f.value:.2f} s | {base} | {ratio} | {f.target or '-'} | {verdict} |"
        )
    d = res.data
    out += [
        "",
        "Raw runs (s): go vet " + ", ".join(f"{x:.2f}" for x in d["vet"]),
        "; svcgen audit " + ", ".join(f"{x:.2f}" for x in d["audit"]),
        "; svcgen audit with SVCGEN_AUDIT_CACHE=0 "
        + ", ".join(f"{x:.2f}" for x in d["audit_uncached"])
        + ".",
    ]
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs, a 3-service fleet")
    parser.add_argument("--runs", type=int, default=0, help="interleaved runs (default 9)")
    parser.add_argument("--fleet-size", type=int, default=0, help="services (default 18)")
    parser.add_argument("--json", type=Path, help="write the figures as JSON here")
    parser.add_argument("--md", type=Path, help="write the markdown section here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as work:
        ctx = Context(
            quick=args.quick,
            work=Path(work),
            out=Path(work),
            log=lambda m: print(m, file=sys.stderr),
        )
        res = run(ctx, args.runs, args.fleet_size)
    if res.status != "ok":
        print(f"{res.status}: {res.reason}", file=sys.stderr)
        return 1
    for f in res.figures:
        ratio = f" ({f.ratio:.2f}x {f.baseline_name})" if f.ratio else ""
        print(f"{f.name}: {f.value:.2f} s{ratio}")
    if args.json:
        args.json.write_text(json.dumps(res.to_json(), indent=2) + "\n")
    if args.md:
        machine = (
            f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {time.strftime('%d %b %Y')}"
        )
        args.md.write_text(markdown(res, machine))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
