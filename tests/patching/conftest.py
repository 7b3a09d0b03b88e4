from __future__ import annotations

import json
import signal
import sys
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


def run_entry_point(args: list[str]) -> Result:
    """``svcgen ARGS`` through the program's entry point, :func:`svcgen.main.main`
    (which runs a plain patch-config line without Typer), in this process."""
    from svcgen.main import main

    runner = CliRunner()
    # the program does not give back the signal handlers it sets (it exits): do it here
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    with runner.isolation() as (stdout, stderr, output), pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "argv", ["svcgen", *args])
        code: Any = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code or 0
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for signum, handler in saved.items():
                signal.signal(signum, handler)
        return Result(
            runner=runner,
            stdout_bytes=stdout.getvalue(),
            stderr_bytes=stderr.getvalue(),
            output_bytes=output.getvalue(),
            return_value=None,
            exit_code=code,
            exception=None,
        )


@pytest.fixture(params=["entry-point", "typer"])
def cli(request: pytest.FixtureRequest) -> Callable[..., Result]:
    """``svcgen patch-config ARGS``, both through the program's entry point and
    through the Typer app alone: the entry point reads the plain forms itself."""

    def invoke(*args: str) -> Result:
        if request.param == "typer":
            return CliRunner().invoke(app, ["patch-config", *args])
        return run_entry_point(["patch-config", *args])

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
