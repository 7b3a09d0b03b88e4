"""Output for people, pipes and scripts, through the real CLI: TSV rows when
stdout is a pipe, an unfolded table on a narrow terminal, per-item error lines
on stderr, one summary line, conditional wording, a closed stdout, progress,
and commands that find their service from a folder inside it."""

from __future__ import annotations

import os
import select
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .conftest import Run, copy_service, env, git, svcgen_argv

FLIP = ("--set", "middleware.ratelimit.fail_closed=true")


def in_terminal(args: list[str], cache: Path, cwd: Path, **extra: str) -> tuple[int, str]:
    """Run svcgen on a pseudo-terminal (stdout and stderr); (exit code, screen text)."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(cwd)
        os.execve(sys.executable, svcgen_argv(*args), env(cache, TERM="xterm", **extra))
    seen = b""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                break
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")


def test_check_piped_prints_tsv_rows_and_one_summary_line(
    cli: Callable[..., Run], rendered: Path, tmp_path: Path
) -> None:
    a = copy_service(rendered, tmp_path / "svc-a")
    b = copy_service(rendered, tmp_path / "svc-b")
    r = cli("check", a, b)
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[0] == "service\tstatus\tcurrent\tnewest\tdetails"
    assert [line.split("\t")[:2] for line in lines[1:]] == [
        ["svc-a", "up to date"],
        ["svc-b", "up to date"],
    ]
    assert all(len(line.split("\t")) == 5 for line in lines)
    assert r.err.strip().splitlines()[-1] == "2 services: 2 up to date"


def test_check_runs_from_a_folder_inside_the_service(
    cli: Callable[..., Run], rendered: Path, tmp_path: Path
) -> None:
    svc = copy_service(rendered, tmp_path / "svc")
    r = cli("check", cwd=svc / "internal" / "platform" / "middleware")
    assert r.code == 0, r.err
    assert r.out.splitlines()[1].startswith("svc\tup to date\t")
    r = cli("check", "internal", cwd=svc)
    assert r.code == 0, r.err
    assert r.out.splitlines()[1].startswith("svc\tup to date\t")


def test_the_walk_up_stops_at_the_git_root(
    cli: Callable[..., Run], rendered: Path, tmp_path: Path
) -> None:
    svc = copy_service(rendered, tmp_path / "svc")
    inner = svc / "vendor" / "other"
    inner.mkdir(parents=True)
    git(inner, "init", "-q")
    r = cli("check", "--json", cwd=inner / ".")
    assert r.code == 2
    (item,) = r.json()["items"]
    assert item["name"] == "other"
    assert ".copier-answers.yml" in item["message"]


def test_per_service_errors_go_to_stderr_one_line_each(
    cli: Callable[..., Run], rendered: Path, tmp_path: Path
) -> None:
    svc = copy_service(rendered, tmp_path / "svc")
    plain = tmp_path / "plain"
    plain.mkdir()
    r = cli("check", svc, plain)
    assert r.code == 2
    errors = [line for line in r.err.splitlines() if line.startswith("plain: ")]
    assert len(errors) == 1 and ".copier-answers.yml" in errors[0], r.err
    assert r.err.strip().splitlines()[-1] == "2 services: 1 up to date, 1 error"


def test_table_on_a_narrow_terminal_never_folds_a_path(
    rendered: Path, tmp_path: Path, cache: Path
) -> None:
    deep = tmp_path / "a-rather-long-folder-name" / "and-another-one-below-it"
    deep.mkdir(parents=True)
    svc = copy_service(rendered, deep / "svc-with-a-long-name")
    plain = deep / "not-a-service-but-a-folder"
    plain.mkdir()
    code, screen = in_terminal(["check", str(svc), str(plain)], cache, tmp_path, COLUMNS="60")
    assert code == 2, screen
    assert str(plain) in screen.replace("\r\n", "\n")  # the error message names the path whole
    assert "svc-with-a-long-name" in screen
    assert "\x1b[3" not in screen and "\x1b[1;3" not in screen  # NO_COLOR: no colours
    header = next(line for line in screen.splitlines() if line.startswith("service"))
    assert header.split() == ["service", "status", "current", "newest", "details"]


def test_patch_config_check_and_dry_run_together(cli: Callable[..., Run], tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text("middleware:\n  ratelimit:\n    rps: 10\n", encoding="utf-8")
    before = cfg.read_bytes()
    r = cli("patch-config", *FLIP, "--check", "--dry-run", cfg)
    assert r.code == 1, r.err
    assert "+    fail_closed: true" in r.out
    assert f"{cfg}\tneeds change\t" in r.out
    assert cfg.read_bytes() == before
    doc = cli("patch-config", *FLIP, "--check", "--dry-run", "--json", cfg).json()
    assert doc["dry_run"] is True
    assert doc["items"][0]["status"] == "needs change"
    assert "+    fail_closed: true" in doc["items"][0]["diff"]


def test_patch_config_real_run_summary_and_error_lines(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    files = []
    for i in range(3):
        f = tmp_path / f"c{i}.yaml"
        f.write_text("middleware:\n  ratelimit:\n    rps: 10\n", encoding="utf-8")
        files.append(f)
    r = cli("patch-config", *FLIP, *files)
    assert r.code == 0, r.err
    assert r.err.strip().splitlines()[-1] == "3 files: 3 changed"
    assert [line.split("\t")[1] for line in r.out.splitlines()[1:]] == ["changed"] * 3

    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1\nb: 2\n", encoding="utf-8")
    r = cli("patch-config", "--set", "a=2", bad, files[0])
    assert r.code == 2
    located = [line for line in r.err.splitlines() if line.startswith(f"{bad}:2:")]
    assert len(located) == 1 and "invalid YAML" in located[0], r.err
    assert f"{files[0]}\twould change\t" in r.out  # nothing was written


def test_dry_run_speaks_in_the_conditional(cli: Callable[..., Run], tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text("a: 1\n", encoding="utf-8")
    r = cli("patch-config", "--set", "a=2", "--dry-run", cfg)
    assert r.code == 0
    assert f"{cfg}\twould change\t" in r.out
    assert "dry run: nothing written" in r.err
    assert cfg.read_text() == "a: 1\n"


def test_closed_stdout_is_not_an_error(tmp_path: Path, cache: Path) -> None:
    import subprocess

    files = []
    for i in range(300):
        f = tmp_path / f"c{i:03d}.yaml"
        f.write_text("middleware:\n  ratelimit:\n    rps: 10\n", encoding="utf-8")
        files.append(str(f))
    proc = subprocess.Popen(
        svcgen_argv("patch-config", *FLIP, "--dry-run", "-j", "1", *files),
        env=env(cache),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read().decode()
    proc.wait(timeout=300)
    assert first.startswith(b"--- ")
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Broken pipe" not in err and "Exception" not in err


def test_progress_counts_services_and_says_dry_run(
    rendered: Path, tmp_path: Path, cache: Path
) -> None:
    names = [f"svc-{i:02d}" for i in range(4)]
    for name in names:
        copy_service(rendered, tmp_path / name)
    code, screen = in_terminal(["update", "--dry-run", "-j", "1", *names], cache, tmp_path)
    assert code == 0, screen
    assert "[1/4] svc-00 (dry run)" in screen
    assert "[2/4] svc-01 (dry run)\x1b" in screen or "[2/4] svc-01 (dry run)\r" in screen
    assert "[3/4] svc-02 (dry run) ~" in screen  # an ETA once 3 are done, not before
    assert "4 services: 4 up to date (dry run: nothing written)" in screen


def _check_fleet(rendered: Path, root: Path) -> list[str]:
    """Six services: four up to date, one with committed conflict markers, one
    without an answers file (an error)."""
    names = [f"svc-{i:02d}" for i in range(6)]
    for name in names:
        copy_service(rendered, root / name)
    routes = root / "svc-02" / "README.md"
    routes.write_text("<<<<<<< before updating\nold\n=======\nnew\n>>>>>>> after updating\n")
    git(root / "svc-02", "commit", "-qam", "a conflict left in")
    (root / "svc-04" / ".copier-answers.yml").unlink()
    git(root / "svc-04", "commit", "-qam", "no answers")
    return names


def test_check_jobs_gives_the_same_rows_as_serial(
    cli: Callable[..., Run], rendered: Path, tmp_path: Path
) -> None:
    names = _check_fleet(rendered, tmp_path)
    serial = cli("check", "--jobs", "1", *names, cwd=tmp_path)
    parallel = cli("check", *names, cwd=tmp_path)  # default: one per CPU
    two = cli("check", "-j", "2", *names, cwd=tmp_path)
    assert serial.code == parallel.code == two.code == 2, serial.err
    statuses = [line.split("\t")[:2] for line in serial.out.splitlines()[1:]]
    assert statuses == [
        ["svc-00", "up to date"],
        ["svc-01", "up to date"],
        ["svc-02", "unresolved conflicts"],
        ["svc-03", "up to date"],
        ["svc-04", "error"],
        ["svc-05", "up to date"],
    ]
    assert parallel.out == serial.out == two.out
    assert parallel.err.strip().splitlines()[-1] == serial.err.strip().splitlines()[-1]
    bad = cli("check", "--jobs", "-1", *names, cwd=tmp_path)
    assert bad.code == 2 and "--jobs -1" in bad.err


def test_check_progress_counts_services(rendered: Path, tmp_path: Path, cache: Path) -> None:
    names = _check_fleet(rendered, tmp_path)
    code, screen = in_terminal(["check", "-j", "2", *names], cache, tmp_path)
    assert code == 2, screen
    import re

    shown = re.findall(r"\[(\d)/6\] (svc-0\d)([^\r\x1b]*)", screen)
    assert [n for n, _, _ in shown] == ["1", "2", "3", "4", "5", "6"], screen
    assert sorted(name for _, name, _ in shown) == names
    assert all("~" not in rest for n, _, rest in shown if n in "12")  # no ETA before 3 done
    assert "~" in shown[2][2]
    assert "dry run" not in screen
    code, screen = in_terminal(["check", "-j", "1", *names], cache, tmp_path)
    assert "[1/6] svc-00" in screen and "[5/6] svc-04" in screen
