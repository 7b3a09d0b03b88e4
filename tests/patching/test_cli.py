"""The command line: every exit code, every usage error, output modes, safe writes."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from .conftest import CONFIG, report

FLIP = "--set=middleware.ratelimit.fail_closed=true"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "svc" / "configs" / "config-production.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(CONFIG.format(name="orders"), encoding="utf-8")
    return path


def test_exit_0_applied_then_unchanged(cli: Callable[..., Result], config: Path) -> None:
    first = cli(FLIP, str(config))
    assert first.exit_code == 0, first.output
    assert "changed" in first.stdout
    assert b"    fail_closed: true\n  # auth runs after" in config.read_bytes()
    second = cli(FLIP, str(config), "--json")
    assert second.exit_code == 0
    assert report(second)["items"][0]["status"] == "unchanged"


def test_exit_1_check_pending_writes_nothing(cli: Callable[..., Result], config: Path) -> None:
    before = config.read_bytes()
    result = cli(FLIP, "--check", str(config))
    assert result.exit_code == 1
    assert "pending" in result.stderr
    assert config.read_bytes() == before


def test_dry_run_prints_a_diff_and_writes_nothing(cli: Callable[..., Result], config: Path) -> None:
    before = config.read_bytes()
    result = cli(FLIP, "--dry-run", str(config))
    assert result.exit_code == 0
    assert "+    fail_closed: true" in result.stdout
    assert "@@" in result.stdout
    assert config.read_bytes() == before


def test_json_is_the_only_stdout(cli: Callable[..., Result], config: Path) -> None:
    result = cli(FLIP, "--dry-run", "--json", str(config))
    data = report(result)
    (entry,) = data["items"]
    assert entry["status"] == "would change"
    assert entry["path"] == str(config)
    assert "+    fail_closed: true" in entry["diff"]
    assert data["dry_run"] is True
    assert data["summary"]["written"] is False


def test_directory_and_glob_targets(
    cli: Callable[..., Result], config: Path, tmp_path: Path
) -> None:
    other = tmp_path / "deep" / "a" / "b" / "x.yaml"
    other.parent.mkdir(parents=True)
    other.write_text("middleware:\n  ratelimit: {}\n", encoding="utf-8")
    result = cli(FLIP, "--json", str(tmp_path / "svc"), str(tmp_path / "deep" / "**" / "*.yaml"))
    assert result.exit_code == 0, result.output
    assert [f["path"] for f in report(result)["items"]] == [str(config), str(other)]
    assert other.read_text() == "middleware:\n  ratelimit: {fail_closed: true}\n"


def test_file_mode_is_kept_and_no_temp_files_remain(
    cli: Callable[..., Result], config: Path
) -> None:
    os.chmod(config, 0o640)
    assert cli(FLIP, str(config)).exit_code == 0
    assert config.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in config.parent.iterdir()) == [config.name]


def test_symlinked_config_is_written_through(
    cli: Callable[..., Result], config: Path, tmp_path: Path
) -> None:
    link = tmp_path / "link.yaml"
    link.symlink_to(config)
    assert cli(FLIP, str(link)).exit_code == 0
    assert link.is_symlink()
    assert b"fail_closed: true" in config.read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "a..b=1"], "empty key"),
        (["--set", "a.b"], "has no '=VALUE'"),
        (["--set", "a=b: c"], "scalar or a flow value"),
        (["--set", "a=[1, 2"], "invalid YAML"),
        (["--unset", 'a."b'], "unterminated"),
        ([], "nothing to do"),
        (["--jobs", "-1", FLIP], "--jobs"),
    ],
)
def test_exit_2_usage_errors(
    cli: Callable[..., Result], config: Path, args: list[str], message: str
) -> None:
    before = config.read_bytes()
    result = cli(*args, str(config))
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert config.read_bytes() == before


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        (["nope.yaml"], "no such file"),
        (["*.nothing"], "matches no file"),
        ([], "no files to patch"),
    ],
)
def test_exit_2_bad_targets(
    cli: Callable[..., Result], tmp_path: Path, targets: list[str], message: str
) -> None:
    os.chdir(tmp_path)
    result = cli(FLIP, *targets)
    assert result.exit_code == 2
    assert message in result.stderr


def test_exit_2_directory_without_configs(cli: Callable[..., Result], tmp_path: Path) -> None:
    result = cli(FLIP, str(tmp_path))
    assert result.exit_code == 2
    assert "configs/*.yaml" in result.stderr


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ("- set: a.b\n", "needs 'value'"),
        ("- frobnicate: a\n  value: 1\n", "exactly one of"),
        ("- op: add\n  path: a/b\n  value: 1\n", "JSON Pointers"),
        ("- op: jump\n  path: /a\n", "unknown RFC 6902 op"),
        ("- merge: a\n  value: [1]\n", "needs a mapping"),
        ("- test: a\n  value: 1\n  on_fail: maybe\n", "on_fail"),
        ("- set: a\n  value: 1\n  colour: red\n", "unknown field 'colour'"),
        ("a: 1\n", "non-empty list"),
        ("- [unclosed\n", "invalid YAML"),
    ],
)
def test_exit_2_bad_patch_file_names_its_line(
    cli: Callable[..., Result], config: Path, tmp_path: Path, patch: str, message: str
) -> None:
    patch_file = tmp_path / "patch.yaml"
    patch_file.write_text(patch, encoding="utf-8")
    before = config.read_bytes()
    result = cli("--patch-file", str(patch_file), str(config))
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert f"{patch_file}:" in result.stderr
    assert config.read_bytes() == before


def test_exit_2_bad_fleet_file(cli: Callable[..., Result], tmp_path: Path) -> None:
    fleet_file = tmp_path / "fleet.yaml"
    fleet_file.write_text("services:\n  - name: a\n", encoding="utf-8")
    result = cli(FLIP, "--fleet", str(fleet_file))
    assert result.exit_code == 2
    assert f"{fleet_file}:2:5" in result.stderr


def test_exit_2_failed_rfc6902_test_fails_the_run(
    cli: Callable[..., Result], config: Path, tmp_path: Path
) -> None:
    patch_file = tmp_path / "p.json"
    patch_file.write_text(
        '[{"op": "test", "path": "/service/env", "value": "staging"},'
        ' {"op": "replace", "path": "/service/env", "value": "prod"}]',
        encoding="utf-8",
    )
    before = config.read_bytes()
    result = cli("--patch-file", str(patch_file), "--json", str(config))
    assert result.exit_code == 2
    assert "test failed" in report(result)["items"][0]["message"]
    assert config.read_bytes() == before


def test_svcgen_test_with_on_fail_error_fails_the_run(
    cli: Callable[..., Result], config: Path, tmp_path: Path
) -> None:
    patch_file = tmp_path / "p.yaml"
    patch_file.write_text(
        "- test: service.env\n  value: staging\n  on_fail: error\n- set: a\n  value: 1\n",
        encoding="utf-8",
    )
    assert cli("--patch-file", str(patch_file), str(config)).exit_code == 2


def test_exit_3_when_verification_fails(
    cli: Callable[..., Result], config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in the writer (here: 'true' written as 'false') is caught by the
    re-parse, reported as an internal error, and nothing is written."""
    from svcgen.patching import emit

    real = emit.scalar
    monkeypatch.setattr(
        emit, "scalar", lambda v, *a, **k: "false" if v is True else real(v, *a, **k)
    )
    before = config.read_bytes()
    result = cli(FLIP, "--json", str(config))
    assert result.exit_code == 3
    assert "internal error" in report(result)["items"][0]["message"]
    assert config.read_bytes() == before


def test_only_existing_reports_skipped(cli: Callable[..., Result], config: Path) -> None:
    result = cli("--only-existing", "--set", "tracing.enabled=true", "--json", str(config))
    assert result.exit_code == 0
    assert report(result)["items"][0]["status"] == "skipped"


@pytest.mark.parametrize("staged_by_workers", [True, False])
def test_file_changed_during_run_is_not_overwritten(
    config: Path, tmp_path: Path, staged_by_workers: bool
) -> None:
    from svcgen.errors import InputFileError
    from svcgen.patching import runner
    from svcgen.patching.ops import from_cli

    other = tmp_path / "other.yaml"
    other.write_text("a: 1\n", encoding="utf-8")
    ops = from_cli([FLIP[6:], "a=2"], [])
    results = runner.plan([str(other), str(config)], ops, runner.Options(), stage=staged_by_workers)
    assert [r.status for r in results] == ["changed", "changed"]
    config.write_text("edited: by someone else\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="changed while svcgen"):
        if staged_by_workers:
            runner.commit(results)
        else:
            runner.write_all(results)
    assert config.read_text() == "edited: by someone else\n"
    assert other.read_text() == "a: 1\n"
    assert not list(tmp_path.rglob("*.svcgen-tmp"))
