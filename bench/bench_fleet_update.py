"""Bench 4: fleet update. N services rendered from a template git repository
tagged v1.0.0 are updated to v2.0.0 (a new file and a changed Makefile line)
with ``svcgen update --jobs 1`` and, on an identical copy of the fleet, with
``--jobs 2``. Reports the time per service and the speed-up, and checks that
every service really reached v2.0.0.

Then, in the same run and with the default ``--jobs`` (one per CPU), a
``--dry-run`` of the whole fleet is timed against a real update of another
identical copy: the dry run must stay within 1.3x of the real update.

Standalone: ``python bench/bench_fleet_update.py [--quick] [--dry-run-only]`` prints
the figures."""

from __future__ import annotations

import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchlib import TEMPLATE, BenchResult, Context, Figure, Unavailable, run_checked, svcgen_cmd

GIT_ID = ["-c", "user.name=svcgen-bench", "-c", "user.email=bench@svcgen.invalid"]
MARKER = "bench-v2-marker.txt"
# Standalone --dry-run-only: time only the dry run against the real update.
DRY_RUN_ONLY = False


def git(cwd: Path, *args: str) -> None:
    run_checked(["git", *GIT_ID, *args], cwd=cwd)


def update_available() -> str | None:
    """None when ``svcgen update`` is registered, else why not."""
    proc = subprocess.run(
        [*svcgen_cmd(), "update", "--help"], capture_output=True, text=True, check=False
    )
    if proc.returncode == 0 and "--jobs" in proc.stdout:
        return None
    if proc.returncode == 0:
        return "`svcgen update` has no --jobs option"
    return "`svcgen update` is not registered in this svcgen (`svcgen update --help` fails)"


def make_template_repo(root: Path) -> Path:
    """templates/go-service copied into its own git repo: v1.0.0, then v2.0.0."""
    repo = root / "go-service"
    shutil.copytree(TEMPLATE, repo, ignore=shutil.ignore_patterns(".git", "__pycache__"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "v1")
    git(repo, "tag", "v1.0.0")
    return repo


def make_v2(repo: Path) -> None:
    tpl = repo / "template"
    (tpl / MARKER).write_text("added by the template's v2.0.0 (svcgen fleet-update bench)\n")
    makefile = tpl / "Makefile.jinja"
    if makefile.exists():
        text = makefile.read_text()
        changed = text.replace("BENCH_COUNT  ?= 6", "BENCH_COUNT  ?= 8", 1)
        if changed == text:
            changed = text + "# changed in v2.0.0\n"
        makefile.write_text(changed)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "v2")
    git(repo, "tag", "v2.0.0")


def render_fleet(repo: Path, fleet: Path, n: int) -> list[Path]:
    fleet.mkdir(parents=True)

    def one(i: int) -> Path:
        name = f"svc{i:02d}"
        run_checked(
            [
                *svcgen_cmd(),
                "new",
                name,
                "--template",
                str(repo),
                "--vcs-ref",
                "v1.0.0",
                "--defaults",
                "--dest",
                str(fleet),
            ]
        )
        svc = fleet / name
        git(svc, "init", "-q", "-b", "main")
        git(svc, "add", "-A")
        git(svc, "commit", "-qm", "rendered from v1.0.0")
        return svc

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(one, range(n)))


def check_updated(services: list[Path]) -> list[str]:
    """Services that did not end at v2.0.0 with the v2 change."""
    bad = []
    for svc in services:
        answers = (svc / ".copier-answers.yml").read_text()
        if "v2.0.0" not in answers or not (svc / MARKER).exists():
            bad.append(svc.name)
    return bad


def time_dry_run_vs_real(base: Path, pristine: Path, services: list[Path]) -> tuple[float, float]:
    """(dry run s, real update s), both with the default --jobs, each a fresh copy of the
    fleet. Run in the order real, dry, dry, real and summed per mode, so that a load
    that drifts during the run weighs on both modes alike (the machine is shared)."""
    out: dict[str, float] = {"dry": 0.0, "real": 0.0}
    for k, mode in enumerate(("real", "dry", "dry", "real")):
        fleet = base / f"default-{mode}-{k}"
        shutil.copytree(pristine, fleet, symlinks=True)
        paths = [fleet / s.name for s in services]
        flags = ["--dry-run"] if mode == "dry" else []
        cmd = [*svcgen_cmd(), "update", "--to", "v2.0.0", *flags, *map(str, paths)]
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        out[mode] += time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"svcgen update {' '.join(flags)} exited {proc.returncode}")
        if mode == "real" and check_updated(paths):
            raise RuntimeError("the real update with the default --jobs missed services")
        if mode == "dry" and "+++ b/" + MARKER not in proc.stdout:
            raise RuntimeError("the dry run printed no patch adding the v2 file")
        shutil.rmtree(fleet, ignore_errors=True)
    return out["dry"] / 2, out["real"] / 2


def run(ctx: Context) -> BenchResult:
    n = 2 if ctx.quick else 18
    res = BenchResult(
        "fleet_update",
        f"Fleet update ({n} services, v1.0.0 → v2.0.0)",
        command=f"`svcgen update --to v2.0.0 --jobs J SERVICE...` on {n} services, J = 1 and 2",
    )
    why = update_available()
    if why:
        raise Unavailable(why)
    base = ctx.work / "fleet"
    repo = make_template_repo(base)
    pristine = base / "pristine"
    t0 = time.perf_counter()
    services = render_fleet(repo, pristine, n)
    render_s = time.perf_counter() - t0
    make_v2(repo)

    timings: dict[int, float] = {}
    outputs: dict[int, str] = {}
    for jobs in () if DRY_RUN_ONLY else (1, 2):
        fleet = base / f"jobs{jobs}"
        shutil.copytree(pristine, fleet, symlinks=True)
        paths = [fleet / s.name for s in services]
        cmd = [*svcgen_cmd(), "update", "--to", "v2.0.0", "--jobs", str(jobs), *map(str, paths)]
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        timings[jobs] = time.perf_counter() - start
        outputs[jobs] = proc.stdout + proc.stderr
        if proc.returncode != 0:
            raise RuntimeError(
                f"svcgen update --jobs {jobs} exited {proc.returncode}:\n{outputs[jobs][-2000:]}"
            )
        bad = check_updated(paths)
        if bad:
            raise RuntimeError(
                f"svcgen update --jobs {jobs} exited 0 but these services are not at v2.0.0 "
                f"with the v2 change: {', '.join(bad)}"
            )

    dry_s, real_s = time_dry_run_vs_real(base, pristine, services)

    if DRY_RUN_ONLY:
        timings = {1: float("nan"), 2: float("nan")}
    per1, per2 = timings[1] / n, timings[2] / n
    res.figures.append(
        Figure("update time per service, --jobs 1", per1, "s", note=f"total {timings[1]:.1f} s")
    )
    res.figures.append(
        Figure(
            "update time per service, --jobs 2",
            per2,
            "s",
            baseline=per1,
            baseline_name="--jobs 1",
            note=f"total {timings[2]:.1f} s",
        )
    )
    speedup = timings[1] / timings[2]
    res.figures.append(
        Figure(
            "speed-up of --jobs 2 over --jobs 1",
            speedup,
            "x",
            target="> 1 (2 cores, shared)",
            met=speedup > 1.0,
            note="ideal is 2.0 on an idle 2-core machine",
        )
    )
    ratio = dry_s / real_s
    res.figures.append(
        Figure(
            "update --dry-run of the fleet, default --jobs",
            dry_s,
            "s",
            baseline=real_s,
            baseline_name="real update, default --jobs",
            target="<= 1.3x the real update",
            met=ratio <= 1.3,
            note=f"{n} services",
        )
    )
    res.data = {
        "services": n,
        "jobs1_s": timings[1],
        "jobs2_s": timings[2],
        "dry_run_default_jobs_s": dry_s,
        "real_default_jobs_s": real_s,
    }
    res.details.append(
        f"Fleet set-up (not timed in the figures): {n} services rendered from v1.0.0 in "
        f"{render_s:.1f} s. Every service was verified to record v2.0.0 in "
        "`.copier-answers.yml` and to contain the file v2 added, after both runs."
    )
    shutil.rmtree(base, ignore_errors=True)
    return res


if __name__ == "__main__":
    import sys
    import tempfile

    DRY_RUN_ONLY = "--dry-run-only" in sys.argv
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        result = run(Context(quick="--quick" in sys.argv, work=Path(tmp), out=Path(tmp), log=print))
    for fig in result.figures:
        base = (
            f" (baseline {fig.baseline:.2f} {fig.unit}: {fig.baseline_name})"
            if fig.baseline
            else ""
        )
        print(f"{fig.name}: {fig.value:.2f} {fig.unit}{base} {fig.note}")
