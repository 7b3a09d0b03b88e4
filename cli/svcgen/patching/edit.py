"""Text splices for one change. Each function returns splices ``(start, end, text)``
into the current text; nothing here parses or re-emits untouched text."""

from __future__ import annotations

import re
from typing import Any

from svcgen.errors import InputFileError, Location
from svcgen.patching import emit
from svcgen.patching.locate import Slot, is_null
from svcgen.patching.yaml12 import Doc

Splice = tuple[int, int, str]

_COMMENT_GAP = re.compile(r"( +)#")


class Unsupported(InputFileError):
    """A construct svcgen will not edit automatically."""


class Text:
    def __init__(self, text: str, path: str, nl: str) -> None:
        self.text = text
        self.path = path
        self.nl = nl

    # -- lines ---------------------------------------------------------------
    def line_start(self, i: int) -> int:
        return self.text.rfind("\n", 0, i) + 1

    def line_end(self, i: int) -> int:
        j = self.text.find("\n", i)
        if j < 0:
            return len(self.text)
        return j - 1 if j > i and self.text[j - 1] == "\r" else j

    def after_break(self, i: int) -> int:
        if self.text.startswith("\r\n", i):
            return i + 2
        return i + 1 if self.text.startswith("\n", i) else i

    def first_on_line(self, i: int) -> bool:
        return not self.text[self.line_start(i) : i].strip(" ")

    def col(self, i: int) -> int:
        return i - self.line_start(i)

    def where(self, node: Any) -> Location:
        return Location(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def unsupported(self, node: Any, what: str) -> Unsupported:
        return Unsupported(
            f"svcgen will not edit {what} automatically",
            where=self.where(node),
            fix="edit it by hand",
        )

    # -- node extents --------------------------------------------------------
    def is_block_scalar(self, node: Any) -> bool:
        return bool(node.id == "scalar" and node.style in ("|", ">"))

    def keeps_trailing(self, node: Any) -> bool:
        start, end = node.start_mark.index, node.end_mark.index
        m = re.search(r"[|>]([-+0-9]*)", self.text[start:end])
        return bool(m and "+" in m.group(1))

    def last_nonblank_end(self, start: int, end: int) -> int:
        """End of the last line in [start, end) with non-blank content."""
        pos = end
        while pos > start:
            ls = self.line_start(pos - 1)
            le = min(self.line_end(ls), end)
            if self.text[max(ls, start) : le].strip(" \t"):
                return le
            pos = ls
        return start

    def alias_end(self, slot: Slot) -> int:
        """End of an alias token ``*name`` written as the value of ``slot``."""
        if slot.key_node is None:
            raise self.unsupported(slot.container, "an alias item in a list")
        m = re.compile(r"[ \t]*:[ \t]*(?:\r?\n[ \t]*)?\*[^\s,\[\]{}]+").match(
            self.text, slot.key_node.end_mark.index
        )
        if not m:
            raise self.unsupported(slot.key_node, "this alias")
        return m.end()

    def content_end(self, doc: Doc, node: Any, slot: Slot | None = None) -> tuple[int, bool]:
        """Where the text of ``node`` ends, and whether that is the start of a line
        (a ``|+`` block scalar owns its trailing blank lines)."""
        if slot is not None and slot.alias:
            return self.alias_end(slot), False
        if node.id == "scalar":
            start, end = node.start_mark.index, node.end_mark.index
            if self.is_block_scalar(node):
                if self.keeps_trailing(node) and self.text[end - 1 : end] == "\n":
                    return end, True
                return self.last_nonblank_end(start, end), False
            return end, False
        if node.flow_style:
            return node.end_mark.index, False
        i = len(node.value) - 1
        if node.id == "mapping":
            k, v = node.value[i]
            last = Slot(node, i, k, v, None, (id(node), i) in doc.alias_slots)
        else:
            v = node.value[i]
            last = Slot(node, i, None, v, i, (id(node), i) in doc.alias_slots)
        return self.content_end(doc, v, last)

    def end_after(self, doc: Doc, node: Any, slot: Slot | None = None) -> int:
        """The start of the line after ``node``'s last line (or the end of the text)."""
        end, at_line_start = self.content_end(doc, node, slot)
        return end if at_line_start else self.after_break(self.line_end(end))

    def colon_after(self, key_node: Any) -> int:
        m = re.compile(r"[ \t]*:").match(self.text, key_node.end_mark.index)
        if not m:
            raise self.unsupported(key_node, "a key written this way")
        return m.end() - 1

    def first_key_col(self, mapping: Any) -> int:
        col: int = mapping.value[0][0].start_mark.column
        return col

    def dash(self, seq: Any, i: int) -> int:
        item = seq.value[i]
        j: int = item.start_mark.index - 1
        while j >= 0 and self.text[j] in " \t\r\n":
            j -= 1
        if j < 0 or self.text[j] != "-":
            raise self.unsupported(item, "this list item")
        return j

    # -- insertion helpers ---------------------------------------------------
    def lines_at(self, pos: int, lines: list[str]) -> Splice:
        """Insert whole lines at ``pos`` (a line start, or the end of the text)."""
        body = self.nl.join(lines)
        if pos == len(self.text) and self.text and not self.text.endswith("\n"):
            return (pos, pos, self.nl + body)
        return (pos, pos, body + self.nl)


def replace_token(t: Text, node: Any, new: str) -> list[Splice]:
    """Replace a one-piece value (scalar, flow collection), keeping a trailing
    comment's column when the value is on one line."""
    start, end = node.start_mark.index, node.end_mark.index
    if start == end and start > 0 and t.text[start - 1] not in " \t\n[{,":
        new = " " + new
    old = t.text[start:end]
    if "\n" not in old and "\n" not in new:
        m = _COMMENT_GAP.match(t.text, end)
        if m and t.line_end(end) > end:
            gap = len(m.group(1))
            delta = len(new) - len(old)
            return [(start, end + gap, new + " " * max(1, gap - delta))]
    return [(start, end, new)]


def set_slot(
    t: Text, doc: Doc, slot: Slot | None, node: Any, value: Any, step: int
) -> list[Splice]:
    """Replace the value ``node`` (held by ``slot``; None for a document root)."""
    in_flow = slot is not None and bool(slot.container.flow_style)
    if slot is not None and slot.alias:
        end = t.alias_end(slot)
        start = t.text.index("*", slot.key_node.end_mark.index)
        return [(start, end, emit.flow(value, in_flow))]
    block_map_value = (
        slot is not None
        and slot.key_node is not None
        and not in_flow
        and isinstance(value, dict)
        and bool(value)
    )
    if block_map_value and slot is not None and (is_null(node) or _block_coll(node)):
        return _block_mapping_value(t, doc, slot, node, value, step)
    if node.id == "scalar" and not t.is_block_scalar(node):
        style = node.style if isinstance(value, str) else None
        return replace_token(t, node, emit.flow(value, in_flow, style))
    if node.id != "scalar" and node.flow_style:
        return replace_token(t, node, emit.flow(value, in_flow))
    # a block scalar or a block collection
    text = emit.flow(value, in_flow)
    if t.is_block_scalar(node):
        end, _ = t.content_end(doc, node)
        return [(node.start_mark.index, end, text)]
    end = t.line_end(t.content_end(doc, node)[0])
    if slot is None:
        return [(node.start_mark.index, end, text)]
    if slot.key_node is None:
        return [(node.start_mark.index, end, text)]
    colon = t.colon_after(slot.key_node)
    rest = t.text[colon + 1 : t.line_end(colon)]
    if rest.strip(" \t").startswith("#"):
        indent = " " * (t.col(slot.key_node.start_mark.index) + step)
        return [(t.line_end(colon), end, t.nl + indent + text)]
    return [(colon + 1, end, " " + text)]


def _block_coll(node: Any) -> bool:
    return bool(node.id != "scalar" and not node.flow_style)


def _block_mapping_value(
    t: Text, doc: Doc, slot: Slot, node: Any, value: dict[Any, Any], step: int
) -> list[Splice]:
    key_col = t.col(slot.key_node.start_mark.index)
    colon = t.colon_after(slot.key_node)
    colon_line_end = t.line_end(colon)
    if node.id == "mapping" and not node.flow_style:
        indent = " " * t.first_key_col(node)
    else:
        indent = " " * (key_col + step)
    lines = [line for k, v in value.items() for line in emit.block_entry(k, v, indent, step)]
    if node.id == "scalar":  # a null: drop its token, put the mapping on the next lines
        splices: list[Splice] = []
        start, end = node.start_mark.index, node.end_mark.index
        if end > colon_line_end:
            raise t.unsupported(node, "a null value on its own line")
        if not t.text[end:colon_line_end].strip(" \t"):
            splices.append((colon + 1, colon_line_end, ""))
        elif end > start:
            splices.append((start, end, ""))
        splices.append(t.lines_at(t.after_break(colon_line_end), lines))
        return splices
    end = t.line_end(t.content_end(doc, node)[0])
    rest = t.text[colon + 1 : colon_line_end]
    start = colon_line_end if rest.strip(" \t").startswith("#") else colon + 1
    return [(start, end, t.nl + t.nl.join(lines))]


def insert_key(t: Text, doc: Doc, mapping: Any, key: Any, value: Any, step: int) -> list[Splice]:
    """Add ``key: value`` as the last entry of ``mapping``."""
    if mapping.flow_style:
        entry = f"{emit.key(key, True)}: {emit.flow(value, True)}"
        if not mapping.value:
            open_at = t.text.index("{", mapping.start_mark.index)
            return [(open_at + 1, open_at + 1, entry)]
        k, v = mapping.value[-1]
        i = len(mapping.value) - 1
        last = Slot(mapping, i, k, v, None, (id(mapping), i) in doc.alias_slots)
        end, _ = t.content_end(doc, v, last)
        return [(end, end, ", " + entry)]
    indent = " " * t.first_key_col(mapping)
    pos = t.end_after(doc, mapping)
    return [t.lines_at(pos, emit.block_entry(key, value, indent, step))]


def insert_item(t: Text, doc: Doc, seq: Any, index: int, value: Any, step: int) -> list[Splice]:
    """Insert ``value`` into ``seq`` before ``index`` (``len`` appends)."""
    n = len(seq.value)
    if seq.flow_style:
        text = emit.flow(value, True)
        if n == 0:
            open_at = t.text.index("[", seq.start_mark.index)
            return [(open_at + 1, open_at + 1, text)]
        if index >= n:
            last = Slot(seq, n - 1, None, seq.value[-1], n - 1, (id(seq), n - 1) in doc.alias_slots)
            end, _ = t.content_end(doc, seq.value[-1], last)
            return [(end, end, ", " + text)]
        start = seq.value[index].start_mark.index
        return [(start, start, text + ", ")]
    first_dash = t.dash(seq, 0)
    indent = " " * t.col(first_dash)
    lines = emit.seq_entry(value, indent, step)
    if index >= n:
        return [t.lines_at(t.end_after(doc, seq), lines)]
    dash = t.dash(seq, index)
    if not t.first_on_line(dash):
        raise t.unsupported(seq.value[index], "a list item that does not start its line")
    return [t.lines_at(t.line_start(dash), lines)]


def delete_entry(t: Text, doc: Doc, container: Any, index: int) -> list[Splice]:
    """Remove entry ``index`` from a mapping or list with at least two entries."""
    is_map = container.id == "mapping"
    entries = container.value
    start_node = entries[index][0] if is_map else entries[index]
    value = entries[index][1] if is_map else entries[index]
    slot = Slot(
        container,
        index,
        entries[index][0] if is_map else None,
        value,
        None,
        (id(container), index) in doc.alias_slots,
    )
    if container.flow_style:
        if index > 0:
            prev = entries[index - 1][1] if is_map else entries[index - 1]
            pslot = Slot(
                container,
                index - 1,
                entries[index - 1][0] if is_map else None,
                prev,
                None,
                (id(container), index - 1) in doc.alias_slots,
            )
            begin = t.content_end(doc, prev, pslot)[0]
            return [(begin, t.content_end(doc, value, slot)[0], "")]
        nxt = entries[1][0] if is_map else entries[1]
        return [(start_node.start_mark.index, nxt.start_mark.index, "")]
    start = start_node.start_mark.index if is_map else t.dash(container, index)
    col = t.col(start)
    if not t.first_on_line(start):
        if index == 0:
            # the first key of a list item (``- name: x``): the next key moves up onto
            # the dash line, unless comment or blank lines come first; those stay,
            # and the dash is left alone on its line
            nxt = entries[1][0] if is_map else t.dash(container, 1)
            nxt_index = nxt if isinstance(nxt, int) else nxt.start_mark.index
            own_end = t.line_end(t.content_end(doc, value, slot)[0])
            after = deeper_comments_end(t, t.after_break(own_end), col)
            if after >= t.line_start(nxt_index):
                return [(start, nxt_index, "")]
            cut = start
            while cut > 0 and t.text[cut - 1] in " \t":
                cut -= 1
            splices = [(cut, own_end, "")]
            if after > t.after_break(own_end):
                splices.append((t.after_break(own_end), after, ""))
            return splices
        raise t.unsupported(start_node, "an entry that does not start its line")
    begin = t.line_start(start)
    end = deeper_comments_end(t, t.end_after(doc, value, slot), col)
    if end == len(t.text) and not t.text.endswith("\n") and begin > 0:
        # keep the missing final newline: take the line break before the entry instead
        begin -= 2 if t.text[begin - 2 : begin] == "\r\n" else 1
    return [(begin, end, "")]


def deeper_comments_end(t: Text, pos: int, col: int) -> int:
    """Skip the comment lines from ``pos`` (a line start) that are indented deeper
    than ``col``: they belong to the entry above. Blank lines and comments at the
    level of the next key stop it."""
    while pos < len(t.text):
        line = t.text[pos : t.line_end(pos)]
        body = line.lstrip(" ")
        if not body.startswith("#") or len(line) - len(body) <= col:
            break
        nxt = t.after_break(t.line_end(pos))
        if nxt == pos + len(line):  # the last line, without a line break
            break
        pos = nxt
    return pos


def apply(text: str, splices: list[Splice]) -> str:
    for start, end, new in sorted(splices, key=lambda s: s[0], reverse=True):
        text = text[:start] + new + text[end:]
    return text
