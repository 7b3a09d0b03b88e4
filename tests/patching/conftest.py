from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from svcgen.app import app

CONFIG = """\
# {name} production config
service:
  name: {name}
  env: production

middleware:
  ratelimit:
    enabled: true
    rps: 100          # per client
  # auth runs after rate limiting
  auth:
    mode: jwt
"""


@pytest.fixture
def cli() -> Callable[..., Result]:
    def invoke(*args: str) -> Result:
        return CliRunner().invoke(app, ["patch-config", *args])

    return invoke


@pytest.fixture
def fleet(tmp_path: Path) -> Callable[[int], tuple[Path, list[Path]]]:
    """``fleet(n)``: n service repos with a production config, and a fleet file."""

    def make(n: int) -> tuple[Path, list[Path]]:
        configs = []
        services = []
        for i in range(n):
            name = f"svc-{i:02d}"
            cfg = tmp_path / "repos" / name / "configs" / "config-production.yaml"
            cfg.parent.mkdir(parents=True)
            cfg.write_text(CONFIG.format(name=name), encoding="utf-8")
            configs.append(cfg)
            services.append(f"  - name: {name}\n    path: repos/{name}\n")
        fleet_file = tmp_path / "fleet.yaml"
        fleet_file.write_text(
            "services:\n"
            + "".join(services)
            + "config_files:\n  - configs/config-production.yaml\n",
            encoding="utf-8",
        )
        return fleet_file, configs

    return make


def report(result: Result) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result.stdout)
    return data
