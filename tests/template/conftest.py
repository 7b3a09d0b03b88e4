"""Fixtures for the go-service template tests: render once, run the Go toolchain."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = ROOT / "templates" / "go-service"
GOLANGCI_LINT_FALLBACK = Path("/root/go/bin/golangci-lint")


def go_env() -> dict[str, str]:
    """The environment for go commands: go.sum must be complete, never tidied."""
    env = dict(os.environ)
    env["GOFLAGS"] = "-mod=readonly"
    env.pop("GOWORK", None)
    return env


def run(cmd: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run cmd in cwd and fail the test, with its output, when it exits non-zero."""
    proc = subprocess.run(
        cmd, cwd=cwd, env=go_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(cmd)} exited {proc.returncode} in {cwd}\n"
            f"--- stdout ---\n{proc.stdout[-20000:]}\n--- stderr ---\n{proc.stderr[-20000:]}"
        )
    return proc


def render(copie: Any, **answers: Any) -> Path:
    """Render the template with answers (defaults for the rest) and return the project."""
    result = copie.copy(extra_answers={"service_name": "demo", **answers}, template_dir=TEMPLATE_DIR)
    assert result.exception is None, f"render failed: {result.exception!r}"
    assert result.exit_code == 0
    assert result.project_dir is not None
    return Path(result.project_dir)


@pytest.fixture(scope="module")
def default_service(copie_session: Any) -> Iterator[Path]:
    """The template rendered once per module with the default answers."""
    yield render(copie_session)


@pytest.fixture(scope="session")
def golangci_lint() -> str:
    """The golangci-lint binary. A missing linter fails the test; it never skips."""
    path = shutil.which("golangci-lint")
    if path is None and GOLANGCI_LINT_FALLBACK.is_file():
        path = str(GOLANGCI_LINT_FALLBACK)
    if path is None:
        pytest.fail(
            "golangci-lint not found on PATH nor at /root/go/bin/golangci-lint: "
            "go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0"
        )
    return path
