"""The write phase on real file systems: preflight, identity, in-place writes,
rollback and signals. Some cases need root (CI runs as root) and skip with the
reason elsewhere."""

from __future__ import annotations

import errno
import grp
import os
import pwd
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from .conftest import report

SET = "--set=a=2"
ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="needs root (CI runs the suite as root)")


def snapshot(paths: list[Path]) -> list[tuple[bytes, int, int, int, int, int]]:
    """Bytes and identity of each file: contents, inode, mode, owner, group, links."""
    out = []
    for p in paths:
        st = p.stat()
        out.append((p.read_bytes(), st.st_ino, st.st_mode, st.st_uid, st.st_gid, st.st_nlink))
    return out


def identity(paths: list[Path]) -> list[tuple[bytes, int, int, int, int]]:
    """Like :func:`snapshot` without the inode (a restored copy is a new file)."""
    return [(s[0], *s[2:]) for s in snapshot(paths)]


def no_temp_files(directory: Path) -> bool:
    return not [p for p in directory.rglob("*") if p.name.endswith((".svcgen-tmp",))]


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("a: 1  # first\n", encoding="utf-8")
    b.write_text("# second\na: 1\nb: x\n", encoding="utf-8")
    return a, b


@pytest.fixture
def five(tmp_path: Path) -> list[Path]:
    """Five configs; the second is hard-linked (written in place), the others
    are replaced through a temporary file."""
    files = []
    for i in range(5):
        p = tmp_path / f"svc-{i}" / "config.yaml"
        p.parent.mkdir()
        p.write_text(f"# service {i}\na: 1   # the value\nz: {i}\n", encoding="utf-8")
        files.append(p)
    os.link(files[1], tmp_path / "svc-1" / "also.yaml")
    if ROOT:
        nobody = pwd.getpwnam("nobody")
        os.chown(files[3], nobody.pw_uid, nobody.pw_gid)
    os.chmod(files[3], 0o640)
    return files


@pytest.fixture
def fail_on(monkeypatch: pytest.MonkeyPatch) -> Callable[..., list[str]]:
    """``fail_on(path, ...)``: writing ``path`` fails with EIO, whichever way it is
    written (rename of its staged copy, or overwrite in place). Returns the log of
    files svcgen wrote, in order."""
    from svcgen.patching import writer

    log: list[str] = []
    real_replace, real_overwrite = os.replace, writer.overwrite

    def arm(*paths: Path, restore_fails: tuple[Path, ...] = ()) -> list[str]:
        failing = {str(p) for p in paths}  # each fails once
        no_restore = {str(p) for p in restore_fails}

        def replace(src: Any, dst: Any) -> None:
            if str(dst) in failing:
                failing.discard(str(dst))
                raise OSError(errno.EIO, "Input/output error (injected)", str(dst))
            if str(dst) in no_restore and str(dst) in log:
                raise OSError(errno.EIO, "Input/output error (injected, restore)", str(dst))
            real_replace(src, dst)
            log.append(str(dst))

        def overwrite(target: str, data: bytes, opened: Any = None) -> None:
            if target in failing:
                failing.discard(target)
                real_overwrite(target, data[: len(data) // 2], opened)  # half-written
                raise OSError(errno.EIO, "Input/output error (injected)", target)
            if target in no_restore and target in log:
                raise OSError(errno.EIO, "Input/output error (injected, restore)", target)
            real_overwrite(target, data, opened)
            log.append(target)

        monkeypatch.setattr(writer.os, "replace", replace)
        monkeypatch.setattr(writer, "overwrite", overwrite)
        return log

    return arm


# -- preflight ----------------------------------------------------------------------


def test_read_only_file_is_refused_and_nothing_is_written(
    cli: Callable[..., Result], pair: tuple[Path, Path]
) -> None:
    a, b = pair
    os.chmod(b, 0o444)
    before = snapshot([a, b])
    result = cli(SET, str(a), str(b), "--json")
    assert result.exit_code == 2, result.output
    items = report(result)["items"]
    assert items[1]["status"] == "error"
    assert f"{b}: the file is read-only (mode 0444)" in items[1]["message"]
    assert report(result)["summary"]["written"] is False
    assert snapshot([a, b]) == before
    assert no_temp_files(a.parent)


def test_a_directory_given_as_a_file_or_a_fifo_is_refused(
    cli: Callable[..., Result], pair: tuple[Path, Path], tmp_path: Path
) -> None:
    a, _ = pair
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    link = tmp_path / "to-fifo.yaml"
    link.symlink_to(fifo)
    from svcgen.patching import writer
    from svcgen.patching.engine import FileResult

    with pytest.raises(Exception, match="not a regular file"):
        writer.preflight(FileResult(str(link), "changed", ""))
    assert cli(SET, str(a)).exit_code == 0


@needs_root
def test_immutable_file_is_refused_and_nothing_is_written(
    cli: Callable[..., Result], pair: tuple[Path, Path]
) -> None:
    a, b = pair
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("chattr is not installed (e2fsprogs)")
    proc = subprocess.run([chattr, "+i", str(b)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"chattr +i is not supported here: {proc.stderr.strip()}")
    try:
        before = snapshot([a, b])
        result = cli(SET, str(a), str(b), "--json")
        assert result.exit_code == 2, result.output
        assert report(result)["items"][1]["message"].startswith(
            f"{b}: the file is immutable (chattr +i)"
        )
        assert snapshot([a, b]) == before
        assert a.read_text() == "a: 1  # first\n"
    finally:
        subprocess.run([chattr, "-i", str(b)], check=False)


# -- identity -----------------------------------------------------------------------


@needs_root
def test_owner_group_and_mode_are_kept(cli: Callable[..., Result], tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text("a: 1\n", encoding="utf-8")
    nobody, nogroup = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
    os.chown(cfg, nobody, nogroup)
    os.chmod(cfg, 0o640)
    inode = cfg.stat().st_ino
    result = cli(SET, str(cfg), "--json")
    assert result.exit_code == 0, result.output
    st = cfg.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (nobody, nogroup, 0o640)
    assert st.st_ino != inode  # replaced through a temporary file, not overwritten
    assert report(result)["items"][0]["written"] == "replaced"
    assert cfg.read_text() == "a: 2\n"


def test_hard_linked_pair_stays_linked(cli: Callable[..., Result], tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text("a: 1\n", encoding="utf-8")
    twin = tmp_path / "deploy" / "config.yaml"
    twin.parent.mkdir()
    os.link(cfg, twin)
    os.chmod(cfg, 0o604)
    inode = cfg.stat().st_ino
    result = cli(SET, str(cfg), "--json")
    assert result.exit_code == 0, result.output
    assert report(result)["items"][0]["written"] == "in place"
    assert twin.read_text() == cfg.read_text() == "a: 2\n"
    assert cfg.stat().st_ino == twin.stat().st_ino == inode
    assert cfg.stat().st_nlink == 2
    assert cfg.stat().st_mode & 0o777 == 0o604
    assert no_temp_files(tmp_path)


@pytest.fixture
def bind_mounted(pair: tuple[Path, Path], tmp_path: Path) -> Iterator[tuple[Path, Path, Path]]:
    """``b.yaml`` with another file bind-mounted over it (as Docker does)."""
    a, b = pair
    source = tmp_path / "host" / "b.yaml"
    source.parent.mkdir()
    source.write_text("a: 1\nfrom: host\n", encoding="utf-8")
    mount = shutil.which("mount")
    if mount is None:
        pytest.skip("mount is not installed")
    proc = subprocess.run(
        [mount, "--bind", str(source), str(b)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {(proc.stderr or proc.stdout).strip()}")
    try:
        yield a, b, source
    finally:
        subprocess.run(["umount", str(b)], check=False)


def test_bind_mounted_file_is_written_in_place(
    cli: Callable[..., Result], bind_mounted: tuple[Path, Path, Path]
) -> None:
    a, b, source = bind_mounted
    with pytest.raises(OSError) as rename:  # what a rename-based writer runs into
        tmp = b.parent / ".probe"
        tmp.write_text("x")
        try:
            os.replace(tmp, b)
        finally:
            tmp.unlink(missing_ok=True)
    assert rename.value.errno in (errno.EBUSY, errno.EXDEV)
    result = cli(SET, str(a), str(b), "--json")
    assert result.exit_code == 0, result.output
    written = [i["written"] for i in report(result)["items"]]
    assert written == ["replaced", "in place"]
    assert a.read_text() == "a: 2  # first\n"
    assert b.read_text() == source.read_text() == "a: 2\nfrom: host\n"
    assert no_temp_files(a.parent)


# -- rollback -----------------------------------------------------------------------


@pytest.mark.parametrize("third_written", ["replaced", "in place"])
def test_failure_on_third_of_five_restores_all_five(
    cli: Callable[..., Result],
    five: list[Path],
    tmp_path: Path,
    fail_on: Callable[..., list[str]],
    third_written: str,
) -> None:
    if third_written == "in place":
        os.link(five[2], tmp_path / "svc-2" / "also.yaml")
    before = identity(five)
    inode = five[1].stat().st_ino
    log = fail_on(five[2])
    result = cli(SET, "--jobs", "1", "--json", *map(str, five))
    assert result.exit_code == 2, result.output
    assert log[:2] == [str(five[0]), str(five[1])]  # two were written (then restored)
    assert str(five[3]) not in log and str(five[4]) not in log
    assert identity(five) == before  # bytes, mode, owner, group, links
    assert five[1].stat().st_ino == inode  # the hard-linked one was restored in place
    data = report(result)
    assert data["summary"]["written"] is False
    statuses = [i["status"] for i in data["items"]]
    assert statuses == ["rolled back", "rolled back", "error", "not written", "not written"]
    assert data["summary"]["rolled back"] == 2
    (error,) = [i for i in data["items"] if i["status"] == "error"]
    assert error["path"] == str(five[2])
    assert "Input/output error (injected)" in error["message"]
    assert "every file already written was restored" in error["message"]
    assert "were replaced" not in result.output
    assert no_temp_files(tmp_path)
    assert not list(tmp_path.rglob("*.svcgen-orig"))


def test_restored_files_keep_identity(
    cli: Callable[..., Result],
    five: list[Path],
    tmp_path: Path,
    fail_on: Callable[..., list[str]],
) -> None:
    """Restored files get back their mode, owner and group (and hard links)."""
    fail_on(five[4])
    ids = [(p.stat().st_mode, p.stat().st_uid, p.stat().st_gid) for p in five]
    result = cli(SET, "--jobs", "1", *map(str, five))
    assert result.exit_code == 2
    # the table says what happened: written then restored, never "changed"
    rows = [line.split("\t") for line in result.output.splitlines() if line.count("\t") == 2]
    assert [row[1] for row in rows[1:]] == ["rolled back"] * 4 + ["error"]
    assert "\tchanged\t" not in result.output
    assert [(p.stat().st_mode, p.stat().st_uid, p.stat().st_gid) for p in five] == ids
    assert os.path.samefile(five[1], tmp_path / "svc-1" / "also.yaml")
    assert all(b"a: 1   # the value" in p.read_bytes() for p in five)


def test_failed_restore_names_the_file_and_saves_the_original(
    cli: Callable[..., Result],
    five: list[Path],
    tmp_path: Path,
    fail_on: Callable[..., list[str]],
) -> None:
    original = five[0].read_bytes()
    fail_on(five[2], restore_fails=(five[0],))
    result = cli(SET, "--jobs", "1", "--json", *map(str, five))
    assert result.exit_code == 2
    message = report(result)["errors"][0]["message"]
    saved = Path(str(five[0]) + ".svcgen-orig")
    assert f"1 files could not be restored and are left changed: {five[0]}" in message
    assert f"original saved as {saved}" in message
    assert saved.read_bytes() == original
    assert b"a: 2" in five[0].read_bytes()
    assert [p.read_bytes() for p in five[1:]] == [
        f"# service {i}\na: 1   # the value\nz: {i}\n".encode() for i in range(1, 5)
    ]
    statuses = [i["status"] for i in report(result)["items"]]
    assert statuses == ["error", "rolled back", "error", "not written", "not written"]
    assert report(result)["summary"]["written"] is True


def test_real_failure_after_planning_rolls_back(five: list[Path], tmp_path: Path) -> None:
    """A file made immutable between planning and writing (a real EPERM)."""
    if not ROOT or shutil.which("chattr") is None:
        pytest.skip("needs root and chattr")
    from svcgen.patching import runner, writer
    from svcgen.patching.ops import from_cli

    before = identity(five)
    results = runner.plan(list(map(str, five)), from_cli(["a=2"], []), runner.Options(), True)
    proc = subprocess.run(
        ["chattr", "+i", str(five[2])], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        writer.discard(results)
        pytest.skip(f"chattr +i is not supported here: {proc.stderr.strip()}")
    try:
        with pytest.raises(writer.WriteFailed, match="every file already written was restored"):
            runner.commit(results)
    finally:
        subprocess.run(["chattr", "-i", str(five[2])], check=False)
    assert identity(five) == before
    assert no_temp_files(tmp_path)
    assert not list(tmp_path.rglob("*.svcgen-orig"))


def test_ctrl_c_during_writing_restores_everything(
    cli: Callable[..., Result],
    five: list[Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A real SIGINT arrives while the third file is written: the write phase
    finishes that file, stops, restores all, and the command exits 130."""
    from svcgen.patching import writer

    real = os.replace
    calls: list[str] = []

    def replace(src: Any, dst: Any) -> None:
        calls.append(str(dst))
        if str(dst) == str(five[2]):
            os.kill(os.getpid(), signal.SIGINT)
        real(src, dst)

    monkeypatch.setattr(writer.os, "replace", replace)
    before, handler = identity(five), signal.getsignal(signal.SIGINT)
    result = cli(SET, "--jobs", "1", *map(str, five))
    assert result.exit_code == 130, result.output
    assert str(five[3]) not in calls and str(five[4]) not in calls  # stopped after the third
    assert identity(five) == before
    assert os.path.samefile(five[1], tmp_path / "svc-1" / "also.yaml")
    assert no_temp_files(tmp_path)
    assert signal.getsignal(signal.SIGINT) is handler


# -- typos ----------------------------------------------------------------------------

TYPO = "--set=middlewre.ratelimit.fail_closed=true"


def test_misspelled_path_is_reported(cli: Callable[..., Result], tmp_path: Path) -> None:
    from .conftest import CONFIG

    files = []
    for name in ("orders", "payments"):
        p = tmp_path / f"{name}.yaml"
        p.write_text(CONFIG.format(name=name), encoding="utf-8")
        files.append(p)
    result = cli(TYPO, "--json", *map(str, files))
    assert result.exit_code == 0, result.output
    data = report(result)
    for item in data["items"]:
        assert item["message"].endswith("; created middlewre.ratelimit (did you mean middleware?)")
        assert item["created"] == ["middlewre.ratelimit"]
        assert item["did_you_mean"] == {"middlewre.ratelimit": "middleware"}
    assert data["summary"]["with_created_keys"] == 2
    assert "2 of 2 files created a new top-level key or map" in result.stderr
    data = report(cli("--set=middlewre.ratelimit.burst=5", "--json", *map(str, files)))
    assert data["summary"]["with_created_keys"] == 0  # middlewre exists now
    again = report(cli("--set=tracing.enabled=true", "--json", *map(str, files)))
    assert again["summary"]["with_created_keys"] == 2
    assert again["items"][0]["created"] == ["tracing"]


def test_misspelled_path_with_strict_paths_is_an_error(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    from .conftest import CONFIG

    good, other = tmp_path / "a.yaml", tmp_path / "b.yaml"
    good.write_text(CONFIG.format(name="a"), encoding="utf-8")
    other.write_text(CONFIG.format(name="b"), encoding="utf-8")
    before = snapshot([good, other])
    result = cli(TYPO, "--strict-paths", "--json", str(good), str(other))
    assert result.exit_code == 2
    message = report(result)["items"][0]["message"]
    assert f"{good}: middlewre.ratelimit.fail_closed: middlewre does not exist, and " in message
    assert "did you mean middleware?" in message
    assert snapshot([good, other]) == before
    plain = cli(TYPO, "--strict-paths", str(good))  # the file is named once on stderr
    assert f"{good}: middlewre.ratelimit.fail_closed: middlewre does not" in plain.stderr
    assert f"{good}: {good}" not in plain.stderr
    nested = cli("--set=middleware.ratelimt.burst=5", "--strict-paths", "--json", str(good))
    assert nested.exit_code == 2
    assert f"{good}:7:3: middleware.ratelimt.burst" in report(nested)["items"][0]["message"]
    assert "did you mean middleware.ratelimit?" in report(nested)["items"][0]["message"]
    ok = cli("--set=middleware.ratelimit.fail_closed=true", "--strict-paths", str(good))
    assert ok.exit_code == 0, ok.output
    assert b"    fail_closed: true\n" in good.read_bytes()


# -- per-key changes in --json -----------------------------------------------------------


def test_json_records_each_key_with_line_and_column(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "service:\n  name: x\n  debug: true\nmiddleware:\n  ratelimit:\n    rps: 100\n",
        encoding="utf-8",
    )
    result = cli(
        "--set=middleware.ratelimit.rps=200",
        "--set=middleware.ratelimit.fail_closed=true",
        "--unset=service.debug",
        "--json",
        str(cfg),
    )
    assert result.exit_code == 0, result.output
    data = report(result)
    assert data["schema_version"] == 1 and data["command"] == "patch-config"
    (item,) = data["items"]
    assert [tuple(c.values()) for c in item["changes"]] == [
        ("set", "middleware.ratelimit.rps", "replaced", 5, 5),
        ("set", "middleware.ratelimit.fail_closed", "created", 6, 5),
        ("unset", "service.debug", "removed", 3, 3),  # where it was
    ]
    assert list(item["changes"][0]) == ["op", "path", "action", "line", "column"]
    lines = cfg.read_text().splitlines()
    assert lines[4][4:] == "rps: 200" and lines[5][4:] == "fail_closed: true"


def test_failure_among_many_files_written_in_threads_restores_all(
    cli: Callable[..., Result], tmp_path: Path, fail_on: Callable[..., list[str]]
) -> None:
    """Above writer.SEQUENTIAL files the writes overlap in threads; a failure
    still restores every file written, whatever the order was."""
    from svcgen.patching import writer

    files = []
    for i in range(5 * writer.SEQUENTIAL):
        p = tmp_path / f"c{i:02d}.yaml"
        p.write_text(f"a: 1\nn: {i}\n", encoding="utf-8")
        files.append(p)
    os.link(files[7], tmp_path / "twin.yaml")
    before = identity(files)
    log = fail_on(files[len(files) // 2])
    result = cli(SET, "--jobs", "1", *map(str, files))
    assert result.exit_code == 2, result.output
    assert log  # some files were written before the failure was seen
    assert identity(files) == before
    assert os.path.samefile(files[7], tmp_path / "twin.yaml")
    assert no_temp_files(tmp_path)


@needs_root
def test_file_in_an_immutable_directory_is_written_in_place(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    directory = tmp_path / "locked"
    directory.mkdir()
    cfg = directory / "config.yaml"
    cfg.write_text("a: 1\n", encoding="utf-8")
    proc = subprocess.run(
        ["chattr", "+i", str(directory)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        pytest.skip(f"chattr +i is not supported here: {(proc.stderr or proc.stdout).strip()}")
    try:
        inode = cfg.stat().st_ino
        result = cli(SET, str(cfg), "--json")
        assert result.exit_code == 0, result.output
        assert report(result)["items"][0]["written"] == "in place"
        assert cfg.read_text() == "a: 2\n" and cfg.stat().st_ino == inode
    finally:
        subprocess.run(["chattr", "-i", str(directory)], check=False)


@pytest.mark.parametrize("delay", [0.5, 1.2, 2.0, 3.0])
def test_sigint_at_any_moment_leaves_all_old_or_all_new(tmp_path: Path, delay: float) -> None:
    """A real Ctrl-C sent to a real `svcgen patch-config` process (two planning
    workers) at some moment: the fleet ends up entirely old or entirely new,
    never mixed, and no temporary file remains."""
    import sys
    import time

    files = []
    for i in range(120):
        p = tmp_path / f"svc-{i:03d}" / "configs" / "config.yaml"
        p.parent.mkdir(parents=True)
        p.write_text(f"# {i}\nmiddleware:\n  ratelimit:\n    rps: 100\n", encoding="utf-8")
        files.append(p)
    old = [p.read_bytes() for p in files]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "cli"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "svcgen", "patch-config", "--jobs", "2", "--json",
         "--set=middleware.ratelimit.fail_closed=true", str(tmp_path / "*/configs/*.yaml")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    # whatever the moment (interpreter start-up, Typer, planning, writing, or the
    # report after the write phase), the fleet is never mixed
    new = [p.read_bytes() for p in files]
    changed = [n != o for n, o in zip(new, old, strict=True)]
    assert all(changed) or not any(changed), f"mixed fleet after SIGINT (exit {proc.returncode})"
    assert proc.returncode != 0 or all(changed), err
    assert no_temp_files(tmp_path)
