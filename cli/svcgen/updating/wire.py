"""``svcgen adopt --wire``: put the platform chain into a service's own server.

Two shapes are wired, each with a one-line edit plus its import:

* net/http: the ``Handler: EXPR`` field of an ``http.Server{...}`` literal
  becomes ``Handler: adapt.Wrap(EXPR, adapt.Options{})``;
* gin: after ``NAME := gin.New()`` (or ``gin.Default()``, ``=`` too) comes
  ``ginadapt.Use(NAME, adapt.MustNew(adapt.Options{}))``, before the routes.

Anything else that serves HTTP (``http.ListenAndServe(addr, h)``, echo, chi,
kratos' ``http.NewServer``) is reported as a shape it cannot wire, with the
place, so the owner follows docs/adopt.md. The edits are planned as text
(nothing is written here) and gofmt-clean when the file was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

SKIP_DIRS = {"vendor", "testdata", "node_modules"}
ADAPT = "internal/platform/adapt"
ADAPT_GIN = "internal/platform/adapt/gin"

_GIN_NEW = re.compile(
    r"^(?P<indent>[ \t]*)(?P<name>[A-Za-z_]\w*)\s*:?=\s*gin\.(?:New|Default)\(\)\s*$"
)
_SERVER = re.compile(r"\bhttp\.Server\s*\{")
_UNWIRED = (
    (re.compile(r"\bhttp\.ListenAndServe(?:TLS)?\("), "http.ListenAndServe(addr, handler)"),
    (re.compile(r"\becho\.New\(\)"), "echo.New()"),
    (re.compile(r"\bchi\.NewRouter\(\)"), "chi.NewRouter()"),
    (re.compile(r"\bkhttp\.NewServer\(|\bhttp\.NewServer\("), "kratos http.NewServer(...)"),
)


@dataclass
class FileEdit:
    path: str  # relative to the service
    old: str
    new: str
    what: list[str] = field(default_factory=list)


@dataclass
class WirePlan:
    edits: list[FileEdit] = field(default_factory=list)
    unwired: list[str] = field(default_factory=list)  # "main.go:12: http.ListenAndServe(...)"


def go_files(service: Path) -> list[Path]:
    out = []
    for p in sorted(service.rglob("*.go")):
        rel = p.relative_to(service)
        parts = rel.parts
        if any(part in SKIP_DIRS or part.startswith((".", "_")) for part in parts[:-1]):
            continue
        if rel.as_posix().startswith("internal/platform/") or p.name.endswith("_test.go"):
            continue
        out.append(p)
    return out


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _skip_literal(text: str, i: int) -> int:
    """Index after the string, rune or comment starting at text[i] (else i)."""
    c = text[i]
    if c in "\"'":
        j = i + 1
        while j < len(text) and text[j] != c:
            j += 2 if text[j] == "\\" else 1
        return j + 1
    if c == "`":
        return text.index("`", i + 1) + 1
    if text.startswith("//", i):
        nl = text.find("\n", i)
        return len(text) if nl < 0 else nl
    if text.startswith("/*", i):
        return text.index("*/", i + 2) + 2
    return i


def _handler_field(text: str, open_brace: int) -> tuple[int, int] | None:
    """(start, end) of EXPR in the ``Handler: EXPR`` field of the literal at open_brace."""
    depth, i = 0, open_brace
    field_start: int | None = None
    while i < len(text):
        j = _skip_literal(text, i)
        if j != i:
            i = j
            continue
        c = text[i]
        if c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
            if depth == 0:
                return None  # end of the literal: no Handler field
        elif depth == 1 and field_start is None:
            m = re.compile(r"Handler\s*:\s*").match(text, i)
            if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_.")):
                field_start = m.end()
                i = m.end()
                break
        i += 1
    if field_start is None:
        return None
    depth, i = 0, field_start
    while i < len(text):
        j = _skip_literal(text, i)
        if j != i:
            if text.startswith("//", i) and depth == 0:
                break
            i = j
            continue
        c = text[i]
        if c in "({[":
            depth += 1
        elif c in ")}]":
            if depth == 0:
                break
            depth -= 1
        elif c in {",", "\n"} and depth == 0:
            break
        i += 1
    end = i
    while end > field_start and text[end - 1] in " \t":
        end -= 1
    return (field_start, end) if end > field_start else None


def add_imports(text: str, imports: list[tuple[str | None, str]]) -> str:
    """Add imports (alias, path) that the file lacks, as a group of their own."""
    missing = [(a, p) for a, p in imports if f'"{p}"' not in text]
    if not missing:
        return text
    lines = [f'\t{a + " " if a else ""}"{p}"' for a, p in missing]
    block = re.search(r"^import \((.*?)^\)", text, re.M | re.S)
    if block:
        body = block.group(1)
        sep = "" if body.endswith("\n\n") or body.strip() == "" else "\n"
        new_body = body + sep + "\n".join(lines) + "\n"
        return text[: block.start(1)] + new_body + text[block.end(1) :]
    single = re.search(r'^import ((?:\w+ )?"[^"]+")\n', text, re.M)
    if single:
        inner = "\t" + single.group(1) + "\n\n" + "\n".join(lines) + "\n"
        return text[: single.start()] + "import (\n" + inner + ")\n" + text[single.end() :]
    pkg = re.search(r"^package \w+\n", text, re.M)
    if pkg is None:
        return text
    add = "\nimport (\n" + "\n".join(lines) + "\n)\n"
    return text[: pkg.end()] + add + text[pkg.end() :]


def plan(service: Path, module_path: str, has_gin: bool) -> WirePlan:
    result = WirePlan()
    adapt_imp: tuple[str | None, str] = (None, f"{module_path}/{ADAPT}")
    gin_imp: tuple[str | None, str] = ("ginadapt", f"{module_path}/{ADAPT_GIN}")
    for path in go_files(service):
        rel = path.relative_to(service).as_posix()
        old = path.read_text(encoding="utf-8")
        new, what = _wire_servers(old, rel)
        if has_gin:
            new, gin_what = _wire_gin(new, rel)
            what += gin_what
        if what:
            imports: list[tuple[str | None, str]] = [adapt_imp]
            if any("gin" in w for w in what):
                imports.append(gin_imp)
            new = add_imports(new, imports)
            result.edits.append(FileEdit(rel, old, new, what))
        for rx, shape in _UNWIRED:
            for m in rx.finditer(old):
                result.unwired.append(f"{rel}:{_line_of(old, m.start())}: {shape}")
        if not has_gin and re.search(r"\bgin\.(?:New|Default)\(\)", old):
            result.unwired.append(f"{rel}: gin engine, but go.mod does not require gin")
    return result


def _wire_servers(text: str, rel: str) -> tuple[str, list[str]]:
    what: list[str] = []
    out, pos = [], 0
    for m in _SERVER.finditer(text):
        if m.start() < pos:
            continue
        span = _handler_field(text, m.end() - 1)
        if span is None:
            continue
        start, end = span
        expr = text[start:end]
        if expr.startswith("adapt.Wrap("):
            continue
        out.append(text[pos:start])
        out.append(f"adapt.Wrap({expr}, adapt.Options{{}})")
        pos = end
        what.append(f"{rel}:{_line_of(text, start)}: http.Server Handler wrapped in adapt.Wrap")
    out.append(text[pos:])
    return "".join(out), what


def _wire_gin(text: str, rel: str) -> tuple[str, list[str]]:
    what: list[str] = []
    lines = text.split("\n")
    out: list[str] = []
    for n, line in enumerate(lines, start=1):
        out.append(line)
        m = _GIN_NEW.match(line)
        if not m:
            continue
        nxt = lines[n] if n < len(lines) else ""
        if "ginadapt.Use(" in nxt:
            continue
        out.append(f"{m['indent']}ginadapt.Use({m['name']}, adapt.MustNew(adapt.Options{{}}))")
        what.append(f"{rel}:{n}: gin engine {m['name']} gets the platform chain (ginadapt.Use)")
    return "\n".join(out), what
