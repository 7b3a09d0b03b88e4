"""Run one corpus case through the real CLI (used by the tests and by
``python -m tests.patching.corpus_runner --regen`` to write golden files,
which are then reviewed by hand before they are committed)."""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from svcgen.app import app

CORPUS = Path(__file__).parent / "corpus"


@dataclass
class Outcome:
    exit_code: int
    status: str
    detail: str
    output: bytes


def case_args(case: Path) -> list[str]:
    lines = (case / "args").read_text(encoding="utf-8").splitlines()
    return [str(case / a[1:]) if a.startswith("@") else a for a in lines]


def run_case(case: Path, workdir: Path, extra: tuple[str, ...] = ()) -> Outcome:
    target = workdir / "config.yaml"
    shutil.copyfile(case / "input.yaml", target)
    result = CliRunner().invoke(
        app, ["patch-config", *case_args(case), "--json", *extra, str(target)]
    )
    report = json.loads(result.stdout)
    (entry,) = report["items"]
    detail = entry["message"].replace(str(target), "config.yaml").replace(str(case), "<case>")
    return Outcome(result.exit_code, entry["status"], detail, target.read_bytes())


def regen() -> None:
    import tempfile

    for case in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        with tempfile.TemporaryDirectory() as tmp:
            out = run_case(case, Path(tmp))
        (case / "expected.yaml").write_bytes(out.output)
        (case / "expect").write_text(
            f"{out.exit_code} {out.status}\n{out.detail}\n", encoding="utf-8"
        )
        print(f"{case.name}: {out.exit_code} {out.status} {out.detail}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--regen"]:
        regen()
