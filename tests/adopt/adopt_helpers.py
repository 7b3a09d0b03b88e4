"""Helpers for the svcgen adopt tests: fixture services, the CLI, the Go toolchain."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from repo_helpers import (
    commit_all,
    copy_template,
    git,
    init_tagged,
    tree_files,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def make_template_repo(dest: Path) -> Path:
    """templates/go-service as a git repository tagged v1.0.0."""
    return init_tagged(copy_template(dest))


def fixture_repo(name: str, dest: Path) -> Path:
    """A copy of tests/adopt/fixtures/NAME as a git repository with one commit."""
    shutil.copytree(FIXTURES / name, dest)
    git(dest, "init", "-q", "-b", "main")
    commit_all(dest, f"{name}: the service as its owners left it")
    return dest


def snapshot(path: Path) -> dict[str, bytes]:
    """Every file of the work tree by content."""
    return tree_files(path)


def go_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GOFLAGS", "GOWORK")}
    env["GOWORK"] = "off"
    return env


def go(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        ["go", *args],
        cwd=cwd,
        env=go_env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if check and proc.returncode != 0:
        pytest.fail(f"go {' '.join(args)} in {cwd}:\n{proc.stdout[-8000:]}\n{proc.stderr[-8000:]}")
    return proc


def find_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    gobin = Path(go(Path.cwd(), "env", "GOPATH").stdout.strip()) / "bin" / name
    if gobin.is_file():
        return str(gobin)
    pytest.fail(f"{name} not found on PATH nor in $(go env GOPATH)/bin: .ci/run installs it")


def tool(args: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=go_env(), capture_output=True, text=True, timeout=timeout, check=False
    )


def lint(service: Path) -> subprocess.CompletedProcess[str]:
    """golangci-lint with the service's config, as the svcgen-lint gate runs it."""
    return tool([find_tool("golangci-lint"), "run", "--allow-serial-runners", "./..."], service)


@contextmanager
def serving(binary: Path, cwd: Path, env: dict[str, str], port: int) -> Iterator[str]:
    """Run a built service binary on 127.0.0.1:port until the block ends."""
    proc = subprocess.Popen(
        [str(binary)],
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    pytest.fail(f"{binary} did not listen on {port}: {err}")
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def http_get(url: str) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url)
    try:
        with urllib.request.urlopen(req, timeout=10) as res:  # loopback only
            return res.status, dict(res.headers), res.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def ownership(path: Path) -> list[str]:
    import yaml

    data = yaml.safe_load((path / ".svcgen.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict) and set(data) == {"keep"}, data
    keep = data["keep"]
    assert isinstance(keep, list) and all(isinstance(k, str) for k in keep)
    return keep
