#!/usr/bin/env python3
"""Record the bundled template's release history (run once per svcgen release).

    python templates/tools/template_release.py            # record v<svcgen version>
    python templates/tools/template_release.py --check    # exit 1 if unreleased changes

Appends the content of templates/<name> as a commit tagged v<version> to
templates/history/<name>.bundle (append-only; commit that file with the
release). Every later svcgen wheel ships this history, so services made by any
earlier release stay updatable offline. Does nothing when the template is
unchanged since the newest recorded release. See docs/update.md.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "cli"))

from svcgen.errors import SvcgenError  # noqa: E402
from svcgen.updating.history import build_bundle, record_release  # noqa: E402


def svcgen_version() -> str:
    text = (ROOT / "cli" / "svcgen" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    if not match:
        raise SystemExit("cannot find __version__ in cli/svcgen/__init__.py")
    return match.group(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--template", default="go-service", help="template folder name")
    parser.add_argument("--version", default=None, help="default: svcgen's __version__")
    parser.add_argument(
        "--check", action="store_true", help="only check that the folder is a recorded release"
    )
    args = parser.parse_args(argv)
    version = args.version or svcgen_version()
    folder = ROOT / "templates" / args.template
    history = ROOT / "templates" / "history" / f"{args.template}.bundle"
    try:
        if args.check:
            with tempfile.TemporaryDirectory() as tmp:
                built = build_bundle(folder, version, Path(tmp) / "check.bundle", history)
            if built.added:
                print(f"{folder}: unreleased changes (would be {built.tag}); run without --check")
                return 1
            print(f"{folder}: released as {built.tag}")
            return 0
        built = record_release(folder, version, history)
    except SvcgenError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    if built.added:
        print(f"recorded {built.tag} in {history.relative_to(ROOT)}: commit that file")
    else:
        print(f"unchanged since {built.tag}; nothing recorded")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
