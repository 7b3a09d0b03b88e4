"""Helpers of the svcgen audit tests: the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SARIF_SCHEMA = Path(__file__).resolve().parent / "sarif-schema-2.1.0.json"
CHECK_IDS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and not p.name.startswith("_"))
WANT = re.compile(r"(?://|#)\s*want\s+([A-Z0-9]+)")


def env(**extra: str) -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT / "cli") + os.pathsep + e.get("PYTHONPATH", "")
    e.pop("GOWORK", None)
    e.update(extra)
    return e


def svcgen(
    *args: str | Path, cwd: Path | None = None, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "svcgen", *map(str, args)],
        cwd=cwd or ROOT,
        env=env(**(extra_env or {})),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def audit_json(*args: str | Path, **kw: Any) -> tuple[int, dict[str, Any], str]:
    proc = svcgen("audit", "--json", *args, **kw)
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(
            f"not JSON (rc {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        ) from exc
    return proc.returncode, doc, proc.stderr


def markers(module: Path, check_id: str) -> set[tuple[str, int]]:
    """(file, line) of every `want CHECK` comment in a fixture module."""
    out = set()
    for path in sorted(module.rglob("*")):
        if not path.is_file() or path.suffix not in (".go", ".yaml", ".yml"):
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = WANT.search(line)
            if m and m.group(1) == check_id:
                out.add((path.relative_to(module).as_posix(), n))
    return out
