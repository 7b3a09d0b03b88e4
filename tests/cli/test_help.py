"""Help conventions, through the real CLI on a 60-column terminal width."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from svcgen.commands import adopt, check, diff, new, patch_config, update

from .conftest import Run

COMMANDS = {
    "new": new.HELP,
    "update": update.HELP,
    "adopt": adopt.HELP,
    "check": check.HELP,
    "patch-config": patch_config.HELP,
    "diff": diff.HELP,
}


def test_top_level_help_shows_each_first_line_uncut(cli: Callable[..., Run]) -> None:
    r = cli("--help")
    assert r.code == 0
    listing = " ".join(r.out.split("Commands:", 1)[1].split())
    for name, text in COMMANDS.items():
        first = text.strip().splitlines()[0]
        assert f"{name} {first}" in listing, (name, first)
    assert "..." not in listing.split("Exit codes")[0]
    assert "--install-completion" in r.out and "--show-completion" in r.out


@pytest.mark.parametrize("name", list(COMMANDS))
def test_command_help(cli: Callable[..., Run], name: str) -> None:
    r = cli(name, "--help")
    assert r.code == 0
    assert "{" not in r.out.splitlines()[0] and "<list" not in r.out and "<Path>" not in r.out
    assert r.out.count("Exit codes") == 1, r.out
    assert "3 internal error (a bug; nothing written)" not in r.out  # the generic block is gone
    examples = [
        line.strip()
        for line in COMMANDS[name].split("Examples:", 1)[1].splitlines()
        if line.strip().startswith("svcgen ")
    ]
    assert examples
    shown = [line.strip() for line in r.out.splitlines()]
    for example in examples:
        assert example in shown, f"example re-wrapped: {example}"


def test_usage_lines_use_metavars(cli: Callable[..., Run]) -> None:
    assert cli("new", "--help").out.startswith("Usage: python -m svcgen new [OPTIONS] NAME\n")
    assert "[OPTIONS] [PATH]...\n" in cli("update", "--help").out
    assert re.search(r"^  PATH\.\.\.\s+Service directories", cli("check", "--help").out, re.M)


def test_version_short_and_long(cli: Callable[..., Run]) -> None:
    long, short = cli("--version"), cli("-V")
    assert long.code == short.code == 0
    assert long.out == short.out and long.out.startswith("svcgen ")


def test_shell_completion_is_on(cache: Path) -> None:
    """`--show-completion` prints the script for the shell svcgen runs under
    (detected from the parent process, as for a user at a prompt)."""
    import shlex
    import subprocess

    from .conftest import env, svcgen_argv

    line = shlex.join(svcgen_argv("--show-completion")) + "; echo rc=$?"
    proc = subprocess.run(
        ["bash", "-c", line], env=env(cache), capture_output=True, text=True, check=False
    )
    assert "rc=0" in proc.stdout, proc.stdout + proc.stderr
    assert "complete" in proc.stdout and "_COMPLETE" in proc.stdout


def test_fleet_format_is_in_the_help_errors_point_at(cli: Callable[..., Run], tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "fleet.yaml"
    bad.write_text("- just a list\n", encoding="utf-8")
    r = cli("patch-config", "--set", "a=1", "--fleet", bad)
    assert r.code == 2
    m = re.search(r"see `svcgen ([a-z-]+) --help` for the format", r.err)
    assert m, r.err
    shown = cli(m[1], "--help").out
    assert "services:" in shown and "config_files:" in shown


def test_fast_top_level_help_is_the_full_apps_help(cli: Callable[..., Run]) -> None:
    """`svcgen --help` skips building the commands' parameters; it must print
    exactly what the full app prints."""
    import subprocess
    import sys

    from .conftest import env

    full = subprocess.run(
        [
            sys.executable,
            "-c",
            "from svcgen.app import app; app(prog_name='python -m svcgen')",
            "--help",
        ],
        env=env(Path("/nonexistent-cache")),
        capture_output=True,
        text=True,
        check=False,
    )
    assert full.returncode == 0, full.stderr
    fast = cli("--help")
    assert fast.code == 0
    assert fast.out == full.stdout
