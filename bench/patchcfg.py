"""Bench 3: patch-config. Runs bench/bench_patch_config.py (the patch-config
bench, which owns the measurement: svcgen against the naive ruamel.yaml
load/modify/dump loop at 18, 100 and 1,000 configs) and takes its figures.

The bench script is asked for JSON (``--json FILE``) and, in quick mode, for
tiny sizes (``--quick``) when its ``--help`` offers those flags. Its JSON is
read leniently: any list of rows with a file count, an svcgen time and a
naive-loop time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from benchlib import BENCH_DIR, BenchResult, Context, Figure, Unavailable

SCRIPT = BENCH_DIR / "bench_patch_config.py"


def _num(row: dict[str, Any], *needles: str, exclude: tuple[str, ...] = ()) -> float | None:
    for key, value in row.items():
        k = key.lower()
        if (
            all(n in k for n in needles)
            and not any(x in k for x in exclude)
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        ):
            return float(value)
    return None


def _rows(doc: Any) -> list[dict[str, float]]:
    """Rows {files, svcgen_s, naive_s} found anywhere in the bench's JSON."""
    found: list[dict[str, float]] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            files = _num(node, "files") or _num(node, "n_") or _num(node, "count")
            svcgen = _num(node, "svcgen", exclude=("ratio", "speed", "per"))
            naive = _num(node, "naive", exclude=("ratio", "speed", "per"))
            if files is not None and svcgen is not None and naive is not None:
                if "ms" in " ".join(k for k in node if "svcgen" in k.lower()):
                    svcgen, naive = svcgen / 1000, naive / 1000
                found.append({"files": files, "svcgen_s": svcgen, "naive_s": naive})
                return
            for v in node.values():
                visit(v)
        elif isinstance(node, list):
            for v in node:
                visit(v)

    visit(doc)
    return found


def run(ctx: Context) -> BenchResult:
    if not SCRIPT.exists():
        raise Unavailable("bench/bench_patch_config.py (the patch-config bench) is not present")
    helptext = subprocess.run(
        [sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, check=False
    ).stdout
    out_json = ctx.work / "patch_config.json"
    cmd = [sys.executable, str(SCRIPT)]
    if ctx.quick and "--quick" in helptext:
        cmd.append("--quick")
    if "--json" in helptext:
        cmd += ["--json", str(out_json)]
    shown = " ".join(["python", "bench/bench_patch_config.py", *cmd[2:]]).replace(
        str(out_json), "FILE"
    )
    res = BenchResult(
        "patch_config",
        "patch-config across a fleet of configs",
        command=f"`{shown}` (bench/bench_patch_config.py, the patch-config bench)",
    )
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=900)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout)[-2000:]
        raise RuntimeError(f"bench_patch_config.py exited {proc.returncode}:\n{tail}")
    doc: Any = None
    if out_json.exists():
        doc = json.loads(out_json.read_text())
    else:
        try:
            doc = json.loads(proc.stdout)
        except ValueError:
            doc = None
    rows = _rows(doc) if doc is not None else []
    if not rows:
        res.details += ["Output of the bench (no machine-readable rows found):", "", "```"]
        res.details += [*proc.stdout.strip().splitlines()[-40:], "```"]
        raise RuntimeError(
            "bench_patch_config.py produced no rows with files / svcgen / naive times "
            "(expected JSON via --json FILE or on stdout)"
        )
    rows.sort(key=lambda r: r["files"])
    largest = rows[-1]["files"]
    for r in rows:
        speedup = r["naive_s"] / r["svcgen_s"]
        is_target = r["files"] >= 1000 or r["files"] == largest
        res.figures.append(
            Figure(
                f"svcgen patch-config, {r['files']:,.0f} files (incl. start-up)",
                r["svcgen_s"],
                "s",
                baseline=r["naive_s"],
                baseline_name="naive ruamel.yaml loop",
                target="naive ÷ svcgen ≥ 10" if is_target else "",
                met=speedup >= 10 if is_target else None,
                note=f"speed-up {speedup:.1f}x",
            )
        )
    res.data = {"rows": rows, "raw": doc}
    return res
