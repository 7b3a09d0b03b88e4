"""Build (once) and run the Go analyzers shipped in ``analyzers/``.

The binary is cached under the user cache directory, keyed by svcgen's
version, the local Go version and a hash of the analyzer sources::

    ~/.cache/svcgen/audit/<svcgen version>-<go version>-<hash>/svcgen-audit

``SVCGEN_CACHE_DIR`` overrides ``~/.cache/svcgen``.

Like ``go vet``, results are cached too: the analyzers' output for a module
is stored under ``audit/results/`` keyed by the binary, the checks run, the
go-relevant environment and the content of the module's non-test ``.go``
files, ``go.mod`` and ``go.sum``. A result with skipped (type-less) packages
is never cached. ``SVCGEN_AUDIT_CACHE=0`` turns the result cache off.
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


class Running:
    """The analyzers running on one module (so that the Python checks can run
    meanwhile); :meth:`result` waits for them."""

    def __init__(self, binary: Path, root: Path, only: list[str] | None) -> None:
        args = [str(binary), "-dir", str(root)]
        if only is not None:
            args += ["-only", ",".join(only)]
        env = {**os.environ, "GOWORK": "off"}
        self.proc = subprocess.Popen(
            args,
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def result(self) -> DriverResult:
        stdout, stderr = self.proc.communicate()
        if self.proc.returncode != 0:
            detail = (stderr.strip().splitlines() or ["no output"])[-1]
            raise DriverError(detail)
        try:
            data = json.loads(stdout)
        except json.JSONDecodeError as exc:
            raise DriverError(f"unreadable analyzer output: {exc}") from exc
        return DriverResult(
            findings=list(data.get("findings") or []),
            skipped=list(data.get("skipped") or []),
            packages=int(data.get("packages") or 0),
        )

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def run(binary: Path, root: Path, only: list[str] | None) -> DriverResult:
    return Running(binary, root, only).result()


# ---- result cache -----------------------------------------------------------

KEY_ENV = ("GOFLAGS", "GOOS", "GOARCH", "CGO_ENABLED", "GOEXPERIMENT", "GOTOOLCHAIN")
SKIP_DIRS = {"testdata", "node_modules"}


def cache_enabled() -> bool:
    return os.environ.get("SVCGEN_AUDIT_CACHE", "1") not in ("0", "false", "no", "off")


def _module_files(root: Path) -> list[Path]:
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith((".", "_"))
            and d not in SKIP_DIRS
            and not (here / d / "go.mod").exists()
        )
        for name in sorted(filenames):
            if (name.endswith(".go") and not name.endswith("_test.go")) or (
                here == root and name in ("go.mod", "go.sum")
            ):
                files.append(here / name)
    return files


def result_key(binary: Path, root: Path, only: list[str] | None) -> str:
    digest = hashlib.sha256()
    digest.update(str(binary).encode() + b"\0" + ",".join(only or ["*"]).encode() + b"\0")
    for name in KEY_ENV:
        digest.update(f"{name}={os.environ.get(name, '')}\0".encode())
    for path in _module_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _result_path(key: str) -> Path:
    return cache_root() / "audit" / "results" / f"{key}.json"


def load_cached(key: str) -> DriverResult | None:
    try:
        data = json.loads(_result_path(key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return DriverResult(findings=list(data["findings"]), skipped=[], packages=int(data["packages"]))


def store(key: str, result: DriverResult) -> None:
    if result.skipped:
        return
    path = _result_path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".result-", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"findings": result.findings, "packages": result.packages}, fh)
        os.replace(tmp, path)
    except OSError:
        pass  # a cache that cannot be written is only slower
