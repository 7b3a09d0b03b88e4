"""Property tests: generate mappings, write them in varied styles, patch them,
then check the result with an independent YAML 1.2 parser (ruamel.yaml) and
check that every line outside the change is byte-identical."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from svcgen.patching.engine import patch_text
from svcgen.patching.ops import Op
from svcgen.patching.paths import Path

KEYS = st.sampled_from(
    ["name", "port", "a.b", "app.kubernetes.io/name", "yes", "on", "1.10", "x y", "k-8", "ñ"]
)
SCALARS = st.one_of(
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.none(),
    st.sampled_from(["yes", "on", "0022", "1.10", "0x64", "${VAR}", "a: b", "# no", "", "ok"]),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12),
)
TREES = st.recursive(
    st.one_of(SCALARS, st.lists(SCALARS, min_size=1, max_size=3)),
    lambda inner: st.dictionaries(KEYS, inner, min_size=1, max_size=4),
    max_leaves=12,
).filter(lambda t: isinstance(t, dict))


@dataclass(frozen=True)
class Style:
    indent: int
    seq_indent: bool
    comments: bool
    blank_lines: bool
    crlf: bool
    flow_leaves: bool


STYLES = st.builds(
    Style,
    st.sampled_from([2, 4]),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)


def q(value: Any) -> str:
    """An independent scalar writer: JSON for anything that is not trivially plain."""
    if (
        isinstance(value, str)
        and value.isidentifier()
        and value.lower() not in ("yes", "on", "no", "true", "false", "null", "y", "n", "off")
    ):
        return value
    if value is None:
        return "null"
    return json.dumps(value, ensure_ascii=False)


def dump(tree: dict[str, Any], style: Style, depth: int = 0) -> list[str]:
    lines: list[str] = []
    pad = " " * (style.indent * depth)
    for i, (k, v) in enumerate(tree.items()):
        if style.blank_lines and depth == 0 and i:
            lines.append("")
        if isinstance(v, dict) and style.flow_leaves and depth >= 1:
            inner = ", ".join(f"{q(a)}: {q(b)}" for a, b in v.items() if not isinstance(b, dict))
            if all(not isinstance(b, dict) for b in v.values()):
                lines.append(f"{pad}{q(k)}: {{{inner}}}")
                continue
        if isinstance(v, dict):
            lines.append(f"{pad}{q(k)}:" + ("  # section" if style.comments else ""))
            lines.extend(dump(v, style, depth + 1))
        elif isinstance(v, list):
            lines.append(f"{pad}{q(k)}:")
            dash = pad + (" " * style.indent if style.seq_indent else "")
            lines.extend(f"{dash}- {q(item)}" for item in v)
        else:
            lines.append(f"{pad}{q(k)}: {q(v)}" + ("   # note" if style.comments else ""))
    return lines


def render(tree: dict[str, Any], style: Style) -> str:
    nl = "\r\n" if style.crlf else "\n"
    return nl.join(dump(tree, style)) + nl


def ruamel_load(text: str) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(text)


def paths_of(tree: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix] if prefix else []
    if isinstance(tree, dict):
        for k, v in tree.items():
            out.extend(paths_of(v, (*prefix, k)))
    return out


def get(tree: Any, path: tuple[str, ...]) -> Any:
    for k in path:
        tree = tree[k]
    return tree


def lines_of(data: bytes) -> list[str]:
    return data.decode("utf-8").splitlines(keepends=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TREES, STYLES, st.data())
def test_set_existing_or_new(tree: dict[str, Any], style: Style, data: st.DataObject) -> None:
    text = render(tree, style)
    assert ruamel_load(text) == tree  # the generator writes what it means
    existing = paths_of(tree)
    target = data.draw(st.sampled_from(existing))
    new_key = data.draw(st.booleans()) and isinstance(get(tree, target), dict)
    value = data.draw(SCALARS)
    path = (*target, data.draw(KEYS)) if new_key else target
    expected = copy.deepcopy(tree)
    parent = get(expected, path[:-1])
    if not isinstance(parent, dict):
        return
    parent[path[-1]] = value
    raw = text.encode("utf-8")
    result = patch_text(raw, "t.yaml", [Op("set", Path(path), value)], only_existing=False)
    new = result.new if result.new is not None else raw
    assert result.status in ("changed", "unchanged"), result.detail
    assert ruamel_load(new.decode("utf-8")) == expected
    before, after = lines_of(raw), lines_of(new)
    existed = path == target or path[-1] in get(tree, target)
    old = get(tree, path) if existed else None
    if result.status == "unchanged":
        assert new == raw
    elif existed and not isinstance(old, (dict, list)):
        # a scalar changed: only the value's own line differs
        assert len(before) == len(after)
        assert sum(a != b for a, b in zip(before, after, strict=True)) == 1
    else:
        # lines were inserted, or a replaced mapping's lines were rewritten
        replaced = len(dump({"k": old}, style, 0)) if isinstance(old, (dict, list)) else 0
        _assert_mostly_kept(before, after, 1 + replaced)
    for line in after:
        if line.endswith("\n"):
            assert line.endswith("\r\n") == style.crlf


def _assert_mostly_kept(before: list[str], after: list[str], allowed: int) -> None:
    import difflib

    sm = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    removed = sum(i2 - i1 for tag, i1, i2, _, _ in sm.get_opcodes() if tag in ("replace", "delete"))
    assert removed <= allowed, list(difflib.unified_diff(before, after))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TREES, STYLES, st.data())
def test_unset_removes_only_that_key(
    tree: dict[str, Any], style: Style, data: st.DataObject
) -> None:
    text = render(tree, style)
    target = data.draw(st.sampled_from(paths_of(tree)))
    expected = copy.deepcopy(tree)
    del get(expected, target[:-1])[target[-1]]
    raw = text.encode("utf-8")
    result = patch_text(raw, "t.yaml", [Op("unset", Path(target))], only_existing=False)
    assert result.status == "changed", result.detail
    assert result.new is not None
    assert ruamel_load(result.new.decode("utf-8")) == expected
    again = patch_text(result.new, "t.yaml", [Op("unset", Path(target))], only_existing=False)
    assert again.status == "unchanged"


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(KEYS, SCALARS, max_size=3))
)
def test_emitted_values_read_back(value: Any) -> None:
    """Whatever svcgen writes reads back as the same value with ruamel.yaml (YAML 1.2)."""
    from svcgen.patching import emit

    text = "k: " + emit.flow(value) + "\n"
    assert ruamel_load(text) == {"k": value}
