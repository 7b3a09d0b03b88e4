"""The entry point reads plain patch-config command lines without Typer
(svcgen.commands.patch_inplace.parse). Whatever it accepts, it must read as
Typer reads it; whatever else it sees, it must leave to Typer."""

from __future__ import annotations

import functools
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import svcgen.app  # noqa: F401  (installs svcgen's parameter handling into Typer)
from svcgen.commands import campaign_options, patch_config, patch_inplace

CLI = Path(__file__).resolve().parents[2] / "cli"

#: words a command line is made of: the forms the fast path reads, and the ones
#: it must leave to Typer (help, campaign flags, short options, --, prefixes,
#: option-like values, empty values, flags given a value)
WORDS = [
    "--set", "--set=a.b=1", "a.b=2", "--set=", "--unset", "--unset=x.y", "x.y",
    "--check", "--dry-run", "--json", "--only-existing", "--strict-paths",
    "--jobs", "--jobs=4", "2", "007", "-1", "--jobs=x", "-j", "-j3",
    "--fleet", "--fleet=f.yaml", "--patch-file", "--patch-file=p.yaml", "--fleet=",
    "file.yaml", "dir/", "a b.yaml", "", "-", "--", "-h", "--help", "--json=1",
    "--branch", "b", "--push", "--push=up", "--remote", "--se", "--sets", "-x",
    "--unset=-a", "--set=--json", "--check=yes",
]  # fmt: skip

LOCAL = set(patch_inplace.defaults())


def typer_reads(args: list[str]) -> dict[str, Any] | None:
    """The values Typer gives patch-config's command for ``args``, or None if
    Typer refuses the command line."""
    seen: dict[str, Any] = {}

    @functools.wraps(patch_config.command.__wrapped__)  # type: ignore[attr-defined]
    def record(**kwargs: Any) -> None:
        seen.update(kwargs)

    app = typer.Typer()
    app.command(cls=campaign_options.Command)(record)
    result = CliRunner().invoke(app, args)
    if result.exit_code != 0 or not seen:
        return None
    return seen


def assert_same(args: list[str]) -> bool:
    """Assert both parsers agree on ``args``; True if the fast path read it."""
    fast = patch_inplace.parse(args)
    if fast is None:
        return False
    slow = typer_reads(args)
    assert slow is not None, f"the fast path took {args!r}, which Typer refuses"
    assert {k: v for k, v in slow.items() if k in LOCAL} == fast, args
    defaults = typer_reads(["x"])
    assert defaults is not None
    campaign = {k: v for k, v in slow.items() if k not in LOCAL}
    assert campaign == {k: v for k, v in defaults.items() if k not in LOCAL}, args
    return True


@pytest.mark.parametrize(
    "args",
    [
        ["--set", "a.b=1", "f.yaml"],
        ["--set=a.b=1", "--set", "c=[1, 2]", "f.yaml", "g.yaml"],
        ["f.yaml", "--unset", "a.b", "--json", "--check"],
        ["--set=a=1", "--jobs", "1", "--dry-run", "--strict-paths", "--only-existing", "x"],
        ["--set", "a=1", "--fleet", "fleet.yaml"],
        ["--patch-file", "p.yaml", "--jobs=2", "services/*/configs/*.yaml"],
        ["--set", "a= spaced value ", "a b.yaml"],
        ["--set", "a=1"],
        [],
    ],
)
def test_plain_forms_are_read_as_typer_reads_them(args: list[str]) -> None:
    assert assert_same(args)


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["-h", "--set", "a=1", "f"],
        ["--set", "a=1", "--branch", "b", "f"],
        ["--set", "a=1", "--push", "f"],
        ["--set", "a=1", "-j", "2", "f"],
        ["--set", "a=1", "--", "-f.yaml"],
        ["--set", "--json", "f"],
        ["--se", "a=1", "f"],
        ["--jobs", "-1", "--set", "a=1", "f"],
        ["--json=1", "--set", "a=1", "f"],
        ["--set"],
        ["--set", "a=1", "-"],
    ],
)
def test_everything_else_is_left_to_typer(args: list[str]) -> None:
    assert patch_inplace.parse(args) is None


def test_random_command_lines_are_read_alike() -> None:
    rng = random.Random(20261201)
    taken = 0
    tries = 1500
    for _ in range(tries):
        args = [rng.choice(WORDS) for _ in range(rng.randint(0, 6))]
        taken += assert_same(args)
    # the comparison means something only if the fast path takes a good share
    assert taken > tries // 10, taken


def test_a_plain_run_does_not_import_typer(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("a: 1\n", encoding="utf-8")
    probe = (
        "import sys; from svcgen.main import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        "print('typer' in sys.modules, 'click' in sys.modules, code, file=sys.stderr)\n"
    )
    plain = [sys.executable, "-c", probe, "patch-config", "--set", "a=2", str(config)]
    out = subprocess.run(
        plain, capture_output=True, text=True, env={"PYTHONPATH": str(CLI)}, check=False
    )
    assert out.stderr.splitlines()[-1] == "False False 0", out.stderr
    assert config.read_text(encoding="utf-8") == "a: 2\n"
    helped = [sys.executable, "-c", probe, "patch-config", "--help"]
    out = subprocess.run(
        helped, capture_output=True, text=True, env={"PYTHONPATH": str(CLI)}, check=False
    )
    assert "Usage:" in out.stdout and out.stderr.splitlines()[-1] == "True False 0", out.stderr


CRASH = """
import sys
import svcgen.patching.runner
def boom(*args, **kwargs):
    raise RuntimeError("boom: the core failed")
svcgen.patching.runner.run = boom
from svcgen.main import main
sys.argv = ["svcgen", "patch-config", "--set", "a=2", sys.argv[1]]
main()
"""


def test_a_bug_on_the_fast_path_is_exit_3_with_a_log(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("a: 1\n", encoding="utf-8")
    env = {"PYTHONPATH": str(CLI), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = subprocess.run(
        [sys.executable, "-c", CRASH, str(config)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 3, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("internal error: RuntimeError: boom: the core failed (details in ")
    logs = list((tmp_path / "cache" / "svcgen" / "logs").glob("crash-*.log"))
    assert len(logs) == 1 and "Traceback" in logs[0].read_text(encoding="utf-8")
    assert config.read_text(encoding="utf-8") == "a: 1\n"
