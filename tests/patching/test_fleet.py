"""Fleet runs: all-or-nothing across 18 service repositories."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from svcgen.patching import runner

from .conftest import report

FLIP = "--set=middleware.ratelimit.fail_closed=true"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_flip_fail_closed_across_18_services(
    cli: Callable[..., Result],
    fleet: Callable[[int], tuple[Path, list[Path]]],
    jobs: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 18 files stay in one process by default; with "2", use the process pool
    monkeypatch.setattr(runner, "FILES_PER_PROCESS", 4)
    fleet_file, configs = fleet(18)
    os.chmod(configs[3], 0o600)
    before = {c: c.read_bytes() for c in configs}
    result = cli(FLIP, "--fleet", str(fleet_file), "--jobs", jobs, "--json")
    assert result.exit_code == 0, result.output
    assert [f["status"] for f in report(result)["items"]] == ["changed"] * 18
    for c in configs:
        new = c.read_bytes()
        assert new == before[c].replace(
            b"    rps: 100          # per client\n",
            b"    rps: 100          # per client\n    fail_closed: true\n",
        )
    assert os.stat(configs[3]).st_mode & 0o777 == 0o600
    assert not list(configs[0].parent.glob(".*svcgen-tmp"))
    again = cli(FLIP, "--fleet", str(fleet_file), "--jobs", jobs, "--check")
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize(
    "bad",
    [
        "service:\n  name: x\n  name: y\n",  # duplicate key
        "service:\n\tname: x\n",  # tab indentation
        "middleware:\n  ratelimit: on\n",  # a scalar where a mapping is needed
        "middleware: [unclosed\n",  # unparseable
    ],
)
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_one_bad_file_leaves_all_18_untouched(
    cli: Callable[..., Result],
    fleet: Callable[[int], tuple[Path, list[Path]]],
    bad: str,
    jobs: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runner, "FILES_PER_PROCESS", 4)
    fleet_file, configs = fleet(18)
    configs[11].write_text(bad, encoding="utf-8")
    before = {c: (c.read_bytes(), c.stat().st_mtime_ns) for c in configs}
    result = cli(FLIP, "--fleet", str(fleet_file), "--jobs", jobs, "--json")
    assert result.exit_code == 2, result.output
    statuses = [f["status"] for f in report(result)["items"]]
    assert statuses[11] == "error"
    assert statuses.count("would change") == 17  # nothing was written
    assert report(result)["dry_run"] is False
    assert report(result)["summary"]["written"] is False
    detail = report(result)["items"][11]["message"]
    assert str(configs[11]) + ":" in detail  # file:line:col
    for c in configs:
        assert (c.read_bytes(), c.stat().st_mtime_ns) == before[c]
    assert not list(fleet_file.parent.rglob("*.svcgen-tmp"))


def test_missing_config_in_fleet_is_an_error(
    cli: Callable[..., Result], fleet: Callable[[int], tuple[Path, list[Path]]]
) -> None:
    fleet_file, configs = fleet(18)
    configs[5].unlink()
    result = cli(FLIP, "--fleet", str(fleet_file))
    assert result.exit_code == 2
    assert "svc-05" in result.stderr
    assert all(b"fail_closed" not in c.read_bytes() for c in configs if c.exists())
