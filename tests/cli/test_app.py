"""The top-level CLI: --help, --version, exit-code docs and start-up cost."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from svcgen import __version__
from svcgen.app import app

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"svcgen {__version__}"


def test_help_lists_every_command_and_exit_codes() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("new", "update", "adopt", "check", "patch-config"):
        registered = {c.name for c in app.registered_commands}
        if command in registered:
            assert command in result.stdout
    assert "Exit codes: 0" in result.stdout
    assert "2 bad input" in result.stdout


def test_no_args_shows_help() -> None:
    result = runner.invoke(app, [])
    assert "Usage" in result.stdout + result.stderr


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from svcgen.app import app\n"
        "try:\n"
        "    app(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'copier', 'jinja2', 'ruamel', 'yaml', 'plumbum', 'pydantic'})\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert "HEAVY []" in proc.stderr, proc.stderr


def test_every_command_help_renders() -> None:
    for command in app.registered_commands:
        result = runner.invoke(app, [str(command.name), "--help"])
        assert result.exit_code == 0, (command.name, result.stdout)
        assert "Exit codes" in result.stdout
