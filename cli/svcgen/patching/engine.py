"""Patch one file in memory: locate, splice, verify. Never writes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from svcgen.errors import InputFileError, InternalError, Location, SvcgenError
from svcgen.patching import edit
from svcgen.patching.locate import Resolution, Slot, is_null, kind_name, resolve
from svcgen.patching.ops import Op
from svcgen.patching.paths import Path, format_path
from svcgen.patching.yaml12 import Doc, parse, same

#: "rolled back" and "not written": a changed file after the write phase failed
#: (written then restored, or never reached)
Status = Literal["changed", "unchanged", "skipped", "error", "rolled back", "not written"]
BOM = "\ufeff"


@dataclass
class FileResult:
    path: str
    status: Status
    detail: str
    #: the new bytes of a changed file
    new: bytes | None = None
    #: the original bytes, to check nothing changed them before writing
    old: bytes | None = None
    diff: str = ""
    exit_code: int = 0
    lines: list[int] = field(default_factory=list)
    #: (st_dev, st_ino, st_size, st_mtime_ns, st_mode) when the file was read
    stamp: tuple[int, ...] = ()
    #: (temporary file, file it replaces) once the new text is staged
    staged: tuple[str, str] | None = None
    #: the staged temporary file has been fsynced (by the planning process)
    synced: bool = False
    #: per key: {"op", "path", "action": created|replaced|removed, "line", "column"}
    changes: list[dict[str, Any]] = field(default_factory=list)
    #: new top-level keys and new maps a set/merge created (likely typos)
    created: list[str] = field(default_factory=list)
    #: for some of ``created``: the existing key it probably meant
    did_you_mean: dict[str, str] = field(default_factory=dict)
    #: how the file is written: "replace" (temp file + rename) or "in place (why)"
    write_mode: str = ""
    #: the file written (symlinks followed), and its owner and group
    target: str = ""
    owner: tuple[int, int] = (-1, -1)


class TestFailed(Exception):
    """A svcgen ``test`` with ``on_fail: skip`` did not hold."""


def local_step(res: Resolution) -> int:
    """The indentation step around the mapping a new key goes into."""
    node = res.node
    if node is not None and node.id == "mapping" and not node.flow_style and node.value:
        col = node.value[0][0].start_mark.column
        for _, v in node.value:
            if v.id == "mapping" and not v.flow_style and v.value:
                step = v.value[0][0].start_mark.column - col
                if step > 0:
                    return int(step)
        if res.slots and res.slots[-1].container.id == "mapping":
            step = col - res.slots[-1].container.value[0][0].start_mark.column
            if step > 0:
                return int(step)
    if node is not None and is_null(node) and len(res.slots) >= 2:
        outer, inner = res.slots[-2].container, res.slots[-1].container
        if outer.id == inner.id == "mapping" and not inner.flow_style:
            step = inner.value[0][0].start_mark.column - outer.value[0][0].start_mark.column
            if step > 0:
                return int(step)
    return indent_step(res.doc.root)


def indent_step(root: Any) -> int:
    """The indentation step of nested block mappings in this document (default 2)."""
    todo = [root] if root is not None else []
    while todo:
        node = todo.pop()
        if node.id != "mapping" or node.flow_style:
            if node.id == "sequence":
                todo.extend(node.value)
            continue
        col = node.value[0][0].start_mark.column if node.value else 0
        for _, v in node.value:
            if v.id == "mapping" and not v.flow_style and v.value:
                step = v.value[0][0].start_mark.column - col
                if step > 0:
                    return int(step)
            todo.append(v)
    return 2


class Patcher:
    def __init__(
        self, path: str, text: str, nl: str, only_existing: bool, strict_paths: bool = False
    ) -> None:
        self.path = path
        self.t = edit.Text(text, path, nl)
        self.docs = parse(text, path)
        self.only_existing = only_existing
        self.strict_paths = strict_paths
        self.expected: list[Any] | None = None
        self.notes: list[str] = []
        self.skipped: list[str] = []
        self.lines: list[int] = []
        #: per-key changes; created/replaced hold a text offset until :meth:`finish`
        self.changes: list[dict[str, Any]] = []
        self.created: list[str] = []
        self.did_you_mean: dict[str, str] = {}

    # -- plumbing ------------------------------------------------------------
    def where(self, node: Any) -> Location:
        return self.t.where(node)

    def commit(self, doc: Doc, splices: list[edit.Splice], mutate: Callable[[Any], Any]) -> None:
        if self.expected is None:
            # the data of the original parse becomes the expectation: once the text is
            # re-parsed below, nothing else refers to it
            self.expected = [d.data for d in self.docs]
        data = self.expected[doc.index]
        new_root = mutate(data)
        if new_root is not None:
            self.expected[doc.index] = new_root
        first = min(s[0] for s in splices)
        self.lines.append(self.t.text.count("\n", 0, first) + 1)
        for change in self.changes:
            if "offset" in change:
                change["offset"] = _shift(change["offset"], splices)
        self.t.text = edit.apply(self.t.text, splices)
        try:
            self.docs = parse(self.t.text, self.path)
        except SvcgenError as exc:
            raise InternalError(
                f"the patched text does not parse: {exc.problem}", where=self.path
            ) from exc

    def verify(self) -> None:
        if self.expected is None:
            return
        actual = [d.data for d in self.docs]
        if len(actual) != len(self.expected) or not same(actual, self.expected):
            raise InternalError(
                "the patched file does not parse to the original plus the intended change",
                where=self.path,
            )

    @staticmethod
    def walk(data: Any, keys: list[Any]) -> Any:
        for k in keys:
            data = data[k]
        return data

    def note(self, op: Op, what: str) -> None:
        self.notes.append(what if what else op.describe())

    # -- per-key change records -------------------------------------------------
    def record(self, op: Op, action: str, doc_index: int, path: Path) -> None:
        """Record a created or replaced key: its position is looked up in the new
        text now, and follows later splices."""
        res = resolve(self.docs[doc_index], path) if doc_index >= 0 else None
        offset = 0
        if res is not None and res.slots:
            slot = res.slots[-1]
            node = slot.key_node if slot.key_node is not None else slot.node
            offset = node.start_mark.index
        elif self.docs and doc_index < 0:
            offset = self.docs[0].root.start_mark.index
        self.changes.append(
            {"op": op.kind, "path": format_path(path.segments), "action": action, "offset": offset}
        )

    def record_removal(self, op: Op, path: Path, node: Any) -> None:
        """Record a removed key at the place it had before it was removed."""
        mark = node.start_mark
        self.changes.append(
            {
                "op": op.kind,
                "path": format_path(path.segments),
                "action": "removed",
                "line": mark.line + 1,
                "column": mark.column + 1,
            }
        )

    def finish(self) -> list[dict[str, Any]]:
        """The change records with line and column (1-based) in the final text."""
        out = []
        for recorded in self.changes:
            change = dict(recorded)
            if "offset" in change:
                off = change.pop("offset")
                change["line"] = self.t.text.count("\n", 0, off) + 1
                change["column"] = off - self.t.line_start(off) + 1
            out.append(change)
        return out

    def check_creation(self, op: Op, res: Resolution | None, path: Path, value: Any) -> None:
        """Flag a set/merge that creates a new top-level key or a new map: the most
        likely sign of a misspelled path. With --strict-paths it is an error."""
        if op.kind not in ("set", "merge"):
            return
        rest = res.rest if res is not None else path.segments
        depth = len(path.segments) - len(rest)
        new: tuple[Any, ...] = ()
        if len(rest) > 1:  # missing parents become new maps
            new = path.segments[:-1]
        elif (isinstance(value, dict) and value) or depth == 0:  # a new map or top-level key
            new = path.segments
        if not new:
            return
        created = format_path(new)
        hint = ""
        parent = res.node if res is not None else None
        if parent is not None and parent.id == "mapping" and isinstance(rest[0], str):
            import difflib

            keys = [k.value for k, _ in parent.value if k.id == "scalar"]
            close = difflib.get_close_matches(rest[0], keys, n=1, cutoff=0.75)
            if close:
                hint = format_path((*path.segments[:depth], close[0]))
        if self.strict_paths:
            where: Location | str = self.path
            if parent is not None and parent.id == "mapping" and depth > 0:
                where = self.where(parent)
            missing = format_path(path.segments[: depth + 1])
            raise InputFileError(
                f"{path}: {missing} does not exist, and --strict-paths lets only the leaf "
                "key be new, in a mapping that exists",
                where=where,
                fix=(f"did you mean {hint}? " if hint else "")
                + "check the spelling, or drop --strict-paths to create it",
            )
        if created not in self.created:
            self.created.append(created)
            if hint:
                self.did_you_mean[created] = hint

    # -- document selection ----------------------------------------------------
    def select(self, path: Path, creating: bool) -> list[int]:
        """The documents an operation on ``path`` applies to.

        Every document that has the whole path; else, when creating, the only
        document, or the one document that has the longest part of the path.
        Anything else is ambiguous, and an error."""
        if not self.docs:
            return [-1] if creating else []
        found = [resolve(d, path) for d in self.docs]
        full = [r.doc.index for r in found if r.status == "found"] or [
            r.doc.index for r in found if r.status == "merged" and len(r.rest) == 1
        ]
        if full or not creating:
            return full
        if len(self.docs) == 1:
            return [0]
        open_ = [r for r in found if r.status == "missing" and r.node is not None]
        best = max((r.depth for r in open_), default=0)
        blocked = [r for r in found if r.status == "blocked" and r.depth >= best]
        if blocked:
            raise self._blocked(blocked[0])
        cands = [
            r.doc.index for r in open_ if r.depth == best and (best > 0 or r.node.id == "mapping")
        ]
        if len(cands) == 1:
            return cands
        if not cands:
            raise InputFileError(
                f"{path} is in none of the {len(self.docs)} documents, and none can take it",
                where=self.path,
            )
        starts = ", ".join(str(self.docs[i].root.start_mark.line + 1) for i in cands)
        raise InputFileError(
            f"{path} is in none of the {len(self.docs)} documents, and it could be created in "
            f"more than one (documents starting at lines {starts}); svcgen will not guess",
            where=self.path,
            fix="use --only-existing, or split the file, or add the key by hand to one document",
        )

    def _blocked(self, res: Resolution) -> InputFileError:
        return InputFileError(
            f"{res.problem}", where=self.where(res.problem_node), fix=f"check the path {res.path}"
        )

    def _check_shared(self, res: Resolution, op: Op, through: list[Slot]) -> None:
        doc = res.doc
        for slot in through:
            shared = slot.alias or id(slot.node) in doc.shared
            if shared and op.shared != "edit":
                anchor = slot.node.start_mark.line + 1
                node = slot.key_node if slot.key_node is not None else slot.node
                what = "an alias" if slot.alias else "an anchor that aliases also use"
                raise InputFileError(
                    f"{res.path}: {format_path(res.path.segments[: through.index(slot) + 1])} "
                    f"is {what} (anchor at line {anchor}); changing it would change every "
                    "node that uses the anchor",
                    where=self.where(node),
                    fix="edit it by hand, or use a patch file with `shared: edit` to change the "
                    "anchor on purpose",
                )

    # -- operations ------------------------------------------------------------
    def run(self, ops: list[Op]) -> None:
        for op in ops:
            {
                "set": self.op_set,
                "unset": self.op_unset,
                "merge": self.op_merge,
                "test": self.op_test,
                "add": self.op_add,
                "remove": self.op_remove,
                "replace": self.op_replace,
                "move": self.op_move,
                "copy": self.op_copy,
            }[op.kind](op)
        self.verify()

    def op_set(self, op: Op) -> None:
        docs = self.select(op.path, creating=not self.only_existing)
        if not docs:
            self.skipped.append(f"{op.path} not found")
        for i in docs:
            self.set_in(i, op.path, op.value, op)

    def op_unset(self, op: Op) -> None:
        for i in self.select(op.path, creating=False):
            self.unset_in(i, op.path, op)

    def op_merge(self, op: Op) -> None:
        docs = self.select(op.path, creating=not self.only_existing)
        if not docs:
            self.skipped.append(f"{op.path} not found")
        for i in docs:
            self.merge_in(i, op.path, op.value, op)

    def values_at(self, path: Path) -> list[Any]:
        out = []
        for doc in self.docs:
            res = resolve(doc, path)
            if res.status == "found":
                out.append(doc.values[id(res.node)])
            elif res.status == "merged" and len(res.rest) == 1 and res.merged is not None:
                out.append(doc.values[id(res.merged.node)])
        return out

    def op_test(self, op: Op) -> None:
        from svcgen.patching.emit import flow

        found = self.values_at(op.path)
        if found and all(same(v, op.value) for v in found):
            return
        actual = "missing" if not found else flow(found[0]) if len(found) == 1 else "different"
        message = f"test failed: {op.path} is {actual}, expected {flow(op.value)} ({op.origin})"
        if op.on_fail == "skip":
            raise TestFailed(message)
        raise InputFileError(message, where=self.path)

    # -- primitives --------------------------------------------------------------
    def set_in(self, i: int, path: Path, value: Any, op: Op, create: bool = True) -> None:
        if i < 0:
            self.set_empty(path, value, op)
            return
        doc = self.docs[i]
        res = resolve(doc, path)
        if res.status == "blocked":
            raise self._blocked(res)
        if res.status == "found":
            self._replace(doc, res, value, op)
            return
        if res.status == "merged":
            assert res.merged is not None
            self._check_override(res, op)
            if same(doc.values[id(res.merged.node)], value):
                return
        elif self.only_existing or not create:
            self.skipped.append(f"{path} not found")
            return
        self._create(doc, res, value, op)

    def _replace(self, doc: Doc, res: Resolution, value: Any, op: Op) -> None:
        if not res.slots:
            raise self.t.unsupported(doc.root, "a whole document")
        slot = res.slots[-1]
        self._check_shared(res, op, res.slots[:-1])
        if same(doc.values[id(res.node)], value):
            return
        if id(res.node) in doc.shared and not slot.alias:
            self._check_shared(res, op, res.slots)
            if res.node.id == "scalar":
                raise InputFileError(
                    f"{res.path} is an anchored value that aliases use",
                    where=self.where(res.node),
                    fix="edit it by hand",
                )
        keys = [s.dkey for s in res.slots]
        splices = edit.set_slot(self.t, doc, slot, res.node, value, local_step(res))
        self.commit(doc, splices, lambda d: _put(self.walk(d, keys[:-1]), keys[-1], value))
        self.note(op, f"set {res.path}")
        self.record(op, "replaced", doc.index, res.path)

    def _empty_last_document(self, doc: Doc) -> bool:
        """An empty last document (``---`` and comments only): keys can go at the end."""
        root = doc.root
        if doc.index != len(self.docs) - 1 or root.start_mark.index != root.end_mark.index:
            return False
        rest = self.t.text[root.end_mark.index :].splitlines()
        return all(not line.strip() or line.lstrip().startswith("#") for line in rest)

    def _check_override(self, res: Resolution, op: Op) -> None:
        assert res.merged is not None
        if op.shared != "override":
            raise InputFileError(
                f"{res.path} comes from a `<<` merge key (anchor at line "
                f"{res.merged.container.start_mark.line + 1}); changing the anchor would "
                "change every mapping that merges it",
                where=self.where(res.node),
                fix="use a patch file with `shared: override` to add a local key that "
                "overrides it here",
            )
        if len(res.rest) > 1:
            raise InputFileError(
                f"{res.path}: cannot override below {res.prefix(res.depth + 1)}, which comes "
                "from a `<<` merge key",
                where=self.where(res.node),
                fix=f"override {res.prefix(res.depth + 1)} as a whole",
            )

    def _create(self, doc: Doc, res: Resolution, value: Any, op: Op) -> None:
        """Create a missing key (and its missing parents) or a local override."""
        self._check_shared(res, op, res.slots)
        if res.status != "merged":
            self.check_creation(op, res, res.path, value)
        parent, path = res.node, res.path
        keys = [s.dkey for s in res.slots]
        nested = value
        for seg in reversed(res.rest[1:]):
            if isinstance(seg, int):
                raise InputFileError(
                    f"{path}: cannot create a list for [{seg}]",
                    where=self.where(parent),
                    fix="create the list first, e.g. --set 'a.list=[x]'",
                )
            nested = {seg: nested}
        key = res.rest[0]
        step = local_step(res)
        if parent.id == "sequence":
            raise InputFileError(
                f"{path}: index {key} is out of range "
                f"({res.prefix()} has {len(parent.value)} items)",
                where=self.where(parent),
                fix="use an index that exists",
            )
        if isinstance(key, int):
            raise (
                self._blocked(res)
                if res.status == "blocked"
                else InputFileError(
                    f"{path}: [{key}] needs a list, found {kind_name(parent)} at {res.prefix()}",
                    where=self.where(parent),
                )
            )
        if parent.id == "mapping":
            splices = edit.insert_key(self.t, doc, parent, key, nested, step)
            self.commit(doc, splices, lambda d: _put(self.walk(d, keys), key, nested))
        elif is_null(parent) and res.slots:
            whole = {key: nested}
            splices = edit.set_slot(self.t, doc, res.slots[-1], parent, whole, step)
            self.commit(doc, splices, lambda d: _put(self.walk(d, keys[:-1]), keys[-1], whole))
        elif is_null(parent) and self._empty_last_document(doc):
            from svcgen.patching.emit import block_entry

            whole = {key: nested}
            lines = block_entry(key, nested, "", step)
            splices = [self.t.lines_at(len(self.t.text), lines)]
            self.commit(doc, splices, lambda d: copy.deepcopy(whole))
        elif is_null(parent):
            raise self.t.unsupported(parent, "this empty document (it is followed by more text)")
        else:
            raise InputFileError(
                f"{path} needs a mapping at {res.prefix()}, found {kind_name(parent)}",
                where=self.where(parent),
            )
        self.note(op, f"set {path}")
        self.record(op, "created", doc.index, path)

    def set_empty(self, path: Path, value: Any, op: Op) -> None:
        """Create the first document of a file that has none (empty or only comments)."""
        from svcgen.patching.emit import block_entry

        nested = value
        for seg in reversed(path.segments[1:]):
            nested = {seg: nested}
        key = path.segments[0]
        if isinstance(key, int):
            raise InputFileError(f"{path}: the file is empty; cannot index a list", where=self.path)
        self.check_creation(op, None, path, value)
        lines = block_entry(key, nested, "", 2)
        splices = [self.t.lines_at(len(self.t.text), lines)]
        if self.expected is None:
            self.expected = []
        self.expected.append({key: copy.deepcopy(nested)})
        self.t.text = edit.apply(self.t.text, splices)
        self.lines.append(self.t.text.count("\n") + 1 - len(lines))
        self.docs = parse(self.t.text, self.path)
        self.note(op, f"set {path}")
        self.record(op, "created", len(self.docs) - 1, path)

    def unset_in(self, i: int, path: Path, op: Op, must_exist: bool = False) -> None:
        doc = self.docs[i]
        res = resolve(doc, path)
        if res.status == "merged":
            raise InputFileError(
                f"{path} comes from a `<<` merge key; it cannot be removed here",
                where=self.where(res.node),
                fix="remove it from the anchored mapping by hand",
            )
        if res.status != "found":
            if must_exist:
                raise InputFileError(f"{op.describe()}: {path} does not exist", where=self.path)
            return
        if not res.slots:
            raise self.t.unsupported(doc.root, "a whole document")
        slot = res.slots[-1]
        self._check_shared(res, op, res.slots[:-1])
        if id(res.node) in doc.shared and not slot.alias:
            raise InputFileError(
                f"{path} is an anchor that aliases use; removing it would break them",
                where=self.where(res.node),
                fix="edit it by hand",
            )
        keys = [s.dkey for s in res.slots]
        container = slot.container
        self.record_removal(op, path, slot.key_node if slot.key_node is not None else slot.node)
        if len(container.value) >= 2:
            splices = edit.delete_entry(self.t, doc, container, slot.index)
        else:
            empty: Any = {} if container.id == "mapping" else []
            cslot = res.slots[-2] if len(res.slots) >= 2 else None
            splices = edit.set_slot(self.t, doc, cslot, container, empty, indent_step(doc.root))

        def mutate(d: Any) -> None:
            del self.walk(d, keys[:-1])[keys[-1]]

        self.commit(doc, splices, mutate)
        self.note(op, f"unset {path}")

    def merge_in(self, i: int, path: Path, value: dict[Any, Any], op: Op) -> None:
        if i < 0:
            self.set_empty(path, _drop_nulls(value), op)
            return
        res = resolve(self.docs[i], path)
        if res.status != "found" or res.node.id != "mapping":
            self.set_in(i, path, _drop_nulls(value), op)
            return
        for k, v in value.items():
            if not isinstance(k, str):
                raise InputFileError(f"merge keys must be strings, found {k!r}", where=op.origin)
            sub = path.child(k)
            if v is None:
                self.unset_in(i, sub, op)
                continue
            child = resolve(self.docs[i], sub)
            if isinstance(v, dict) and v and child.status == "found" and child.node.id == "mapping":
                self.merge_in(i, sub, v, op)
            else:
                self.set_in(i, sub, v, op)

    # -- RFC 6902 ------------------------------------------------------------------
    def op_add(self, op: Op) -> None:
        for i in self.select(op.path, creating=True):
            self.add_in(i, op.path, op.value, op)

    def add_in(self, i: int, path: Path, value: Any, op: Op) -> None:
        if i < 0:
            raise InputFileError(f"{op.describe()}: the file has no document", where=self.path)
        doc = self.docs[i]
        parent = resolve(doc, path.parent())
        if parent.status != "found":
            raise InputFileError(
                f"{op.describe()}: the parent {path.parent()} does not exist ({op.origin})",
                where=self.path,
            )
        node = parent.node
        if node.id == "sequence":
            last = path.segments[-1]
            index = len(node.value) if last == "-" else _int(last)
            if index is None or index > len(node.value):
                raise InputFileError(
                    f"{op.describe()}: bad list index {last!r} ({op.origin})",
                    where=self.where(node),
                )
            self._check_shared(parent, op, parent.slots)
            keys = [s.dkey for s in parent.slots]
            splices = edit.insert_item(self.t, doc, node, index, value, indent_step(doc.root))
            self.commit(
                doc, splices, lambda d: self.walk(d, keys).insert(index, copy.deepcopy(value))
            )
            self.note(op, f"add {path}")
            self.record(op, "created", doc.index, path.parent().child(index))
            return
        self.set_in(i, path, value, op)

    def op_remove(self, op: Op) -> None:
        docs = self.select(op.path, creating=False)
        if not docs:
            raise InputFileError(
                f"{op.describe()}: {op.path} does not exist ({op.origin})", where=self.path
            )
        for i in docs:
            self.unset_in(i, op.path, op, must_exist=True)

    def op_replace(self, op: Op) -> None:
        docs = self.select(op.path, creating=False)
        if not docs:
            raise InputFileError(
                f"{op.describe()}: {op.path} does not exist ({op.origin})", where=self.path
            )
        for i in docs:
            self.set_in(i, op.path, op.value, op, create=False)

    def _source(self, op: Op) -> Any:
        assert op.source is not None
        found = self.values_at(op.source)
        if len(found) != 1:
            raise InputFileError(
                f"{op.describe()}: {op.source} must exist in exactly one document ({op.origin})",
                where=self.path,
            )
        return copy.deepcopy(found[0])

    def op_move(self, op: Op) -> None:
        assert op.source is not None
        if op.path.segments[: len(op.source.segments)] == op.source.segments:
            raise InputFileError(
                f"{op.describe()}: cannot move a value into itself", where=op.origin
            )
        value = self._source(op)
        self.op_remove(Op("remove", op.source, origin=op.origin, rfc6902=True))
        self.op_add(Op("add", op.path, value, origin=op.origin, rfc6902=True, shared=op.shared))

    def op_copy(self, op: Op) -> None:
        value = self._source(op)
        self.op_add(Op("add", op.path, value, origin=op.origin, rfc6902=True, shared=op.shared))


def _put(container: Any, key: Any, value: Any) -> None:
    container[key] = copy.deepcopy(value)


def _int(seg: Any) -> int | None:
    if isinstance(seg, int):
        return seg
    return int(seg) if isinstance(seg, str) and seg.isdigit() else None


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    return value


def decode(raw: bytes, path: str) -> tuple[str, bool, str]:
    """Text without BOM, whether there was a BOM, and the line break to use."""
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw[3 if bom else 0 :].decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputFileError(
            "not UTF-8 text", where=Location(path, line), fix="svcgen patches UTF-8 YAML files"
        ) from exc
    nl = "\r\n" if "\r\n" in text else "\n"
    return text, bom, nl


def patch_text(
    raw: bytes, path: str, ops: list[Op], only_existing: bool, strict_paths: bool = False
) -> FileResult:
    """Plan the patch of one file's bytes. Raises SvcgenError for bad input."""
    text, bom, nl = decode(raw, path)
    patcher = Patcher(path, text, nl, only_existing, strict_paths)
    try:
        patcher.run(ops)
    except TestFailed as exc:
        return FileResult(path, "skipped", str(exc), old=raw)
    new_text = patcher.t.text
    if new_text == text:
        if patcher.skipped:
            return FileResult(
                path, "skipped", "; ".join(patcher.skipped) + " (--only-existing)", old=raw
            )
        return FileResult(path, "unchanged", "already up to date", old=raw)
    detail = _summary(patcher.notes, patcher.lines)
    if patcher.created:
        hints = patcher.did_you_mean
        detail += "".join(
            f"; created {c}" + (f" (did you mean {hints[c]}?)" if c in hints else "")
            for c in patcher.created
        )
    if patcher.skipped:
        detail += "; skipped: " + "; ".join(patcher.skipped)
    new = ((BOM if bom else "") + new_text).encode("utf-8")
    return FileResult(
        path,
        "changed",
        detail,
        new=new,
        old=raw,
        lines=patcher.lines,
        changes=patcher.finish(),
        created=list(patcher.created),
        did_you_mean=dict(patcher.did_you_mean),
    )


def _shift(offset: int, splices: list[edit.Splice]) -> int:
    """Where text at ``offset`` is once ``splices`` are applied."""
    delta = 0
    for start, end, new in splices:
        if end <= offset:
            delta += len(new) - (end - start)
        elif start < offset < end:
            return start + delta
    return offset + delta


def _summary(notes: list[str], lines: list[int]) -> str:
    parts = [f"{n} (line {ln})" for n, ln in zip(notes, lines, strict=False)][:3]
    if len(notes) > 3:
        parts.append(f"+{len(notes) - 3} more")
    return "; ".join(parts)
