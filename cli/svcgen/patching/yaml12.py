"""YAML 1.2 view of a PyYAML node tree.

PyYAML resolves plain scalars with YAML 1.1 rules (``yes`` is a bool, ``0022``
an octal int). svcgen composes with a loader that leaves plain scalars
unresolved and resolves them here with the YAML 1.2 core schema, so that
``yes`` stays a string and ``true`` is the only true. Text is never re-emitted
from nodes: untouched scalars keep their bytes whatever they mean.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from svcgen.errors import InputFileError, Location

PLAIN = "?plain"
STR = "tag:yaml.org,2002:str"
SEQ = "tag:yaml.org,2002:seq"
MAP = "tag:yaml.org,2002:map"

_NULL = frozenset(("", "~", "null", "Null", "NULL"))
_TRUE = frozenset(("true", "True", "TRUE"))
_FALSE = frozenset(("false", "False", "FALSE"))
_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(nan|NaN|NAN)\Z")


@dataclass(frozen=True)
class Tagged:
    """A value with a tag outside the core schema (``!Ref x``, ``!!binary ...``)."""

    tag: str
    value: Any


@lru_cache(maxsize=8192)
def resolve_plain(text: str) -> Any:
    """The YAML 1.2 core-schema value of a plain scalar (values are immutable)."""
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    first = text[0]
    if first in "-+.0123456789":
        if _INT.match(text):
            return int(text, 10)
        if _OCT.match(text):
            return int(text[2:], 8)
        if _HEX.match(text):
            return int(text[2:], 16)
        if _FLOAT.match(text):
            return float(text)
        if _INF.match(text):
            return -math.inf if first == "-" else math.inf
        if _NAN.match(text):
            return math.nan
    return text


def _explicit(tag: str, text: str) -> Any:
    short = tag.rsplit(":", 1)[-1] if tag.startswith("tag:yaml.org,2002:") else None
    if short == "str":
        return text
    if short in ("int", "float", "bool", "null"):
        value = resolve_plain(text) if text else None
        ok = {
            "int": isinstance(value, int) and not isinstance(value, bool),
            "float": isinstance(value, (int, float)) and not isinstance(value, bool),
            "bool": isinstance(value, bool),
            "null": value is None,
        }[short]
        if ok:
            return float(value) if short == "float" and value is not None else value
    return Tagged(tag, text)


def make_loader() -> type:
    """A CSafeLoader subclass that marks untagged plain scalars as unresolved."""
    return _loader()


@lru_cache(maxsize=1)
def _loader() -> type:
    import yaml

    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    scalar, sequence = yaml.ScalarNode, yaml.SequenceNode

    class Loader12(base):  # type: ignore[misc]
        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            if kind is scalar:
                return PLAIN if implicit[0] else STR
            return SEQ if kind is sequence else MAP

        # no path resolvers are registered: skip PyYAML's per-node bookkeeping
        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            return None

        def ascend_resolver(self) -> None:
            return None

    return Loader12


@dataclass
class Doc:
    """One parsed document: its root node, data, and where it shares structure."""

    index: int
    root: Any
    data: Any
    #: ids of nodes that occur more than once (an anchor and its aliases)
    shared: set[int] = field(default_factory=set)
    #: (id(parent), slot) of children that are alias occurrences
    alias_slots: set[tuple[int, int]] = field(default_factory=set)
    #: converted key of each mapping key node, by id
    keys: dict[int, Any] = field(default_factory=dict)
    #: the data of every node, by id
    values: dict[int, Any] = field(default_factory=dict)


def is_merge_key(node: Any) -> bool:
    return bool(node.tag == PLAIN and node.value == "<<")


def scalar_value(node: Any) -> Any:
    if node.tag == PLAIN:
        return resolve_plain(node.value)
    if node.tag == STR:
        return node.value
    return _explicit(node.tag, node.value)


class _Converter:
    def __init__(self, path: str, doc: Doc) -> None:
        self.path = path
        self.doc = doc
        self.memo: dict[int, Any] = doc.values
        self.active: set[int] = set()  # collections being converted

    def where(self, node: Any) -> Location:
        return Location(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def child(self, parent: Any, slot: int, node: Any) -> Any:
        nid = id(node)
        if nid in self.active:
            raise InputFileError(
                "svcgen cannot patch a file with a recursive alias (a node inside itself)",
                where=self.where(parent),
                fix="edit it by hand",
            )
        if nid in self.memo:  # a second occurrence: an alias
            self.doc.shared.add(nid)
            self.doc.alias_slots.add((id(parent), slot))
            return self.memo[nid]
        if node.id == "scalar":
            tag = node.tag
            value = (
                resolve_plain(node.value)
                if tag == PLAIN
                else node.value
                if tag == STR
                else _explicit(tag, node.value)
            )
            self.memo[nid] = value
            return value
        return self.convert(node)

    def convert(self, node: Any) -> Any:
        if node.id == "scalar":
            value = scalar_value(node)
            self.memo[id(node)] = value
            return value
        self.active.add(id(node))
        try:
            return self._collection(node)
        finally:
            self.active.discard(id(node))

    def _collection(self, node: Any) -> Any:
        tag = node.tag
        if node.id == "sequence":
            items: list[Any] = []
            self.memo[id(node)] = items if tag == SEQ else Tagged(tag, items)
            for i, item in enumerate(node.value):
                items.append(self.child(node, i, item))
            return self.memo[id(node)]
        mapping: dict[Any, Any] = {}
        memo = self.memo
        memo[id(node)] = mapping if tag == MAP else Tagged(tag, mapping)
        keys = self.doc.keys
        for i, (knode, vnode) in enumerate(node.value):
            kid = id(knode)
            # the common case inline: a plain key seen for the first time
            if kid not in memo and knode.tag == PLAIN and knode.id == "scalar":
                key = memo[kid] = resolve_plain(knode.value)
            else:
                key = self.child(node, -1 - i, knode)
            if key.__class__ is not str:
                key = self._key(knode, key)
            if key in mapping:
                self._duplicate(node, knode, key)
            keys[kid] = key
            vid = id(vnode)
            if vid not in memo and vnode.id == "scalar":
                vtag = vnode.tag
                mapping[key] = memo[vid] = (
                    resolve_plain(vnode.value)
                    if vtag == PLAIN
                    else vnode.value
                    if vtag == STR
                    else _explicit(vtag, vnode.value)
                )
            else:
                mapping[key] = self.child(node, i, vnode)
        return memo[id(node)]

    def _key(self, knode: Any, key: Any) -> Any:
        if isinstance(key, list):
            key = tuple(key)
        if isinstance(key, dict):
            raise InputFileError(
                "svcgen cannot patch files with mapping keys that are mappings",
                where=self.where(knode),
            )
        try:
            hash(key)
        except TypeError as exc:
            raise InputFileError(
                "svcgen cannot patch files with complex mapping keys", where=self.where(knode)
            ) from exc
        return key

    def _duplicate(self, node: Any, knode: Any, key: Any) -> None:
        first = next(k for k, _ in node.value if self.doc.keys.get(id(k), _MISSING) == key)
        if type(self.doc.keys[id(first)]) is type(key):
            raise InputFileError(
                f"duplicate key {knode.value!r} (first at line {first.start_mark.line + 1})",
                where=self.where(knode),
                fix="remove one of them; YAML forbids duplicate keys",
            )
        raise InputFileError(
            f"key {knode.value!r} collides with the key {first.value!r} of another type",
            where=self.where(knode),
        )


_MISSING = object()


def yaml_error(path: str, exc: Exception, source: str = "") -> InputFileError:
    """Turn a PyYAML error into an InputFileError naming file:line:col."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = Location(path, mark.line + 1, mark.column + 1) if mark is not None else Location(path)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    fix = None
    index = getattr(mark, "index", -1)
    if 0 <= index < len(source) and source[index] == "\t":
        message = message.replace("found character", "found a tab character")
        fix = "indent with spaces, and put a space, not a tab, before a '#' comment"
    return InputFileError(message, where=where, fix=fix)


def parse(text: str, path: str) -> list[Doc]:
    """Compose every document of ``text`` and convert it to YAML 1.2 data."""
    import yaml

    try:
        roots = list(yaml.compose_all(text, Loader=_loader()))
    except yaml.YAMLError as exc:
        raise yaml_error(path, exc, text) from exc
    docs = []
    for i, root in enumerate(roots):
        doc = Doc(index=i, root=root, data=None)
        doc.data = _Converter(path, doc).convert(root) if root is not None else None
        docs.append(doc)
    return docs


def load_value(text: str, what: str) -> Any:
    """Parse a YAML 1.2 value given on the command line or in a patch file."""
    import yaml

    try:
        root = yaml.compose(text, Loader=_loader())
    except yaml.YAMLError as exc:
        raise yaml_error(what, exc) from exc
    if root is None:
        return None
    return _Converter(what, Doc(0, root, None)).convert(root)


def same(a: Any, b: Any) -> bool:
    """Equality that tells ``True`` from ``1`` and ``1`` from ``1.0``; NaN equals NaN."""
    cls = a.__class__
    if cls is not b.__class__:
        return False
    if cls is dict:
        if len(a) != len(b):
            return False
        for k, v in a.items():
            if k not in b:
                return False
            if k.__class__ is not str and not _same_key(k, b):
                return False
            if not same(v, b[k]):
                return False
        return True
    if cls is list:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if cls is float and math.isnan(a):
        return math.isnan(b)
    if cls is Tagged:
        return bool(a.tag == b.tag and same(a.value, b.value))
    return bool(a == b)


def _same_key(k: Any, b: dict[Any, Any]) -> bool:
    """Whether ``b`` holds the key ``k`` with its type (not ``1`` for ``True``)."""
    return any(other.__class__ is k.__class__ and other == k for other in b)
