"""Benchmark: a patch-config campaign (``--branch --push``) against the same patch
applied in place without git.

N service repositories, each with a bare "origin" on local disk, get
``middleware.ratelimit.fail_closed: true`` in their production config:

* **campaign**: ``svcgen patch-config --fleet F --set ... --branch B --push``
  at the default ``--jobs`` (one per CPU): per repository a fetch, base
  resolution, a temporary worktree, the patch, a commit, a branch and a push
  with ``--force-with-lease``, then the worktree is removed;
* **in place**: ``svcgen patch-config --fleet F --set ...`` on plain copies of
  the same configs (no git at all).

Both are fresh ``python -m svcgen`` processes in the same run, so start-up is
in both. Every campaign repetition uses a new branch name (the same work each
time); the in-place side alternates true/false so that every run changes
every file. Medians of ``--repeat`` runs.

    python bench/bench_campaign.py --json campaign.json           # 18 repositories
    python bench/bench_campaign.py --quick --json /tmp/quick.json  # 3 repositories, smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = """\
# {name}: production configuration
server:
  http:
    addr: 0.0.0.0:8000
    read_timeout: 15s
middleware:
  ratelimit:
    enabled: true
    rps: 100
    fail_closed: false   # P0-3
  auth:
    mode: jwt
"""
ENV = {
    "GIT_AUTHOR_NAME": "svcgen-bench",
    "GIT_AUTHOR_EMAIL": "bench@svcgen.invalid",
    "GIT_COMMITTER_NAME": "svcgen-bench",
    "GIT_COMMITTER_EMAIL": "bench@svcgen.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT / "cli"), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, **ENV, "PYTHONPATH": path}


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env(), check=True, capture_output=True)


def make_fleet(root: Path, n: int) -> tuple[Path, Path]:
    """n repositories with bare remotes (fleet.yaml) and plain copies (plain.yaml)."""
    lines, plain_lines = ["services:"], ["services:"]
    for i in range(n):
        name = f"svc{i:02d}"
        repo, plain, remote = root / "repos" / name, root / "plain" / name, root / f"{name}.git"
        for d in (repo, plain):
            (d / "configs").mkdir(parents=True)
            (d / "configs" / "config-production.yaml").write_text(CONFIG.format(name=name))
        git(root, "init", "-q", "--bare", "-b", "main", str(remote))
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "initial")
        git(repo, "remote", "add", "origin", str(remote))
        git(repo, "push", "-q", "-u", "origin", "main")
        git(repo, "remote", "set-head", "origin", "main")
        lines += [f"  - name: {name}", f"    path: {repo}"]
        plain_lines += [f"  - name: {name}", f"    path: {plain}"]
    fleet, plain_fleet = root / "fleet.yaml", root / "plain.yaml"
    fleet.write_text("\n".join(lines) + "\n")
    plain_fleet.write_text("\n".join(plain_lines) + "\n")
    return fleet, plain_fleet


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(args, env=env(), capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        output = proc.stdout + proc.stderr
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{output}")
    return elapsed


def measure(root: Path, n: int, repeat: int) -> dict[str, float | int]:
    fleet, plain = make_fleet(root, n)
    svcgen = [sys.executable, "-m", "svcgen", "patch-config"]
    in_place, campaign = [], []
    for i in range(repeat):
        value = "true" if i % 2 == 0 else "false"
        set_ = f"middleware.ratelimit.fail_closed={value}"
        in_place.append(timed([*svcgen, "--fleet", str(plain), "--set", set_]))
        branch = f"bench/run-{i}"
        set_true = "middleware.ratelimit.fail_closed=true"
        campaign.append(
            timed([*svcgen, "--fleet", str(fleet), "--set", set_true, "--branch", branch, "--push"])
        )
    check_pushed(root, n, f"bench/run-{repeat - 1}")
    a, b = statistics.median(in_place), statistics.median(campaign)
    return {
        "repositories": n,
        "in_place_s": round(a, 4),
        "campaign_s": round(b, 4),
        "ratio": round(b / a, 2),
        "campaign_per_repo_ms": round(b / n * 1000, 1),
        "git_cost_per_repo_ms": round((b - a) / n * 1000, 1),
        "in_place_runs_s": [round(x, 4) for x in in_place],
        "campaign_runs_s": [round(x, 4) for x in campaign],
    }


def check_pushed(root: Path, n: int, branch: str) -> None:
    """Every remote really has the branch with the patched config."""
    for i in range(n):
        remote = root / f"svc{i:02d}.git"
        out = subprocess.run(
            ["git", "show", f"{branch}:configs/config-production.yaml"],
            cwd=remote,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if "fail_closed: true" not in out:
            raise SystemExit(f"{remote}: {branch} does not have the patch")


def markdown(row: dict[str, float | int]) -> str:
    return "\n".join(
        [
            "| repositories | in place, no git (s) | campaign `--branch --push` (s) | ratio "
            "| campaign per repository (ms) | git cost per repository (ms) |",
            "|---:|---:|---:|---:|---:|---:|",
            f"| {row['repositories']} | {row['in_place_s']:.3f} | {row['campaign_s']:.3f} "
            f"| {row['ratio']:.2f}x | {row['campaign_per_repo_ms']:.1f} "
            f"| {row['git_cost_per_repo_ms']:.1f} |",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", dest="out", required=True, type=Path, help="figures as JSON")
    parser.add_argument("--quick", action="store_true", help="3 repositories, one run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--repositories", type=int, default=18)
    args = parser.parse_args()
    n = 3 if args.quick else args.repositories
    repeat = 1 if args.quick else args.repeat
    root = Path(tempfile.mkdtemp(prefix="svcgen-bench-campaign-"))
    try:
        row = measure(root, n, repeat)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    figures = {
        "benchmark": "patch-config --branch --push campaign vs in place without git",
        "python": platform.python_version(),
        "git": subprocess.run(
            ["git", "--version"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "cpus": os.cpu_count(),
        "repeat": repeat,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "row": row,
    }
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(markdown(row))
    print(f"\nload average {figures['load_average']}; cpus {os.cpu_count()}; {figures['git']}")


if __name__ == "__main__":
    main()
