"""Patch operations: ``set``, ``unset``, ``merge``, ``test`` and RFC 6902 JSON Patch.

A patch file is a YAML (or JSON) list. Items with an ``op`` key are RFC 6902
operations (``add``, ``remove``, ``replace``, ``move``, ``copy``, ``test``)
with JSON Pointer paths and RFC semantics: ``add`` needs the parent,
``remove`` and ``replace`` need the target, and a failed ``test`` fails the
run. Other items are svcgen operations::

    - set: middleware.ratelimit.fail_closed
      value: true
    - unset: debug.pprof
    - merge: middleware.ratelimit      # RFC 7386: null deletes, lists are replaced
      value: {fail_closed: true, burst: 20}
    - test: service.env                # failing: the file is skipped (on_fail: skip)
      value: production                # or the run fails (on_fail: error)
      on_fail: skip

``set``, ``unset`` and ``merge`` accept ``shared: override`` (write a local key
instead of changing a value that comes through a ``<<`` merge key) or
``shared: edit`` (change an anchored mapping on purpose, for every alias).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any, Literal, cast

from svcgen.errors import InputFileError, Location, UsageError
from svcgen.patching.paths import Path, parse_path, split_assignment

Kind = Literal["set", "unset", "merge", "test", "add", "remove", "replace", "move", "copy"]
Shared = Literal["error", "override", "edit"]

SVCGEN_OPS = ("set", "unset", "merge", "test")
RFC6902_OPS = ("add", "remove", "replace", "move", "copy", "test")


@dataclass(frozen=True)
class Op:
    kind: Kind
    path: Path
    value: Any = None
    #: ``move``/``copy`` source
    source: Path | None = None
    #: svcgen ``test``: skip the file (default) or fail the run
    on_fail: Literal["skip", "error"] = "skip"
    shared: Shared = "error"
    #: an RFC 6902 operation (strict semantics)
    rfc6902: bool = False
    #: where the operation was written, for messages
    origin: str = ""

    def describe(self) -> str:
        if self.kind in ("unset", "remove"):
            return f"{self.kind} {self.path}"
        if self.kind in ("move", "copy"):
            return f"{self.kind} {self.source} to {self.path}"
        from svcgen.patching.emit import flow

        return f"{self.kind} {self.path}={_short(flow(self.value))}"


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def from_cli(sets: list[str], unsets: list[str]) -> list[Op]:
    from svcgen.patching.yaml12 import load_value

    ops: list[Op] = []
    for item in sets:
        path, raw = split_assignment(item)
        value = load_value(raw, f"--set {item}")
        _reject_block_value(raw, item)
        ops.append(Op("set", path, value, origin=f"--set {item}"))
    ops.extend(Op("unset", parse_path(item), origin=f"--unset {item}") for item in unsets)
    return ops


def _reject_block_value(raw: str, item: str) -> None:
    import yaml

    from svcgen.patching.yaml12 import make_loader

    root: Any = yaml.compose(raw, Loader=make_loader())
    if root is not None and root.id != "scalar" and root.flow_style is False:
        raise UsageError(
            f"--set {item!r}: VALUE must be a scalar or a flow value",
            fix="write mappings as {a: 1, b: 2} and lists as [a, b]",
        )


def load_patch_file(path: FsPath) -> list[Op]:
    """Read a patch file; every problem names its file:line:col."""
    import yaml

    from svcgen.patching.yaml12 import Doc, _Converter, make_loader, yaml_error

    where = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read patch file: {exc}", where=where) from exc
    try:
        root: Any = yaml.compose(text, Loader=make_loader())
    except yaml.YAMLError as exc:
        raise yaml_error(where, exc) from exc
    if root is None or root.id != "sequence" or not root.value:
        raise InputFileError(
            "a patch file must be a non-empty list of operations",
            where=_loc(where, root) if root is not None else where,
            fix="see docs/patch-config.md",
        )
    ops: list[Op] = []
    for node in root.value:
        loc = _loc(where, node)
        if node.id != "mapping":
            raise InputFileError("each operation must be a mapping", where=loc)
        conv = _Converter(where, Doc(0, node, None))
        item = conv.convert(node)
        if any(not isinstance(k, str) for k in item):
            raise InputFileError("operation keys must be strings", where=loc)
        ops.append(_op(item, loc))
    return ops


def _loc(path: str, node: Any) -> Location:
    return Location(path, node.start_mark.line + 1, node.start_mark.column + 1)


def _path(value: Any, loc: Location, pointer: bool) -> Path:
    if not isinstance(value, str):
        raise InputFileError("a path must be a string", where=loc)
    if pointer and value != "" and not value.startswith("/"):
        raise InputFileError(
            f"RFC 6902 paths are JSON Pointers: {value!r} does not start with '/'", where=loc
        )
    if value == "":
        raise InputFileError("svcgen cannot replace a whole document; name a key", where=loc)
    try:
        return parse_path(value)
    except UsageError as exc:
        raise InputFileError(exc.problem, where=loc, fix=exc.fix) from exc


def _check_keys(item: dict[str, Any], allowed: set[str], loc: Location) -> None:
    extra = sorted(set(item) - allowed)
    if extra:
        raise InputFileError(
            f"unknown field {extra[0]!r}", where=loc, fix="allowed: " + ", ".join(sorted(allowed))
        )


def _op(item: dict[str, Any], loc: Location) -> Op:
    origin = str(loc)
    if "op" in item:
        kind = cast(Kind, item["op"])
        if kind not in RFC6902_OPS:
            raise InputFileError(
                f"unknown RFC 6902 op {kind!r}", where=loc, fix="one of " + ", ".join(RFC6902_OPS)
            )
        needs_value = kind in ("add", "replace", "test")
        allowed = {"op", "path"} | ({"value"} if needs_value else set())
        allowed |= {"from"} if kind in ("move", "copy") else set()
        _check_keys(item, allowed, loc)
        for required in sorted(allowed):
            if required not in item:
                raise InputFileError(f"{kind!r} needs {required!r}", where=loc)
        source = _path(item["from"], loc, True) if "from" in item else None
        return Op(
            kind,
            _path(item["path"], loc, True),
            item.get("value"),
            source=source,
            on_fail="error",
            rfc6902=True,
            origin=origin,
        )
    kinds = [k for k in SVCGEN_OPS if k in item]
    if len(kinds) != 1:
        raise InputFileError(
            "an operation needs exactly one of set, unset, merge, test (or RFC 6902 'op')",
            where=loc,
        )
    kind = cast(Kind, kinds[0])
    allowed = {kind} | (set() if kind == "unset" else {"value"})
    allowed |= {"on_fail"} if kind == "test" else {"shared"}
    _check_keys(item, allowed, loc)
    if kind != "unset" and "value" not in item:
        raise InputFileError(f"{kind!r} needs 'value'", where=loc)
    if kind == "merge" and not isinstance(item["value"], dict):
        raise InputFileError("'merge' needs a mapping as its value", where=loc)
    on_fail = item.get("on_fail", "skip")
    if on_fail not in ("skip", "error"):
        raise InputFileError("on_fail must be 'skip' or 'error'", where=loc)
    shared = item.get("shared", "error")
    if shared not in ("error", "override", "edit"):
        raise InputFileError("shared must be 'error', 'override' or 'edit'", where=loc)
    path_text = item[kind]
    return Op(
        kind,
        _path(path_text, loc, isinstance(path_text, str) and path_text.startswith("/")),
        item.get("value"),
        on_fail=on_fail,
        shared=shared,
        origin=origin,
    )
