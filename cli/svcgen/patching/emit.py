"""Emit values as YAML text that means the same under YAML 1.2 and 1.1.

Strings stay plain only when no YAML 1.1 or 1.2 reader could take them for
anything but a string (``yes``, ``0022``, ``1.10`` and ``0x64`` are quoted);
collections are written in flow style, or as block lines for new keys.
"""

from __future__ import annotations

import math
import re
from typing import Any

from svcgen.patching.yaml12 import Tagged, resolve_plain

_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")
_FLOW = set(",[]{}")
# YAML 1.1 implicit types that are not strings (bool, int, float, null, timestamp, merge, value)
_YAML11_PATTERN = r"""(?x)\A(?:
      y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
    | [-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
    | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
    | [-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?
    | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
    | ~|null|Null|NULL | << | =
    | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*
    )\Z"""
_PRINTABLE_PATTERN = (
    "[\t\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*\\Z"
)


def _printable(text: str) -> bool:
    return re.match(_PRINTABLE_PATTERN, text) is not None  # compiled once, on first use


def plain_ok(text: str, flow: bool) -> bool:
    """Whether ``text`` can be written as a plain scalar and still read as this string."""
    if not text or text != text.strip(" ") or text[0] in _INDICATORS:
        return False
    if any(c in text for c in "\n\r\t\x85\u2028\u2029\ufeff") or not _printable(text):
        return False
    if ": " in text or " #" in text or text.endswith(":"):
        return False
    if flow and (set(text) & _FLOW or ":" in text):
        return False
    return (
        type(resolve_plain(text)) is str
        and resolve_plain(text) == text
        and re.match(_YAML11_PATTERN, text) is None
    )


def double_quoted(text: str) -> str:
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif (
            code < 0x20
            or 0x7F <= code <= 0x9F
            or 0xD800 <= code <= 0xDFFF
            or code in (0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF)
        ):
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def string(text: str, flow: bool, style: str | None = None) -> str:
    """A string scalar; ``style`` is the quote style of the value it replaces."""
    if style == "'" and _printable(text) and not any(c in text for c in "\n\r\x85\u2028\u2029"):
        return "'" + text.replace("'", "''") + "'"
    if style == '"' or not plain_ok(text, flow):
        return double_quoted(text)
    return text


def _float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "e" in text and "." not in text:
        mantissa, exp = text.split("e")
        text = f"{mantissa}.0e{exp}"
    return text


def scalar(value: Any, flow: bool = False, style: str | None = None) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return string(value, flow, style)
    raise TypeError(f"not a scalar: {value!r}")


def flow(value: Any, in_flow: bool = False, style: str | None = None) -> str:
    """``value`` as one line of YAML (flow style for collections)."""
    if isinstance(value, dict):
        items = ", ".join(f"{key(k, True)}: {flow(v, True)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow(v, True) for v in value) + "]"
    if isinstance(value, Tagged):
        return f"!<{value.tag}> {flow(value.value, in_flow)}"
    return scalar(value, in_flow, style)


def key(value: Any, in_flow: bool = False) -> str:
    if isinstance(value, str):
        text = string(value, in_flow)
        return text if len(text) < 1024 else double_quoted(value)
    return flow(value, True)


def block_entry(k: Any, value: Any, indent: str, step: int) -> list[str]:
    """Lines (no line breaks) for ``k: value`` at ``indent``; nested mappings in block style."""
    if isinstance(value, dict) and value:
        lines = [f"{indent}{key(k)}:"]
        inner = indent + " " * step
        for ck, cv in value.items():
            lines.extend(block_entry(ck, cv, inner, step))
        return lines
    return [f"{indent}{key(k)}: {flow(value)}"]


def seq_entry(value: Any, indent: str, step: int) -> list[str]:
    """Lines for a block sequence item ``- value``."""
    if isinstance(value, dict) and value:
        lines: list[str] = []
        for i, (ck, cv) in enumerate(value.items()):
            entry = block_entry(ck, cv, indent + "  ", step)
            if i == 0:
                entry[0] = indent + "- " + entry[0][len(indent) + 2 :]
            lines.extend(entry)
        return lines
    return [f"{indent}- {flow(value)}"]
