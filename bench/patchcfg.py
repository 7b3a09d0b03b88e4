"""Bench 3: patch-config. Runs bench/bench_patch_config.py (the patch-config
bench, which owns the measurement: svcgen against the naive ruamel.yaml
load/modify/dump loop and against mikefarah yq v4, one ``yq -i`` per file, at
18, 100 and 1,000 configs) and takes its figures. Targets: at 1,000 files at
least 10x the naive loop and faster than yq; at 18 files no slower than yq.

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
    """Rows {files, svcgen_s, naive_s[, svcgen_jobs1_s]}: the bench's own
    ``rows`` when it has them, else any such rows found in its JSON."""
    if isinstance(doc, dict) and isinstance(doc.get("rows"), list):
        keys = ("files", "svcgen_s", "naive_s")
        rows = [r for r in doc["rows"] if isinstance(r, dict) and all(k in r for k in keys)]
        if rows:
            optional = ("svcgen_jobs1_s", "yq_s")
            return [
                {k: float(r[k]) for k in (*keys, *optional) if r.get(k) is not None} for r in rows
            ]
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
    for r in rows:
        speedup = r["naive_s"] / r["svcgen_s"]
        is_target = r["files"] >= 1000  # the target is at 1,000 configs
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
        if "yq_s" in r:
            vs_yq = r["yq_s"] / r["svcgen_s"]
            goal = r["files"] >= 1000 or r["files"] == 18
            res.figures.append(
                Figure(
                    f"svcgen patch-config vs yq -i, {r['files']:,.0f} files",
                    r["svcgen_s"],
                    "s",
                    baseline=r["yq_s"],
                    baseline_name="mikefarah yq v4, one process per file",
                    target=("yq ÷ svcgen > 1" if r["files"] >= 1000 else "yq ÷ svcgen ≥ 1")
                    if goal
                    else "",
                    met=(vs_yq > 1 if r["files"] >= 1000 else vs_yq >= 1) if goal else None,
                    note=f"{vs_yq:.2f}x yq's speed",
                )
            )
    res.details += [
        "| files | naive ruamel loop | yq -i per file | svcgen (default --jobs) | vs naive "
        "| vs yq | svcgen --jobs 1 | vs naive |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        j1 = r.get("svcgen_jobs1_s")
        yq = r.get("yq_s")
        res.details.append(
            f"| {r['files']:,.0f} | {r['naive_s']:.3f} s | "
            + (f"{yq:.3f} s" if yq else "—")
            + f" | {r['svcgen_s']:.3f} s | {r['naive_s'] / r['svcgen_s']:.1f}x | "
            + (f"{yq / r['svcgen_s']:.2f}x" if yq else "—")
            + " | "
            + (f"{j1:.3f} s | {r['naive_s'] / j1:.1f}x |" if j1 else "— | — |")
        )
    if isinstance(doc, dict) and doc.get("yq"):
        res.details.append(f"yq: {doc['yq']}.")
    elif isinstance(doc, dict):
        res.details.append(
            "yq: mikefarah yq v4 was not found, so there is no yq column "
            "(go install github.com/mikefarah/yq/v4@v4.54.3)."
        )
    if isinstance(doc, dict) and "repeat" in doc:
        res.details.append(
            f"Medians of {doc['repeat']} runs each, fresh processes (start-up included), "
            "as reported by bench/bench_patch_config.py."
        )
    res.data = {"rows": rows, "raw": doc}
    return res
