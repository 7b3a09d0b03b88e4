#!/usr/bin/env python3
"""Generate go.mod.jinja and go.sum.jinja of the go-service template.

    python templates/tools/gen_gomod.py           # rewrite both files
    python templates/tools/gen_gomod.py --check   # exit 1 unless `go mod tidy` is a no-op

A feature that is off must leave no unused module behind, so the requirements
and checksums depend on the `features` answer. This tool renders the template
for every combination of features, runs `go mod tidy` on each render, and
writes templates whose lines carry Jinja guards: a line present in every
combination is plain; otherwise it is guarded by the simplest condition that
matches exactly the combinations that need it ("any of these features on",
"all of these on", or an explicit list). Lines keep the order that `go mod
tidy` gives them. --check renders every combination again and compares the
files with what `go mod tidy` makes of them.

Run it after changing the imports of the template's Go code. It needs the Go
toolchain and the module cache (or the module proxy).
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULE = "example.com/gomodgen/svc"
GO_ENV = {"GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local", "GOWORK": "off"}

Combo = frozenset[str]


def feature_choices(template: Path) -> list[str]:
    import yaml

    config = yaml.safe_load((template / "copier.yml").read_text(encoding="utf-8"))
    return [str(c) for c in config["features"]["choices"]]


def all_combos(features: Sequence[str]) -> list[Combo]:
    return [
        frozenset(c) for n in range(len(features) + 1) for c in itertools.combinations(features, n)
    ]


def render(template: Path, combo: Combo, features: Sequence[str], dest: Path) -> Path:
    import copier

    out = dest / ("svc-" + ("-".join(f for f in features if f in combo) or "none"))
    copier.run_copy(
        str(template),
        out,
        data={
            "service_name": "svc",
            "module_path": MODULE,
            "features": [f for f in features if f in combo],
        },
        defaults=True,
        unsafe=True,
        skip_tasks=True,
        quiet=True,
    )
    return out


def tidy(project: Path) -> tuple[str, str]:
    """The go.mod and go.sum that `go mod tidy` makes of project."""
    subprocess.run(
        ["go", "mod", "tidy"],
        cwd=project,
        check=True,
        capture_output=True,
        env={**os.environ, **GO_ENV},
    )
    gosum = project / "go.sum"
    return (project / "go.mod").read_text(), gosum.read_text() if gosum.exists() else ""


# --- go.mod structure --------------------------------------------------------

HEADER_RE = re.compile(r"^module (\S+)\n\ngo (\S+)\n")


def require_blocks(gomod: str) -> list[list[str]]:
    """The lines of each `require ( ... )` block; anything else is an error."""
    m = HEADER_RE.match(gomod)
    if not m or m.group(1) != MODULE:
        raise SystemExit(f"unexpected go.mod header:\n{gomod[:200]}")
    rest = gomod[m.end() :]
    blocks: list[list[str]] = []
    for raw in rest.split("\n\n"):
        chunk = raw.strip("\n")
        if not chunk:
            continue
        lines = chunk.split("\n")
        if len(lines) == 1 and lines[0].startswith("require "):  # a single-line require
            blocks.append(["\t" + lines[0].removeprefix("require ")])
            continue
        if lines[0] != "require (" or lines[-1] != ")":
            raise SystemExit(f"unexpected go.mod section:\n{chunk}")
        blocks.append(lines[1:-1])
    return blocks


def go_version(gomod: str) -> str:
    m = HEADER_RE.match(gomod)
    assert m
    return m.group(2)


# --- merging and guards ------------------------------------------------------


def merge_orders(sequences: Iterable[Sequence[str]]) -> list[str]:
    """One order of all lines that keeps the relative order of every input."""
    seqs = [list(s) for s in sequences]
    nodes = sorted({line for s in seqs for line in s})
    after: dict[str, set[str]] = {n: set() for n in nodes}
    indeg = dict.fromkeys(nodes, 0)
    for s in seqs:
        for a, b in itertools.pairwise(s):
            if b not in after[a]:
                after[a].add(b)
                indeg[b] += 1
    ready = sorted(n for n in nodes if indeg[n] == 0)
    out: list[str] = []
    while ready:
        n = ready.pop(0)
        out.append(n)
        for m in sorted(after[n]):
            indeg[m] -= 1
            if indeg[m] == 0:
                ready.append(m)
        ready.sort()
    if len(out) != len(nodes):
        raise SystemExit("go mod tidy ordered lines inconsistently across combinations")
    return out


def condition(present: set[Combo], combos: Sequence[Combo], features: Sequence[str]) -> str:
    """A Jinja condition true exactly for the combinations in present ("" = always)."""
    if len(present) == len(combos):
        return ""
    subsets = [
        frozenset(s)
        for n in range(1, len(features) + 1)
        for s in itertools.combinations(features, n)
    ]
    for subset in subsets:  # smallest first
        if present == {c for c in combos if c & subset}:
            return " or ".join(f"'{f}' in features" for f in features if f in subset)
    for subset in subsets:
        if present == {c for c in combos if subset <= c}:
            return " and ".join(f"'{f}' in features" for f in features if f in subset)
    # The template side sorts the answer (`features | sort`), so the keys must
    # be sorted the same way, not in the order of the choices.
    keys = sorted(",".join(sorted(c)) for c in present)
    return f"(features | sort | join(',')) in {keys!r}"


def guarded(lines: Sequence[str], conds: dict[str, str]) -> str:
    """lines with each run of equally guarded lines wrapped in {% if %}.

    The tags sit at the start of lines (prefix style) so that no whitespace
    control is needed and the tab indentation of go.mod survives.
    """
    out: list[str] = []
    for cond, group in itertools.groupby(lines, key=lambda line: conds[line]):
        body = [line + "\n" for line in group]
        if cond:
            body[0] = "{% if " + cond + " %}" + body[0]
            body.append("{% endif %}")
        out.extend(body)
    # An {% endif %} glues onto the following line; at the very end it stands alone.
    return "".join(out)


def build(results: dict[Combo, tuple[str, str]], features: Sequence[str]) -> tuple[str, str]:
    combos = list(results)
    versions = {go_version(gomod) for gomod, _ in results.values()}
    if len(versions) != 1:
        raise SystemExit(f"go directive differs across combinations: {versions}")
    blocks = {c: require_blocks(gomod) for c, (gomod, _) in results.items()}
    nblocks = {len(b) for b in blocks.values()}
    if nblocks != {2}:
        raise SystemExit(f"expected a direct and an indirect require block, got {nblocks}")

    # `go mod tidy` writes the go directive as a full release ("1.26.0").
    gomod_parts = [
        "module {{ module_path }}\n\n"
        "go {{ go_version }}{% if go_version.count('.') == 1 %}.0{% endif %}\n"
    ]
    for i in range(2):
        order = merge_orders(blocks[c][i] for c in combos)
        conds = {
            line: condition({c for c in combos if line in blocks[c][i]}, combos, features)
            for line in order
        }
        gomod_parts.append("\nrequire (\n" + guarded(order, conds) + ")\n")

    sums = {c: gosum.splitlines() for c, (_, gosum) in results.items()}
    order = merge_orders(sums.values())
    conds = {
        line: condition({c for c in combos if line in set(sums[c])}, combos, features)
        for line in order
    }
    return "".join(gomod_parts), guarded(order, conds)


# --- main --------------------------------------------------------------------


def run_all(template: Path, features: Sequence[str], work: Path, *, check: bool) -> list[str]:
    combos = all_combos(features)
    projects = {c: render(template, c, features, work) for c in combos}
    before = {c: ((p / "go.mod").read_text(), _read(p / "go.sum")) for c, p in projects.items()}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        after = dict(zip(combos, pool.map(tidy, projects.values()), strict=True))
    if check:
        return [
            ",".join(f for f in features if f in c) or "(none)"
            for c in combos
            if before[c] != after[c]
        ]
    gomod, gosum = build(after, features)
    tpl = template / "template"
    (tpl / "go.mod.jinja").write_text(gomod)
    (tpl / "go.sum.jinja").write_text(gosum)
    if (tpl / "go.sum").exists():
        (tpl / "go.sum").unlink()
    return []


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only verify; exit 1 on drift")
    parser.add_argument(
        "--template",
        type=Path,
        default=ROOT / "templates" / "go-service",
        help="the copier template folder (default: templates/go-service)",
    )
    args = parser.parse_args(argv)
    if shutil.which("go") is None:
        print("gen_gomod: the go toolchain is not on PATH", file=sys.stderr)
        return 2
    template = args.template.resolve()
    features = feature_choices(template)
    with tempfile.TemporaryDirectory(prefix="gen-gomod-") as tmp:
        if not args.check:
            run_all(template, features, Path(tmp) / "gen", check=False)
        drift = run_all(template, features, Path(tmp) / "check", check=True)
    if drift:
        print("go mod tidy changes go.mod/go.sum for: " + "; ".join(drift), file=sys.stderr)
        return 1
    print(f"go.mod.jinja and go.sum.jinja are tidy for all {2 ** len(features)} combinations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
