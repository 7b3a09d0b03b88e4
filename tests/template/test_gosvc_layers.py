"""The template's three layers: platform packages never reach into the service."""

from __future__ import annotations

import re
from pathlib import Path

PLATFORM = ("adapt", "apperr", "auth", "health", "httpclient", "logging", "middleware",
            "ratelimit", "requestid", "tracing", "worker")  # fmt: skip
MODULE = "gitlab.com/ta-microservices/demo"
_IMPORT = re.compile(r'^\s*(?:[\w.]+\s+)?"([^"]+)"\s*$', re.M)


def imports(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    blocks = re.findall(r"^import \((.*?)^\)", text, re.M | re.S)
    single = re.findall(r'^import (?:[\w.]+\s+)?"([^"]+)"', text, re.M)
    return {m for b in blocks for m in _IMPORT.findall(b)} | set(single)


def test_platform_packages_import_only_each_other(default_service: Path) -> None:
    root = default_service / "internal" / "platform"
    assert sorted(p.name for p in root.iterdir()) == sorted(PLATFORM)
    assert not any((default_service / "internal" / pkg).exists() for pkg in PLATFORM[1:])
    offenders = []
    for go in root.rglob("*.go"):
        for imp in imports(go):
            if imp.startswith(MODULE + "/") and not imp.startswith(MODULE + "/internal/platform/"):
                offenders.append(f"{go.relative_to(default_service)}: {imp}")
    assert not offenders, offenders


def test_config_maps_onto_platform_options_in_one_place(default_service: Path) -> None:
    mapping = re.compile(r"\b(auth|httpclient|tracing|middleware|ratelimit)\.(\w*Options)\{")
    users = {
        go.relative_to(default_service).as_posix()
        for top in ("cmd", "internal")
        for go in (default_service / top).rglob("*.go")
        if "platform" not in go.relative_to(default_service).parts
        and not go.name.endswith("_test.go")
        and mapping.search(go.read_text(encoding="utf-8"))
    }
    assert users == {"internal/config/platform.go"}
