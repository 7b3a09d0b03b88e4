"""Find a path in a node tree without raising: found, missing, blocked or merged."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from svcgen.patching.paths import Path, Segment, format_path
from svcgen.patching.yaml12 import Doc, is_merge_key, scalar_value

Status = Literal["found", "missing", "blocked", "merged"]


@dataclass(frozen=True)
class Slot:
    """One step of a path: ``container.value[index]`` holds ``node``."""

    container: Any
    index: int
    key_node: Any  # None in a sequence
    node: Any
    dkey: Any  # the key in the data (or the list index)
    alias: bool


@dataclass
class Resolution:
    doc: Doc
    path: Path
    status: Status
    slots: list[Slot] = field(default_factory=list)
    #: the deepest existing node (the target itself when found)
    node: Any = None
    #: the segments that do not exist yet
    rest: tuple[Segment, ...] = ()
    #: why the path cannot exist here (blocked), and where
    problem: str = ""
    problem_node: Any = None
    #: for merged: the slot in the merged-in mapping that holds the key
    merged: Slot | None = None

    @property
    def depth(self) -> int:
        return len(self.slots)

    def prefix(self, n: int | None = None) -> str:
        n = len(self.slots) if n is None else n
        return format_path(self.path.segments[:n]) if n else "the document root"


def is_null(node: Any) -> bool:
    return bool(node.id == "scalar" and node.style in (None, "") and scalar_value(node) is None)


def kind_name(node: Any) -> str:
    if node.id == "mapping":
        return "a mapping"
    if node.id == "sequence":
        return "a list"
    return f"the scalar {node.value!r}" if len(node.value) < 40 else "a scalar"


def find_key(doc: Doc, mapping: Any, seg: str) -> int | None:
    for i, (knode, _) in enumerate(mapping.value):
        key = doc.keys.get(id(knode))
        if (isinstance(key, str) and key == seg) or (
            knode.id == "scalar" and knode.style is None and knode.value == seg
        ):
            return i
    return None


def find_merged(doc: Doc, mapping: Any, seg: str, seen: set[int] | None = None) -> Slot | None:
    """The slot of ``seg`` in a mapping merged into ``mapping`` through ``<<``."""
    seen = set() if seen is None else seen
    if id(mapping) in seen:
        return None
    seen.add(id(mapping))
    for knode, vnode in mapping.value:
        if not is_merge_key(knode):
            continue
        sources = vnode.value if vnode.id == "sequence" else [vnode]
        for src in sources:
            if src.id != "mapping":
                continue
            i = find_key(doc, src, seg)
            if i is not None:
                k, v = src.value[i]
                return Slot(src, i, k, v, doc.keys.get(id(k)), True)
            deeper = find_merged(doc, src, seg, seen)
            if deeper is not None:
                return deeper
    return None


def resolve(doc: Doc, path: Path) -> Resolution:
    res = Resolution(doc, path, "found", node=doc.root)
    node = doc.root
    segs = path.segments
    for n, seg in enumerate(segs):
        if node is None or is_null(node):
            res.status, res.rest, res.node = "missing", segs[n:], node
            return res
        if node.id == "mapping":
            if isinstance(seg, int):
                return _blocked(
                    res, n, node, f"[{seg}] needs a list, but {res.prefix(n)} is a mapping"
                )
            i = find_key(doc, node, seg)
            if i is None:
                merged = find_merged(doc, node, seg)
                res.node, res.rest = node, segs[n:]
                res.status = "merged" if merged is not None else "missing"
                res.merged = merged
                return res
            knode, vnode = node.value[i]
            slot = Slot(
                node, i, knode, vnode, doc.keys.get(id(knode)), (id(node), i) in doc.alias_slots
            )
        elif node.id == "sequence":
            index = _index(seg, path.pointer)
            if index is None:
                return _blocked(
                    res, n, node, f"key {seg!r} needs a mapping, but {res.prefix(n)} is a list"
                )
            if index >= len(node.value):
                res.status, res.rest, res.node = "missing", segs[n:], node
                return res
            item = node.value[index]
            slot = Slot(node, index, None, item, index, (id(node), index) in doc.alias_slots)
        else:
            return _blocked(
                res,
                n,
                node,
                f"{format_path(segs[: n + 1])} needs a mapping or list at "
                f"{res.prefix(n)}, found {kind_name(node)}",
            )
        res.slots.append(slot)
        node = slot.node
    res.node = node
    return res


def _index(seg: Segment, pointer: bool) -> int | None:
    if isinstance(seg, int):
        return seg
    if pointer and seg.isdigit() and seg.isascii() and (seg == "0" or not seg.startswith("0")):
        return int(seg)
    if pointer and seg == "-":
        return 1 << 62
    return None


def _blocked(res: Resolution, n: int, node: Any, problem: str) -> Resolution:
    res.status, res.rest, res.node = "blocked", res.path.segments[n:], node
    res.problem, res.problem_node = problem, node
    return res
