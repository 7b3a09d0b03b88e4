"""Smoke test: the campaign bench runs at tiny size and produces its figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_campaign.py"


def test_bench_campaign_quick(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    row = json.loads(out.read_text())["row"]
    assert row["repositories"] == 3
    for key in ("in_place_s", "campaign_s", "ratio", "campaign_per_repo_ms"):
        assert row[key] > 0, key
    assert "| repositories |" in proc.stdout
