"""Bench 2: render. ``svcgen new x --defaults`` against ``copier copy`` of the
same template with the same answers (tasks skipped in both, as svcgen does
without --trust), median of N interleaved runs into fresh directories."""

from __future__ import annotations

import shutil

from benchlib import (
    TEMPLATE,
    BenchResult,
    Context,
    Figure,
    copier_cmd,
    median,
    svcgen_cmd,
    time_once,
)


def run(ctx: Context) -> BenchResult:
    runs = 1 if ctx.quick else 5
    base = ctx.work / "render"
    counter = iter(range(10_000))

    def svcgen_once() -> float:
        dest = base / f"s{next(counter)}"
        dest.mkdir(parents=True)
        cmd = [*svcgen_cmd(), "new", "x", "--defaults", "--dest", str(dest)]
        return time_once(cmd)

    def copier_once() -> float:
        dest = base / f"c{next(counter)}"
        cmd = [
            *copier_cmd(),
            "copy",
            "--defaults",
            "--skip-tasks",
            "--quiet",
            "--data",
            "service_name=x",
            str(TEMPLATE),
            str(dest / "x"),
        ]
        return time_once(cmd)

    if not ctx.quick:
        svcgen_once()  # warm-up: page cache, .pyc files
        copier_once()
    times: dict[str, list[float]] = {"svcgen": [], "copier": []}
    for _ in range(runs):
        times["svcgen"].append(svcgen_once())
        times["copier"].append(copier_once())
    med_s, med_c = median(times["svcgen"]), median(times["copier"])
    res = BenchResult(
        "render",
        "Render a service",
        command=(
            "`svcgen new x --defaults --dest D` vs "
            "`copier copy --defaults --skip-tasks --quiet --data service_name=x "
            f"templates/go-service D/x`, median of {runs} interleaved runs"
        ),
    )
    ratio = med_s / med_c
    res.figures.append(
        Figure(
            "`svcgen new x --defaults` wall time (median)",
            med_s,
            "s",
            baseline=med_c,
            baseline_name="`copier copy` of the same template",
            target="ratio ≤ 1.2",
            met=ratio <= 1.2,
        )
    )
    res.data = {"svcgen_s": times["svcgen"], "copier_s": times["copier"]}
    res.details.append(
        f"Runs (s), svcgen: {', '.join(f'{t:.2f}' for t in times['svcgen'])}; "
        f"copier: {', '.join(f'{t:.2f}' for t in times['copier'])}."
    )
    shutil.rmtree(base, ignore_errors=True)
    return res
