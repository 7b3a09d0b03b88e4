"""Helpers for the go-service template tests (imported by conftest and the tests)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from service_helpers import go_env

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = ROOT / "templates" / "go-service"
ALL_FEATURES = ["ratelimit", "auth", "tracing", "httpclient", "worker"]
COVERAGE_MIN = 80.0


def run(cmd: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run cmd in cwd; fail the test with its output when it exits non-zero."""
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
    """Render the template with answers (defaults for the rest); return the project."""
    result = copie.copy(
        extra_answers={"service_name": "demo", **answers}, template_dir=TEMPLATE_DIR
    )
    assert result.exception is None, f"render failed: {result.exception!r}"
    assert result.exit_code == 0
    assert result.project_dir is not None
    return Path(result.project_dir)


_TOTAL = re.compile(r"^total:\s+\(statements\)\s+([\d.]+)%\s*$", re.M)


def coverage_total(cover_func_output: str) -> float:
    """The total of `go tool cover -func` output, in percent."""
    m = _TOTAL.search(cover_func_output)
    assert m, f"no total line in:\n{cover_func_output}"
    return float(m.group(1))
