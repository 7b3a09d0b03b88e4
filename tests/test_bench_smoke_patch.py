"""Smoke test: the patch-config bench runs at tiny size and produces its figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_patch_config.py"


def test_bench_patch_config_quick(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    figures = json.loads(out.read_text())
    assert [row["files"] for row in figures["rows"]] == [3, 10]
    for row in figures["rows"]:
        for key in ("naive_s", "svcgen_s", "svcgen_jobs1_s", "speedup", "speedup_jobs1"):
            assert row[key] > 0, key
    assert figures["svcgen_help_startup_s"] > 0
    assert "| files |" in proc.stdout
