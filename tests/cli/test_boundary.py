"""The CLI boundary, through the real CLI in subprocesses: no traceback ever
reaches the user; bad input is exit 2 in one line; a bug is exit 3 in one
line with the traceback in a log file; Ctrl-C and SIGTERM are exit 130,
``aborted``, and ``svcgen new`` leaves the destination as it was."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from .conftest import Run, env, svcgen_argv


def tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(
    ("value", "features"),
    [
        ("ratelimit,auth", ["ratelimit", "auth"]),
        ("[ratelimit, auth]", ["ratelimit", "auth"]),
        ("auth", ["auth"]),
        ("", []),
    ],
)
def test_multiselect_forms_people_type(
    cli: Callable[..., Run], tmp_path: Path, value: str, features: list[str]
) -> None:
    r = cli("new", "foo", "--dest", tmp_path, "--defaults", "--data", f"features={value}")
    assert r.code == 0, r.err
    answers = yaml.safe_load((tmp_path / "foo" / ".copier-answers.yml").read_text())
    assert answers["features"] == features
    has_auth = (tmp_path / "foo" / "internal" / "platform" / "auth").is_dir()
    assert has_auth == ("auth" in features)


def test_unknown_multiselect_choice_exit_2_lists_choices(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    r = cli("new", "foo", "--dest", tmp_path, "--defaults", "--data", "features=cache")
    assert r.code == 2
    line = one_line(r.err)
    assert "features" in line and "'cache'" in line
    assert "ratelimit, auth, tracing, httpclient, worker" in line
    assert tree(tmp_path) == []


@pytest.mark.parametrize(
    "module",
    ["Foo/bar", "example.com//x", "example.com/a b", "/abs/path", "nodot/x", "example.com/.x"],
)
def test_invalid_module_path_exit_2_nothing_written(
    cli: Callable[..., Run], tmp_path: Path, module: str
) -> None:
    r = cli("new", "foo", "--dest", tmp_path, "--defaults", "--data", f"module_path={module}")
    assert r.code == 2
    assert "module_path" in one_line(r.err)
    assert tree(tmp_path) == []


def test_unwritable_dest_exit_2(cli: Callable[..., Run]) -> None:
    r = cli("new", "foo", "--dest", "/proc", "--defaults")
    assert r.code == 2
    line = one_line(r.err)
    assert "/proc" in line and "--dest" in line


def test_template_without_copier_yml_exit_2(cli: Callable[..., Run], tmp_path: Path) -> None:
    empty = tmp_path / "tpl"
    empty.mkdir()
    r = cli("new", "foo", "--dest", tmp_path / "out", "--defaults", "--template", empty)
    assert r.code == 2
    assert "copier.yml" in one_line(r.err)
    assert not (tmp_path / "out").exists()


def test_non_git_template_renders_with_a_warning(cli: Callable[..., Run], tmp_path: Path) -> None:
    import shutil

    tpl = tmp_path / "tpl"
    shutil.copytree(Path(__file__).resolve().parents[2] / "templates" / "go-service", tpl)
    r = cli("new", "foo", "--dest", tmp_path / "out", "--defaults", "--template", tpl)
    assert r.code == 0, r.err
    warnings = [line for line in r.err.splitlines() if line.startswith("warning:")]
    assert any("not be updatable" in w for w in warnings), r.err
    assert (tmp_path / "out" / "foo" / "go.mod").is_file()


def test_no_terminal_for_questions_exit_2(cli: Callable[..., Run], tmp_path: Path) -> None:
    r = cli("new", "foo", "--dest", tmp_path)  # no --defaults, and stdin is not a terminal
    assert r.code == 2
    assert "--defaults" in one_line(r.err)
    assert tree(tmp_path) == []


CRASH = """
import sys
import svcgen.render
def boom(opts):
    raise RuntimeError("boom: the core failed")
svcgen.render.new_service = boom
from svcgen.app import main
sys.argv = ["svcgen", "new", "foo", "--defaults", "--dest", sys.argv[1]]
main()
"""


def test_any_other_exception_is_exit_3_with_a_log(tmp_path: Path, cache: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CRASH, str(tmp_path)],
        env=env(cache),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 3
    line = one_line(proc.stderr)
    m = re.fullmatch(
        r"internal error: RuntimeError: boom: the core failed \(details in (?P<log>.+)\)", line
    )
    assert m, line
    log = Path(m["log"])
    assert log.is_relative_to(cache / "svcgen")
    text = log.read_text()
    assert "Traceback (most recent call last)" in text
    assert "RuntimeError: boom: the core failed" in text


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for_files(path: Path, proc: subprocess.Popen[str], at_least: int) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        n = sum(1 for p in path.rglob("*") if p.is_file()) if path.exists() else 0
        if n >= at_least:
            return n
        time.sleep(0.005)
    raise AssertionError(f"svcgen new ended (exit {proc.poll()}) before writing {at_least} files")


@pytest.mark.parametrize(
    ("sig", "pre_existing"),
    [(signal.SIGINT, False), (signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["sigint-new-dir", "sigint-empty-dir", "sigterm-new-dir"],
)
def test_interrupt_partway_leaves_destination_as_before(
    tmp_path: Path, cache: Path, sig: signal.Signals, pre_existing: bool
) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    target = dest / "orders"
    if pre_existing:
        target.mkdir()
    proc = subprocess.Popen(
        svcgen_argv("new", "orders", "--dest", str(dest), "--defaults"),
        env=env(cache),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # as from a terminal: a shell starts background jobs (this suite, when
        # run with `&`) with SIGINT ignored, and a child inherits that
        preexec_fn=_default_sigint,  # noqa: PLW1509 (only a signal() call before exec)
    )
    try:
        written = _wait_for_files(target, proc, at_least=5)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert written >= 5
    assert proc.returncode == 130, err
    assert err.strip() == "aborted"
    assert out == ""
    if pre_existing:
        assert target.is_dir() and tree(target) == []
    else:
        assert not target.exists()
    assert tree(dest) == ([] if not pre_existing else ["orders"])


def test_ctrl_c_at_a_prompt_is_one_line(tmp_path: Path, cache: Path) -> None:
    """In a terminal, Ctrl-C at copier's first question: `aborted`, exit 130,
    none of copier's internals, nothing written."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # child: the real CLI on a terminal
        os.chdir(tmp_path)
        os.execve(sys.executable, svcgen_argv("new", "orders"), env(cache, TERM="xterm"))
    seen = b""
    deadline = time.monotonic() + 120
    status = None
    try:
        while b"?" not in seen and time.monotonic() < deadline:
            seen += _read(fd) or b""
        assert b"?" in seen, seen
        # The question is on the screen; wait until the prompt has drawn
        # itself (no output for 0.5 s), as a person would, then press Ctrl-C.
        while (chunk := _read(fd, 0.5)) and time.monotonic() < deadline:
            seen += chunk
        os.write(fd, b"\x03")
        while time.monotonic() < deadline:
            chunk = _read(fd)
            if chunk is None:  # the child closed the terminal
                break
            seen += chunk
    finally:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == 0:  # still running after the deadline: fail, never hang
            time.sleep(5)
            done, status = os.waitpid(pid, os.WNOHANG)
            if done == 0:
                os.kill(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 130, seen
    assert b"aborted" in seen, seen
    assert b"AnswersMap" not in seen and b"Traceback" not in seen
    assert not (tmp_path / "orders").exists()


def _read(fd: int, wait: float = 1.0) -> bytes | None:
    """What the terminal shows next (b"" for nothing yet); None once it is closed."""
    import select

    ready, _, _ = select.select([fd], [], [], wait)
    if not ready:
        return b""
    try:
        return os.read(fd, 4096) or None
    except OSError:  # EIO: the child closed the terminal
        return None


def test_json_input_error_is_still_a_report(cli: Callable[..., Run], tmp_path: Path) -> None:
    r = cli("check", "--json", "--fleet", tmp_path / "missing.yaml")
    assert r.code == 2
    doc = r.json()
    assert doc["command"] == "check"
    assert doc["items"] == []
    (error,) = doc["errors"]
    assert "missing.yaml" in error["message"]
    assert "missing.yaml" in one_line(r.err)
