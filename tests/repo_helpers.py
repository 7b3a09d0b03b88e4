"""Helpers shared by the tests that drive svcgen on real git repositories
(tests/update, tests/adopt, tests/campaign): git itself, the CLI in-process,
a versioned copy of the template, and what a work tree holds.

tests/ is on sys.path (pytest puts a conftest's folder there), so the area
helper modules import this one as ``repo_helpers``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "go-service"

# A fixed identity and no system git config: the area conftests set these.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "svcgen tests",
    "GIT_AUTHOR_EMAIL": "tests@svcgen.invalid",
    "GIT_COMMITTER_NAME": "svcgen tests",
    "GIT_COMMITTER_EMAIL": "tests@svcgen.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@contextmanager
def isolated_env(cache: Path) -> Iterator[pytest.MonkeyPatch]:
    """GIT_ENV and a private svcgen cache until the block ends (for a session-scoped
    fixture, which cannot use the function-scoped ``monkeypatch``)."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in GIT_ENV.items():
            mp.setenv(key, value)
        mp.setenv("SVCGEN_CACHE_DIR", str(cache))
        yield mp


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def commit_all(path: Path, message: str = "commit") -> None:
    git(path, "add", "-A")
    git(path, "commit", "-q", "--no-verify", "-m", message)


def copy_template(dest: Path) -> Path:
    """templates/go-service copied to dest (without Python caches)."""
    shutil.copytree(TEMPLATE, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def init_tagged(path: Path, tag: str = "v1.0.0", message: str = "v1") -> Path:
    """path as a new git repository: everything in one commit on main, tagged."""
    git(path, "init", "-q", "-b", "main")
    commit_all(path, message)
    git(path, "tag", tag)
    return path


def run(*args: str) -> tuple[int, str, str]:
    """The svcgen CLI, in-process: (exit code, stdout, stderr)."""
    from typer.testing import CliRunner

    from svcgen.app import app

    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str) -> tuple[int, dict[str, Any]]:
    """The CLI with --json: (exit code, the parsed report)."""
    code, out, err = run(*args, "--json")
    try:
        return code, json.loads(out)
    except json.JSONDecodeError:
        raise AssertionError(f"not JSON (exit {code}):\n{out}\n{err}") from None


def tree_files(path: Path) -> dict[str, bytes]:
    """Every file of the work tree by content (.git left out: `git status` may
    refresh the index's stat data)."""
    return {
        p.relative_to(path).as_posix(): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(path).parts
    }


def snapshot(path: Path) -> dict[str, object]:
    """Every file of the work tree by content, plus HEAD and git status."""
    return {
        "files": tree_files(path),
        "head": git(path, "rev-parse", "HEAD"),
        "status": git(path, "status", "--porcelain", "--untracked-files=all"),
    }


def answers(path: Path) -> dict[str, Any]:
    """The service's .copier-answers.yml."""
    import yaml

    data = yaml.safe_load((path / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data
