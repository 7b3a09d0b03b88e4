"""The go-service template's own configs/*.yaml patch cleanly: every value can be
changed and changed back byte-for-byte, and the P0-3 flip lands as one block."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from svcgen.patching.engine import patch_text
from svcgen.patching.ops import Op
from svcgen.patching.paths import Path as YPath
from svcgen.patching.yaml12 import parse

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "go-service"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    import copier

    dest = tmp_path_factory.mktemp("rendered") / "demo"
    copier.run_copy(
        str(TEMPLATE),
        str(dest),
        data={"service_name": "demo"},
        defaults=True,
        unsafe=True,
        skip_tasks=True,
        quiet=True,
    )
    configs = sorted((dest / "configs").glob("*.yaml"))
    assert configs, "the template renders no configs/*.yaml"
    return configs


def leaves(
    data: Any, prefix: tuple[str | int, ...] = ()
) -> list[tuple[tuple[str | int, ...], Any]]:
    if isinstance(data, dict):
        return [x for k, v in data.items() for x in leaves(v, (*prefix, k))]
    if isinstance(data, list):
        return [x for i, v in enumerate(data) for x in leaves(v, (*prefix, i))]
    return [(prefix, data)]


def other(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if value is None:
        return "x"
    return str(value) + "-x"


def test_every_value_changes_and_changes_back(rendered: list[Path]) -> None:
    for config in rendered:
        raw = config.read_bytes()
        (doc,) = parse(raw.decode("utf-8"), str(config))
        found = leaves(doc.data)
        assert found
        for path, value in found:
            p = YPath(path)
            same = patch_text(raw, str(config), [Op("set", p, value)], False)
            assert same.status == "unchanged", (config, path)
            changed = patch_text(raw, str(config), [Op("set", p, other(value))], False)
            assert changed.status == "changed", (config, path, changed.detail)
            assert changed.new is not None
            before, after = raw.splitlines(), changed.new.splitlines()
            assert len(before) == len(after)
            assert sum(a != b for a, b in zip(before, after, strict=True)) == 1
            back = patch_text(changed.new, str(config), [Op("set", p, value)], False)
            assert back.new == raw, (config, path)


def test_fail_closed_flip_is_clean_and_idempotent(rendered: list[Path]) -> None:
    op = Op("set", YPath(("middleware", "ratelimit", "fail_closed")), True)
    for config in rendered:
        raw = config.read_bytes()
        first = patch_text(raw, str(config), [op], False)
        assert first.status in ("changed", "unchanged"), first.detail
        new = first.new if first.new is not None else raw
        (doc,) = parse(new.decode("utf-8"), str(config))
        assert doc.data["middleware"]["ratelimit"]["fail_closed"] is True
        assert patch_text(new, str(config), [op], False).status == "unchanged"
        if first.status == "changed":
            kept = [line for line in raw.splitlines() if line not in new.splitlines()]
            assert kept == [] or len(kept) <= 1  # at most a null parent's line is rewritten
