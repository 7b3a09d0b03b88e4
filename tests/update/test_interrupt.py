"""SIGTERM (or Ctrl-C) during an update puts the service back to its last commit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from update_helpers import new_service, tiny_template

from repo_helpers import ROOT, commit_all, git, snapshot


def killing_template(repo: Path, kill: str = "kill -TERM $PPID") -> Path:
    """v1.0.0, then v2.0.0 whose task (run only with --trust, after the files are
    written) sends SIGTERM to svcgen itself."""
    tiny_template(repo, "_subdirectory: template\nservice_name:\n  type: str\n")
    with (repo / "copier.yml").open("a", encoding="utf-8") as fh:
        fh.write(f"_tasks:\n  - '{kill}; sleep 10'\n")
    (repo / "template" / "README.md.jinja").write_text("# {{ service_name }} v2\n")
    (repo / "template" / "NEW.md").write_text("new in v2\n")
    commit_all(repo, "v2")
    git(repo, "tag", "v2.0.0")
    return repo


def test_sigterm_during_update_restores_the_service_and_exits_130(tmp_path: Path) -> None:
    repo = killing_template(tmp_path / "template")
    svc = new_service(repo, "tiny", tmp_path / "svc")
    before = snapshot(svc)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "cli")}
    proc = subprocess.run(
        [sys.executable, "-m", "svcgen", "update", str(svc), "--trust"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 130, proc.stdout + proc.stderr
    assert snapshot(svc) == before
    assert not (svc / "NEW.md").exists()


def test_sigterm_during_a_parallel_update_restores_every_started_service(tmp_path: Path) -> None:
    pid_file = tmp_path / "svcgen.pid"
    repo = killing_template(tmp_path / "template", f"kill -TERM $(cat {pid_file})")
    services = [new_service(repo, name, tmp_path / name) for name in ("one", "two")]
    before = [snapshot(s) for s in services]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "cli")}
    cmd = [sys.executable, "-m", "svcgen", "update", *map(str, services), "--trust", "-j", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    pid_file.write_text(str(proc.pid))
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, (out + err).decode()
    assert [snapshot(s) for s in services] == before
