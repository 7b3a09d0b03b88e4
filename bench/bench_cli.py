"""Bench 1: CLI start-up. ``svcgen --help`` against ``python -c "import typer"``
(the floor any Typer CLI pays), median of N interleaved runs; and, with
``-X importtime``, proof that copier, jinja2 and ruamel are not imported."""

from __future__ import annotations

import subprocess
import sys

from benchlib import BenchResult, Context, Figure, median, svcgen_cmd, time_once

#: issue 13: `svcgen --help` within 1.3x of `python -c "import typer"`
TARGET_RATIO = 1.3
HEAVY = ("copier", "jinja2", "ruamel", "rich")  # the list
ALSO_WATCHED = ("yaml", "plumbum", "pydantic")  # heavy too; reported, not targeted


def import_times(cmd: list[str]) -> dict[str, int]:
    """Every module ``cmd`` imports, with its own import time in µs
    (python -X importtime)."""
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=ENV)
    if proc.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` exited {proc.returncode}: {proc.stderr[-1000:]}")
    times: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        self_us, _cumulative, module = (part.strip() for part in line[12:].split("|"))
        if module and module != "imported package" and self_us.isdigit():
            times[module] = int(self_us)
    return times


def imported_modules(cmd: list[str]) -> list[str]:
    return sorted(import_times(cmd))


def bench_env() -> dict[str, str]:
    """Both sides read compiled bytecode, as an installed svcgen does: with
    PYTHONDONTWRITEBYTECODE set (as on some CI machines) svcgen's own modules
    would be compiled from source on every run while typer's come with their
    .pyc from pip. The warm-up run writes both sides' .pyc to a scratch prefix."""
    import os
    import tempfile

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "svcgen-bench-pycache")
    return env


def _timed(cmd: list[str]) -> float:
    return time_once(cmd, env=ENV)


ENV = bench_env()


def run(ctx: Context) -> BenchResult:
    runs = 3 if ctx.quick else 15
    svcgen = [*svcgen_cmd(), "--help"]
    typer_only = [sys.executable, "-c", "import typer"]
    res = BenchResult(
        "cli",
        "CLI start-up",
        command=f"`svcgen --help` vs `python -c 'import typer'`, median of {runs} interleaved runs "
        "(both from compiled bytecode)",
    )
    # One untimed run of each warms the OS page cache and the .pyc files.
    _timed(svcgen)
    _timed(typer_only)
    times: dict[str, list[float]] = {"svcgen": [], "typer": []}
    for _ in range(runs):
        times["svcgen"].append(_timed(svcgen))
        times["typer"].append(_timed(typer_only))
    med_svcgen, med_typer = median(times["svcgen"]), median(times["typer"])
    ratio = med_svcgen / med_typer
    res.figures.append(
        Figure(
            "`svcgen --help` wall time (median)",
            med_svcgen * 1000,
            "ms",
            baseline=med_typer * 1000,
            baseline_name="`python -c 'import typer'`",
            target=f"ratio ≤ {TARGET_RATIO}",
            met=ratio <= TARGET_RATIO,
        )
    )

    svcgen_times = import_times([sys.executable, "-X", "importtime", *svcgen])
    mods = sorted(svcgen_times)
    top = {m.split(".")[0] for m in mods}
    heavy = sorted(h for h in HEAVY if h in top)
    watched = sorted(h for h in ALSO_WATCHED if h in top)
    typer_mods = imported_modules([sys.executable, "-X", "importtime", "-c", "import typer"])
    extra = {m: t for m, t in svcgen_times.items() if m not in set(typer_mods)}
    by_package: dict[str, int] = {}
    for m, t in extra.items():
        by_package[m.split(".")[0]] = by_package.get(m.split(".")[0], 0) + t
    costliest = sorted(by_package.items(), key=lambda kv: -kv[1])[:8]
    res.figures.append(
        Figure(
            "copier/jinja2/ruamel imported by `svcgen --help`",
            float(len(heavy)),
            "modules",
            target="0",
            met=not heavy,
            note=", ".join(heavy) if heavy else "none (checked with -X importtime)",
        )
    )
    res.figures.append(
        Figure(
            "modules imported by `svcgen --help`",
            float(len(mods)),
            "modules",
            baseline=float(len(typer_mods)),
            baseline_name="`import typer`",
            note=("also imported: " + ", ".join(watched)) if watched else "",
        )
    )
    res.data = {
        "svcgen_s": times["svcgen"],
        "typer_s": times["typer"],
        "heavy_imported": heavy,
        "watched_imported": watched,
        "costliest_extra_packages_us": dict(costliest),
    }
    res.details.append(
        f"Modules `svcgen --help` imports beyond `import typer`: {len(extra)}, "
        f"{sum(extra.values()) / 1000:.0f} ms of import time (one -X importtime run); "
        "costliest top-level packages: "
        + ", ".join(f"`{name}` {us / 1000:.1f} ms" for name, us in costliest)
        + "."
    )
    res.details.append(
        f"Runs (ms), svcgen: {', '.join(f'{t * 1000:.0f}' for t in times['svcgen'])}; "
        f"typer: {', '.join(f'{t * 1000:.0f}' for t in times['typer'])}."
    )
    return res
