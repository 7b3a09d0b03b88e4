"""JWT verify cost per algorithm (issue 14), in one run.

    python bench/bench_jwt_keys.py [--quick]

Renders a service with the default features, then runs
``BenchmarkVerifyAlgorithms`` (verify through the key set, kid selection
included: HS256, RS256, ES256, EdDSA, against the legacy jwt_secret path as
the baseline) and ``BenchmarkAuth`` (the auth middleware on a valid HS256
token against a bare handler) with ``-count`` runs, and prints a Markdown
table of the medians for docs/benchmarks.md. Targets: HS256 < 10 us per
verify; auth middleware overhead on a valid HS256 token < 12 us/op.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import bench_go
from benchlib import run_checked, svcgen_cmd

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "go-service"


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
    count, benchtime = ("3", "2000x") if quick else ("8", "1s")
    with tempfile.TemporaryDirectory(prefix="bench-jwt-") as tmp:
        project = render(Path(tmp))
        env = dict(os.environ)
        env.pop("GOWORK", None)
        out = run_checked(
            [
                "go",
                "test",
                "-run",
                "^$",
                "-bench",
                "BenchmarkVerifyAlgorithms|BenchmarkAuth$",
                "-benchmem",
                "-count",
                count,
                "-benchtime",
                benchtime,
                "./internal/platform/auth/",
                "./internal/platform/middleware/",
            ],
            cwd=project,
            env=env,
            timeout=1200,
        ).stdout
    benches = {b.name: b for b in bench_go.parse(out)}
    rows = [
        "| benchmark | ns/op (median) | B/op | allocs/op | vs baseline |",
        "|---|---|---|---|---|",
    ]
    base = benches.get("BenchmarkVerifyAlgorithms/legacy_hs256_baseline")
    bare = benches.get("BenchmarkAuth/bare")
    for name, b in benches.items():
        ref = bare if name.startswith("BenchmarkAuth/") else base
        ratio = f"{b.ns_op / ref.ns_op:.2f}x" if ref and ref is not b else "baseline"
        mem = f"{b.bytes_op or 0:,.0f} | {b.allocs_op or 0:,.0f}"
        rows.append(f"| `{name}` | {b.ns_op:,.0f} | {mem} | {ratio} |")
    hs = benches.get("BenchmarkVerifyAlgorithms/HS256")
    mw = benches.get("BenchmarkAuth/auth_valid_hs256")
    if hs:
        met = "met" if hs.ns_op < 10_000 else "missed"
        rows.append(
            f"\nHS256 verify through the key set: {hs.ns_op:,.0f} ns/op, target < 10 us: **{met}**."
        )
    if mw and bare:
        over = mw.ns_op - bare.ns_op
        met = "met" if over < 12_000 else "missed"
        rows.append(
            f"Auth middleware overhead, valid HS256: {over:,.0f} ns/op, target < 12 us: **{met}**."
        )
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 short runs instead of 8 x 1s")
    args = parser.parse_args(argv)
    print(run(args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
