"""Wheel build hook: ship the bundled template's version history.

Builds ``svcgen/_templates/go-service.bundle`` from
``templates/history/go-service.bundle`` (released versions) plus the current
``templates/go-service`` folder, tagged ``v<project version>``. See
``cli/svcgen/updating/history.py`` and docs/update.md.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

TEMPLATES = ("go-service",)


class TemplateHistoryHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return  # editable installs build the bundle on first use
        root = Path(self.root)
        sys.path.insert(0, str(root / "cli"))
        try:
            from svcgen.updating.history import build_bundle
        finally:
            sys.path.pop(0)
        self._tmp = Path(tempfile.mkdtemp(prefix="svcgen-build-"))
        for name in TEMPLATES:
            out = self._tmp / f"{name}.bundle"
            built = build_bundle(
                root / "templates" / name,
                self.metadata.version,
                out,
                root / "templates" / "history" / f"{name}.bundle",
            )
            self.app.display_info(f"template {name}: shipping history up to {built.tag}")
            build_data["force_include"][str(out)] = f"svcgen/_templates/{name}.bundle"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
