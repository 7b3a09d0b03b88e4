"""Build (once) and run the Go analyzers shipped in ``analyzers/``.

The binary is cached under the user cache directory, keyed by svcgen's
version, the local Go version and a hash of the analyzer sources::

    ~/.cache/svcgen/audit/<svcgen version>-<go version>-<hash>/svcgen-audit

``SVCGEN_CACHE_DIR`` overrides ``~/.cache/svcgen``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from svcgen import __version__
from svcgen.errors import InternalError, UsageError

SOURCE = Path(__file__).resolve().parent / "analyzers"
GO_INSTALL_HINT = (
    "install Go 1.26 or later from https://go.dev/dl/ (or your package manager) "
    "and make sure `go` is on PATH"
)


class GoMissingError(UsageError):
    """The Go toolchain is not installed."""

    def __init__(self) -> None:
        super().__init__(
            "svcgen audit needs the Go toolchain: `go` is not on PATH", fix=GO_INSTALL_HINT
        )


def go_binary() -> str:
    go = shutil.which("go")
    if go is None:
        raise GoMissingError()
    return go


def go_version(go: str) -> str:
    out = subprocess.run(
        [go, "env", "GOVERSION"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return out or "unknown"


def cache_root() -> Path:
    env = os.environ.get("SVCGEN_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "svcgen"


def source_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(SOURCE.iterdir()):
        if path.suffix == ".go" or path.name in ("go.mod", "go.sum"):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def ensure_built() -> Path:
    """The path of the analyzer binary, building it first if needed."""
    go = go_binary()
    key = f"{__version__}-{go_version(go)}-{source_hash()}"
    target = cache_root() / "audit" / key / "svcgen-audit"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".build-", dir=target.parent)
    os.close(fd)
    env = {**os.environ, "CGO_ENABLED": "0", "GOWORK": "off", "GOFLAGS": ""}
    proc = subprocess.run(
        [go, "build", "-trimpath", "-o", tmp, "."],
        cwd=SOURCE,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        Path(tmp).unlink(missing_ok=True)
        detail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise InternalError(f"building the audit analyzers failed: {detail}", where=SOURCE)
    os.chmod(tmp, 0o755)
    os.replace(tmp, target)
    return target


@dataclass(frozen=True)
class DriverResult:
    findings: list[dict[str, Any]]
    skipped: list[dict[str, Any]]
    packages: int


class DriverError(Exception):
    """The analyzers failed on one module (reported on that service)."""


def run(binary: Path, root: Path, only: list[str] | None) -> DriverResult:
    args = [str(binary), "-dir", str(root)]
    if only is not None:
        args += ["-only", ",".join(only)]
    env = {**os.environ, "GOWORK": "off"}
    proc = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise DriverError(detail)
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise DriverError(f"unreadable analyzer output: {exc}") from exc
    return DriverResult(
        findings=list(data.get("findings") or []),
        skipped=list(data.get("skipped") or []),
        packages=int(data.get("packages") or 0),
    )
