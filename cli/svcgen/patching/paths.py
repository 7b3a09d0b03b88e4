"""PATH syntax: dotted keys with quoting and ``[N]`` indices, or RFC 6901 pointers.

* ``middleware.ratelimit.fail_closed``
* ``metadata.annotations."app.kubernetes.io/name"`` (``"..."`` with ``\\"`` and
  ``\\\\`` escapes, or ``'...'`` with ``''``)
* ``servers[0].port``, ``[2]`` (a top-level list)
* ``/middleware/ratelimit/fail_closed`` (JSON Pointer: ``~1`` is ``/``, ``~0`` is
  ``~``; a token of digits indexes a list, ``-`` is the end of a list)
"""

from __future__ import annotations

from dataclasses import dataclass

from svcgen.errors import UsageError

Segment = str | int


@dataclass(frozen=True)
class Path:
    segments: tuple[Segment, ...]
    #: a JSON Pointer: string tokens of digits may index lists
    pointer: bool = False
    text: str = ""

    def __str__(self) -> str:
        return self.text or format_path(self.segments)

    def child(self, seg: Segment) -> Path:
        return Path((*self.segments, seg), self.pointer, "")

    def parent(self) -> Path:
        return Path(self.segments[:-1], self.pointer, "")


_BARE_STOP = set(".[]\"'=")


def format_path(segments: tuple[Segment, ...]) -> str:
    parts: list[str] = []
    for seg in segments:
        if isinstance(seg, int):
            parts.append(f"[{seg}]")
            continue
        if seg and not (set(seg) & _BARE_STOP) and seg.strip() == seg:
            text = seg
        else:
            text = '"' + seg.replace("\\", "\\\\").replace('"', '\\"') + '"'
        parts.append(("." if parts else "") + text)
    return "".join(parts) or "."


def _bad(text: str, pos: int, problem: str) -> UsageError:
    return UsageError(
        f"invalid path {text!r} at character {pos + 1}: {problem}",
        fix='write keys as a.b.c, quote keys with dots: a."x.y", index lists with [N]',
    )


def split_assignment(text: str) -> tuple[Path, str]:
    """Split ``PATH=VALUE`` at the first ``=`` outside quotes."""
    path, end = _parse(text, stop_at_equals=True)
    if end >= len(text) or text[end] != "=":
        raise UsageError(
            f"--set {text!r} has no '=VALUE'",
            fix="write --set PATH=VALUE, e.g. --set middleware.ratelimit.fail_closed=true",
        )
    return path, text[end + 1 :]


def parse_path(text: str) -> Path:
    path, end = _parse(text, stop_at_equals=False)
    if end != len(text):
        raise _bad(text, end, f"unexpected {text[end]!r}")
    return path


def _parse(text: str, stop_at_equals: bool) -> tuple[Path, int]:
    if text.startswith("/"):
        end = text.find("=") if stop_at_equals else -1
        body = text[: end if end >= 0 else len(text)]
        tokens = tuple(t.replace("~1", "/").replace("~0", "~") for t in body.split("/")[1:])
        for token in body.split("/")[1:]:
            if "~" in token.replace("~0", "").replace("~1", ""):
                raise _bad(text, body.find(token), "'~' must be escaped as ~0 in a JSON Pointer")
        return Path(tokens, pointer=True, text=body), len(body)
    segments: list[Segment] = []
    i, n = 0, len(text)
    expect_key = True
    while i < n:
        ch = text[i]
        if stop_at_equals and ch == "=":
            break
        if ch == "[":
            close = text.find("]", i)
            digits = text[i + 1 : close] if close > 0 else ""
            if not digits.isdigit() or not digits.isascii():
                raise _bad(text, i, "expected [N] with N a list index")
            segments.append(int(digits))
            i = close + 1
            expect_key = False
        elif ch == ".":
            if expect_key:
                raise _bad(text, i, "empty key")
            i += 1
            expect_key = True
            if i >= n or (stop_at_equals and text[i] == "="):
                raise _bad(text, i, "empty key")
        elif not expect_key:
            raise _bad(text, i, "expected '.' or '[' after a key")
        elif ch in "\"'":
            key, i = _quoted(text, i)
            segments.append(key)
            expect_key = False
        else:
            start = i
            while i < n and text[i] not in _BARE_STOP:
                i += 1
            if i == start:
                raise _bad(text, i, f"unexpected {ch!r}")
            segments.append(text[start:i])
            expect_key = False
    if not segments:
        raise _bad(text, 0, "empty path")
    end = i
    return Path(tuple(segments), pointer=False, text=text[:end]), end


def _quoted(text: str, i: int) -> tuple[str, int]:
    quote = text[i]
    out: list[str] = []
    j = i + 1
    while j < len(text):
        ch = text[j]
        if quote == '"' and ch == "\\" and j + 1 < len(text):
            out.append(text[j + 1])
            j += 2
            continue
        if ch == quote:
            if quote == "'" and text[j + 1 : j + 2] == "'":
                out.append("'")
                j += 2
                continue
            return "".join(out), j + 1
        out.append(ch)
        j += 1
    raise _bad(text, i, "unterminated quoted key")
