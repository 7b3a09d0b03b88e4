"""``svcgen adopt``: bring an existing Go service under the template.

The template is rendered into a temporary directory with the service's
answers (``module_path`` read from ``go.mod``). Every rendered file the
service lacks is added; every file that exists is left alone and reported
as skipped, so the owner knows which hardening pieces to merge by hand. The
answers file is written too, so ``svcgen update`` works from then on.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from svcgen import vcs
from svcgen.errors import InputFileError, Location, TemplateError, UsageError, VcsError
from svcgen.updating.source import ANSWERS_FILE, read_answers, stable_source

_MODULE = re.compile(r"^\s*module\s+(?:\"([^\"]+)\"|`([^`]+)`|(\S+))\s*(?://.*)?$")


@dataclass(frozen=True)
class AdoptOptions:
    path: Path
    data: dict[str, str] = field(default_factory=dict)
    defaults: bool = False
    dry_run: bool = False
    template: str | None = None  # default: the bundled template


@dataclass
class AdoptResult:
    path: str
    service_name: str
    module_path: str
    version: str | None
    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    dry_run: bool = False


def read_module_path(go_mod: Path) -> str:
    try:
        lines = go_mod.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputFileError(f"cannot read it: {exc.strerror}", where=go_mod) from exc
    for number, line in enumerate(lines, start=1):
        match = _MODULE.match(line)
        if match:
            module = next(g for g in match.groups() if g)
            if not module:
                break
            return module
        if line.strip().startswith("module"):
            raise InputFileError("malformed module directive", where=Location(go_mod, number))
    raise InputFileError("no module directive", where=go_mod, fix="add `module <path>`")


def adopt(opts: AdoptOptions) -> AdoptResult:
    """Validate everything, render the template aside, then add the missing files."""
    from svcgen.render import check_answer, open_template, validate_name

    path = opts.path.resolve()
    if not path.is_dir():
        raise UsageError("no such directory", where=opts.path)
    go_mod = path / "go.mod"
    if not go_mod.is_file():
        raise UsageError(
            "no go.mod: adopt works on an existing Go module",
            where=opts.path,
            fix="run it on the service's root directory",
        )
    if not vcs.is_work_tree(path):
        raise VcsError(
            "not a git repository",
            where=opts.path,
            fix="svcgen update needs git history: git init && git add -A && git commit",
        )
    dirty = vcs.dirty_paths(path)
    if dirty:
        raise VcsError(
            f"refused: the git tree is dirty ({', '.join(dirty[:3])}"
            f"{' ...' if len(dirty) > 3 else ''})",
            where=opts.path,
            fix="commit or stash the changes first, so that adopt's additions can be reviewed",
        )
    if (path / ANSWERS_FILE).exists():
        raise UsageError(
            f"already under a template ({ANSWERS_FILE} exists)",
            where=opts.path,
            fix="use `svcgen update`",
        )
    module_path = read_module_path(go_mod)
    given = opts.data.get("module_path")
    if given is not None and given != module_path:
        raise UsageError(
            f"--data module_path={given} contradicts go.mod ({module_path})",
            fix="drop --data module_path; adopt reads it from go.mod",
        )
    name = opts.data.get("service_name", path.name)
    if "service_name" not in opts.data:
        try:
            validate_name(name)
        except UsageError:
            raise UsageError(
                f"directory name {name!r} is not a valid service name",
                fix="pass --data service_name=NAME (a DNS-1123 label)",
            ) from None
    else:
        validate_name(name)

    recorded, source = _source(opts.template)
    data: dict[str, Any] = {**opts.data, "service_name": name, "module_path": module_path}
    with open_template(source) as info:
        for key, value in opts.data.items():
            if key not in info.questions:
                from svcgen.errors import UnknownDataKeyError

                raise UnknownDataKeyError(key, list(info.questions))
            check_answer(key, value, info.questions[key])

    with tempfile.TemporaryDirectory(prefix="svcgen-adopt-") as tmp:
        rendered = Path(tmp) / name
        _render(recorded, source, rendered, data, opts.defaults)
        answers = read_answers(rendered)
        if not answers.commit:
            raise TemplateError(
                f"template {recorded} is not a git repository with version tags",
                fix="adopt needs a versioned template so that `svcgen update` works later",
            )
        result = AdoptResult(
            path=str(path),
            service_name=name,
            module_path=module_path,
            version=answers.commit,
            dry_run=opts.dry_run,
        )
        files = sorted(
            p.relative_to(rendered).as_posix()
            for p in rendered.rglob("*")
            if p.is_file() or p.is_symlink()
        )
        for rel in files:
            target = path / rel
            if target.exists() or target.is_symlink():
                result.skipped.append(rel)
            else:
                result.added.append(rel)
        if not opts.dry_run:
            for rel in result.added:
                _place(rendered / rel, path / rel)
    return result


def _source(template: str | None) -> tuple[str, str]:
    """(what the answers file records, what copier reads)."""
    from svcgen.render import BUNDLED_TEMPLATE, resolve_template
    from svcgen.updating.source import bundled_source

    if template is None:
        return stable_source(BUNDLED_TEMPLATE), str(bundled_source())
    src = resolve_template(template)
    return src, src


def _render(recorded: str, source: str, dest: Path, data: dict[str, Any], defaults: bool) -> None:
    from copier.errors import CopierError

    from svcgen.updating.worker import worker_class

    try:
        with worker_class()(
            src_path=source,
            dst_path=dest,
            data=data,
            defaults=defaults,
            quiet=True,
            skip_tasks=False,
            svcgen_project=dest,  # tasks are collected as skipped, never run
            svcgen_trust=False,
            svcgen_sources={recorded: source},
            svcgen_log=[],
        ) as worker:
            worker.run_copy()
    except CopierError as exc:
        raise TemplateError(f"cannot render {recorded}: {exc}") from exc
    except ValueError as exc:
        raise UsageError(f"invalid answer: {exc}") from exc


def _place(src: Path, dest: Path) -> None:
    """Copy one file into the service (temp file + os.replace; never overwrites)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if src.is_symlink():
        os.symlink(os.readlink(src), dest)
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    os.close(fd)
    try:
        shutil.copy2(src, tmp)
        if dest.exists():
            raise InputFileError("appeared while adopting; left alone", where=dest)
        os.replace(tmp, dest)
    finally:
        Path(tmp).unlink(missing_ok=True)
