"""Template tasks and migrations: only with --trust, once per update, in the service."""

from __future__ import annotations

from pathlib import Path

from update_helpers import copy_service, new_service, tiny_template

from repo_helpers import commit_all, git, run


def logging_template(repo: Path, log: Path) -> Path:
    """A template whose task and migration append a line to ``log`` wherever they run."""
    return tiny_template(
        repo,
        "_subdirectory: template\n"
        "service_name:\n  type: str\n"
        "_tasks:\n"
        f"  - 'echo \"task {{{{ _copier_operation }}}} $PWD\" >> {log}'\n"
        "_migrations:\n"
        f"  - 'echo \"migration $PWD\" >> {log}'\n",
    )


def test_tasks_and_migrations_run_only_with_trust_and_once(tmp_path: Path) -> None:
    log = tmp_path / "ran.log"
    repo = logging_template(tmp_path / "template", log)
    svc = new_service(repo, "tiny", tmp_path / "svc")  # without --trust: no task
    assert not log.exists()
    (repo / "template" / "NEWS.md").write_text("v2\n")
    commit_all(repo, "v2")
    git(repo, "tag", "v2.0.0")
    trusted = copy_service(svc, tmp_path / "trusted")

    code, out, err = run("update", str(svc))
    assert code == 0, out + err
    assert "updated v1.0.0 → v2.0.0" in out
    assert not log.exists()  # neither the task nor the migration ran
    assert "skipped: echo" in err and "--trust" in err

    code, out, err = run("update", str(trusted), "--trust")
    assert code == 0, out + err
    lines = log.read_text().splitlines()
    assert sorted(lines) == sorted([f"task update {trusted}", f"migration {trusted}"])
