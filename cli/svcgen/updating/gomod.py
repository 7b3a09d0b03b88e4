"""go.mod requirement merging for ``svcgen adopt``: add, never lower.

The platform packages need some modules at some minimum versions (the
template's rendered ``go.mod``). A service that already requires a module at
an equal or higher version keeps it; a missing or lower one is raised with
``go get MODULE@VERSION`` (which also writes the go.sum lines), and the
``go`` directive is raised to the template's when it is lower. Versions are
compared as semantic versions (``golang.org/x/mod/semver`` order, pseudo
versions included). Nothing here prints or exits.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from svcgen.errors import InputFileError, UsageError

_REQUIRE = re.compile(r"^\s*(?:require\s+)?([^\s()]+)\s+(v\S+)(\s*//\s*indirect)?\s*$")
_SEMVER = re.compile(
    r"^v(?P<major>0|[1-9]\d*)(?:\.(?P<minor>0|[1-9]\d*))?(?:\.(?P<patch>0|[1-9]\d*))?"
    r"(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)
GO_ENV_DROP = ("GOFLAGS", "GOWORK")


@dataclass(frozen=True)
class Raise:
    """One requirement adopt adds (``have`` None) or raises."""

    module: str
    have: str | None
    want: str

    def describe(self) -> str:
        if self.have is None:
            return f"require {self.module} {self.want}"
        return f"require {self.module} {self.have} -> {self.want}"


def _prerelease_key(pre: str) -> tuple[tuple[int, int | str], ...]:
    parts: list[tuple[int, int | str]] = []
    for ident in pre.split("."):
        parts.append((0, int(ident)) if ident.isdigit() else (1, ident))
    return tuple(parts)


def compare(a: str, b: str) -> int:
    """-1, 0 or 1: semantic-version order of two module versions."""
    ma, mb = _SEMVER.match(a), _SEMVER.match(b)
    if ma is None or mb is None:
        raise ValueError(f"not a semantic version: {a if ma is None else b}")

    def core(m: re.Match[str]) -> tuple[int, int, int]:
        return (int(m["major"]), int(m["minor"] or 0), int(m["patch"] or 0))

    ca, cb = core(ma), core(mb)
    if ca != cb:
        return -1 if ca < cb else 1
    pa, pb = ma["pre"], mb["pre"]
    if pa == pb:
        return 0
    if pa is None:
        return 1  # a release sorts after its pre-releases
    if pb is None:
        return -1
    ka, kb = _prerelease_key(pa), _prerelease_key(pb)
    return -1 if ka < kb else (1 if ka > kb else 0)


def compare_go(a: str, b: str) -> int:
    """Order of two ``go`` directive values (1.21, 1.21.3, 1.26)."""

    def key(v: str) -> tuple[int, ...]:
        nums = re.findall(r"\d+", v.split("rc", maxsplit=1)[0].split("beta", maxsplit=1)[0])
        return tuple(int(n) for n in nums) + (0,) * (3 - len(nums))

    ka, kb = key(a), key(b)
    return -1 if ka < kb else (1 if ka > kb else 0)


def template_requirements(go_mod_text: str) -> dict[str, str]:
    """module -> version of every ``require`` of a (generated) go.mod text."""
    out: dict[str, str] = {}
    in_block = False
    for line in go_mod_text.splitlines():
        stripped = line.strip()
        if stripped.startswith("require ("):
            in_block = True
            continue
        if in_block and stripped == ")":
            in_block = False
            continue
        if in_block or stripped.startswith("require "):
            m = _REQUIRE.match(stripped)
            if m:
                out[m.group(1)] = m.group(2)
    return out


def go_directive(go_mod_text: str) -> str | None:
    m = re.search(r"^go\s+(\S+)\s*$", go_mod_text, re.M)
    return m.group(1) if m else None


def go_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in GO_ENV_DROP}
    env["GOWORK"] = "off"
    return env


def go(args: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["go", *args],
            cwd=cwd,
            env=go_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise UsageError("the Go toolchain is not installed", fix="install Go 1.26+") from exc


@dataclass(frozen=True)
class ModFile:
    go: str | None
    requires: dict[str, str]


def read_modfile(service: Path) -> ModFile:
    """The service's go.mod as ``go mod edit -json`` reads it."""
    proc = go(["mod", "edit", "-json"], service, timeout=60)
    if proc.returncode != 0:
        raise InputFileError(first_error(proc.stderr), where=service / "go.mod")
    data = json.loads(proc.stdout)
    requires = {r["Path"]: r["Version"] for r in data.get("Require") or []}
    return ModFile(go=data.get("Go"), requires=requires)


def needed_modules(imports: set[str], template: dict[str, str]) -> dict[str, str]:
    """The template's requirements that provide at least one of ``imports``.

    The longest module path that prefixes an import provides it (as the go
    command resolves nested modules such as go.opentelemetry.io/otel/sdk).
    """
    out: dict[str, str] = {}
    modules = sorted(template, key=len, reverse=True)
    for imp in imports:
        for mod in modules:
            if imp == mod or imp.startswith(mod + "/"):
                out[mod] = template[mod]
                break
    return out


def plan(have: dict[str, str], need: dict[str, str]) -> list[Raise]:
    """Requirements to add or raise; never one that would lower a version."""
    out = []
    for mod, want in sorted(need.items()):
        cur = have.get(mod)
        if cur is None or compare(cur, want) < 0:
            out.append(Raise(mod, cur, want))
    return out


_LOCATED = re.compile(r"^\S+\.go:\d+(?::\d+)?: ")


def first_error(output: str) -> str:
    """The first compiler (or go command) error line of ``output``."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    for ln in lines:
        if _LOCATED.match(ln):
            return ln
    for ln in lines:
        if not ln.startswith(("#", "go: downloading", "go: finding", "go: added", "go: upgraded")):
            return ln
    return lines[0] if lines else "failed"
