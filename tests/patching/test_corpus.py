"""The adversarial corpus: every case's output is compared byte for byte with
its reviewed golden file, then patched again to prove idempotence."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from .corpus_runner import CORPUS, case_args, run_case

CASES = sorted(p for p in CORPUS.iterdir() if p.is_dir())


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 25


def _expect(case: Path) -> tuple[int, str, str]:
    first, detail = (case / "expect").read_text(encoding="utf-8").split("\n", 2)[:2]
    code, status = first.split(" ", 1)
    return int(code), status, detail


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_matches_golden(case: Path, tmp_path: Path) -> None:
    code, status, detail = _expect(case)
    out = run_case(case, tmp_path)
    assert (out.exit_code, out.status) == (code, status), out.detail
    assert out.detail == detail
    assert out.output == (case / "expected.yaml").read_bytes()
    if status != "changed":
        assert out.output == (case / "input.yaml").read_bytes()


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if _expect(c)[1] == "changed" and not (c / "not-idempotent").exists()],
    ids=lambda c: c.name,
)
def test_case_is_idempotent(case: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    again.mkdir()
    shutil.copytree(case, again / case.name)  # the patch file stays next to the input
    golden = again / case.name
    shutil.copyfile(golden / "expected.yaml", golden / "input.yaml")
    out = run_case(golden, tmp_path)
    assert (out.exit_code, out.status) == (0, "unchanged"), out.detail
    assert out.output == (case / "expected.yaml").read_bytes()
    check = run_case(golden, tmp_path, ("--check",))
    assert check.exit_code == 0


def _ruamel_get(data: Any, path: str) -> Any:
    from svcgen.patching.paths import parse_path

    for seg in parse_path(path).segments:
        data = data[seg]
    return data


@pytest.mark.parametrize(
    "case",
    [
        c
        for c in CASES
        if _expect(c)[1] == "changed"
        and all(a == "--set" or not a.startswith("-") for a in case_args(c))
    ],
    ids=lambda c: c.name,
)
def test_sets_read_back_with_an_independent_parser(case: Path) -> None:
    """ruamel.yaml (YAML 1.2, pure Python) sees every --set value in the golden file."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    try:
        list(yaml.load_all((case / "input.yaml").read_bytes().decode("utf-8-sig")))
    except Exception as exc:
        pytest.skip(f"ruamel.yaml cannot read the input either: {type(exc).__name__}")
    text = (case / "expected.yaml").read_bytes().decode("utf-8-sig")
    docs = [d for d in yaml.load_all(text) if d is not None]
    args = case_args(case)
    for item in (args[i + 1] for i, a in enumerate(args) if a == "--set"):
        from svcgen.patching.paths import split_assignment

        path, raw = split_assignment(item)
        want = yaml.load(raw) if raw else None
        seen = []
        for doc in docs:
            try:
                seen.append(_ruamel_get(doc, str(path)))
            except (KeyError, IndexError, TypeError):
                continue
        assert seen, f"{path} not found"
        assert all(v == want and type(v) is type(want) for v in seen), (path, seen, want)
