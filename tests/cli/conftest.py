"""Fixtures for driving the real svcgen CLI in subprocesses: no stdin, stdout a
pipe (unless a test gives it a terminal), a private cache directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "json-output.schema.json").read_text(encoding="utf-8"))
GIT_ID = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.out)
        except json.JSONDecodeError:
            raise AssertionError(f"not JSON (exit {self.code}):\n{self.out}\n{self.err}") from None
        validate(data)
        return data


def validate(doc: dict[str, Any]) -> None:
    """Check ``doc`` against docs/json-output.schema.json, and the rules a
    schema cannot say (diff on every item or none; summary counts add up)."""
    import jsonschema

    jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
    with_diff = {"diff" in item for item in doc["items"]}
    assert len(with_diff) <= 1, "diff must be on every item of a run, or on none"
    extras = ("total", "with_created_keys", "written")  # not status counts
    counts = sum(v for k, v in doc["summary"].items() if k not in extras)
    assert doc["summary"]["total"] == len(doc["items"]) == counts


def env(cache: Path, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    base.update(GIT_ID)
    base.update(
        PYTHONPATH=str(ROOT / "cli"),
        XDG_CACHE_HOME=str(cache),
        NO_COLOR="1",
        COLUMNS="60",
        PYTHONWARNINGS="ignore",
    )
    base.pop("FORCE_COLOR", None)
    base.update(extra)
    return base


def svcgen_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "svcgen", *args]


@pytest.fixture(scope="session")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One user cache directory for the session (svcgen keeps the bundled
    template's history there), outside every test's tmp_path."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def cli(cache: Path) -> Callable[..., Run]:
    """Run ``svcgen ARGS`` in a subprocess with no stdin and stdout a pipe."""

    def run(*args: str | Path, cwd: Path | None = None, **extra_env: str) -> Run:
        proc = subprocess.run(
            svcgen_argv(*map(str, args)),
            cwd=cwd,
            env=env(cache, **extra_env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        return Run(proc.returncode, proc.stdout, proc.stderr)

    return run


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ID},
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One service rendered by the real CLI from the bundled template,
    committed in its own git repository (copy it before changing it)."""
    root = tmp_path_factory.mktemp("rendered")
    proc = subprocess.run(
        svcgen_argv("new", "orders", "--dest", str(root), "--defaults"),
        env=env(root / "cache"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    svc = root / "orders"
    git(svc, "init", "-q", "-b", "main")
    git(svc, "add", "-A")
    git(svc, "commit", "-qm", "render")
    return svc


def copy_service(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)
    return dest
