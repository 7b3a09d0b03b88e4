"""Run svcgen's benchmarks and write docs/benchmarks.md with its plots.

    python bench/run.py [--quick] [--only NAME]... [--out DIR] [--keep-work]

Every bench measures its figure beside a baseline in the same run. A bench
that cannot run here (a missing tool, a command not registered yet, a
template feature not integrated yet) is reported as "not available" with the
reason; it never reports made-up numbers.

Exit status: 0 when every selected bench produced its figures (targets met
or missed), 1 when one was not available or failed, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import bench_audit
import bench_cli
import bench_fleet_update
import bench_go
import bench_jwt_keys
import bench_load
import bench_postgres
import bench_render
import patchcfg
import report
from benchlib import ROOT, BenchResult, Context, Unavailable, machine_description

BENCHES: list[tuple[str, str, Callable[[Context], BenchResult]]] = [
    ("cli", "CLI start-up", bench_cli.run),
    ("render", "Render a service", bench_render.run),
    ("patch_config", "patch-config across a fleet of configs", patchcfg.run),
    ("fleet_update", "Fleet update", bench_fleet_update.run),
    ("go_middleware", "Go middleware benchmarks", bench_go.run),
    ("jwt_keys", "JWT verify per algorithm, key sets (issue 14)", bench_jwt_keys.run_bench),
    ("load", "Load at 1,000 RPS", bench_load.run_load),
    ("fail_closed", "Fail-closed under load", bench_load.run_fail_closed),
    ("audit", "svcgen audit against go vet", bench_audit.run),
    ("postgres", "PostgreSQL repository: store.List vs raw pgx", bench_postgres.run),
]
NAMES = [name for name, _, _ in BENCHES]
BIG_DATA = ("latencies_ms", "timeline", "raw")  # kept out of benchmarks.json


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def log(msg: str) -> None:
    print(f"[bench {datetime.now(UTC).strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes: a few runs, 1 s loads")
    p.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help=f"run only this bench (repeatable, or comma-separated): {', '.join(NAMES)}",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=ROOT / "docs",
        help="where benchmarks.md, benchmarks.json and img/ go (default: docs/)",
    )
    p.add_argument("--keep-work", action="store_true", help="keep the scratch directory")
    p.add_argument(
        "--report-only",
        action="store_true",
        help="run nothing: rewrite benchmarks.md from benchmarks.json (e.g. to pick up "
        "new docs/benchmarks-*.md files)",
    )
    args = p.parse_args(argv)
    only = [n.strip() for chunk in args.only for n in chunk.split(",") if n.strip()]
    unknown = [n for n in only if n not in NAMES]
    if unknown:
        p.error(f"unknown bench {', '.join(unknown)}; choose from {', '.join(NAMES)}")
    args.only = only
    return args


def make_plots(r: BenchResult, img: Path) -> None:
    img.mkdir(parents=True, exist_ok=True)
    if r.name == "load" and r.data.get("latencies_ms"):
        report.plot_latency(r.data, img / "load-latency.png", bench_load.RATE)
        r.plots.append("load-latency.png")
    elif r.name == "patch_config" and r.data.get("rows"):
        report.plot_patch_config(r.data["rows"], img / "patch-config-scaling.png")
        r.plots.append("patch-config-scaling.png")
    elif r.name == "fail_closed" and r.data.get("timeline"):
        report.plot_fail_closed(r.data, img / "fail-closed-timeline.png")
        r.plots.append("fail-closed-timeline.png")


def run_one(
    name: str, title: str, fn: Callable[[Context], BenchResult], ctx: Context
) -> BenchResult:
    started, t0 = now(), time.perf_counter()
    log(f"{name}: start")
    try:
        r = fn(ctx)
    except Unavailable as exc:
        r = BenchResult(name, title, status="not available", reason=str(exc))
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        reason = f"{type(exc).__name__}: {exc}".strip()
        r = BenchResult(name, title, status="error", reason=reason[-1500:].replace("\n", " ⏎ "))
    r.started, r.seconds = started, time.perf_counter() - t0
    log(f"{name}: {r.status} in {r.seconds:.0f} s {('— ' + r.reason) if r.reason else ''}")
    if r.status == "ok":
        try:
            make_plots(r, ctx.out / "img")
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            r.details.append(f"(plot failed: {type(exc).__name__}: {exc})")
    return r


def previous_results(path: Path) -> dict[str, BenchResult]:
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text())
        return {r["name"]: BenchResult.from_json(r) for r in raw.get("results", [])}
    except (ValueError, KeyError, TypeError):
        return {}


def report_only(out: Path) -> int:
    path = out / "benchmarks.json"
    if not path.exists():
        log(f"--report-only: {path} does not exist; run the benches first")
        return 2
    doc = json.loads(path.read_text())
    ordered = [BenchResult.from_json(r) for r in doc.get("results", [])]
    machine = doc.get("machine") or machine_description()
    md = report.write_markdown(
        ordered, out, machine, doc.get("command", ""), bool(doc.get("quick")), doc["started"]
    )
    log(f"rewrote {md} from {path}")
    return 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    out: Path = args.out.resolve()
    if args.report_only:
        return report_only(out)
    selected = [b for b in BENCHES if not args.only or b[0] in args.only]
    work = Path(tempfile.mkdtemp(prefix="svcgen-bench-"))
    ctx = Context(quick=args.quick, work=work, out=out, log=log)
    command = "python bench/run.py" + (" " + shlex.join(argv) if argv else "")
    started = now()
    machine = machine_description()
    results: dict[str, BenchResult] = {}
    try:
        for name, title, fn in selected:
            results[name] = run_one(name, title, fn, ctx)
    finally:
        if args.keep_work:
            log(f"scratch kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    # --only keeps the other benches' last figures (each with its own date).
    merged = previous_results(out / "benchmarks.json") if args.only else {}
    merged.update(results)
    ordered = [merged[n] for n in NAMES if n in merged]
    for r in ordered:
        for key in BIG_DATA:
            r.data.pop(key, None)
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmarks.json").write_text(
        json.dumps(
            {
                "command": command,
                "started": started,
                "quick": args.quick,
                "machine": machine,
                "results": [r.to_json() for r in ordered],
            },
            indent=1,
        )
        + "\n"
    )
    md = report.write_markdown(ordered, out, machine, command, args.quick, started)
    log(f"wrote {md}")
    failed = [r for r in results.values() if r.status != "ok"]
    for r in ordered:
        for f in r.figures:
            if f.met is not None:
                log(f"{r.name}: {f.name}: {'met' if f.met else 'MISSED'} ({f.target})")
    for r in failed:
        log(f"{r.name}: {r.status}: {r.reason}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
