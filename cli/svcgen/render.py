"""Render a service from a Copier template (``svcgen new``).

Everything is validated before copier writes anything: the name, the
destination, the template source and every ``--data`` key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from svcgen.errors import (
    DestinationError,
    InvalidNameError,
    TemplateError,
    UnknownDataKeyError,
    UsageError,
)

DNS1123_LABEL = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
BUNDLED_TEMPLATE = "go-service"


@dataclass(frozen=True)
class RenderOptions:
    """Typed settings of one ``svcgen new`` run."""

    name: str
    dest: Path = Path(".")
    template: str | None = None
    vcs_ref: str | None = None
    data: dict[str, str] = field(default_factory=dict)
    defaults: bool = False
    trust: bool = False


@dataclass(frozen=True)
class RenderResult:
    project_dir: Path
    template: str
    answers: dict[str, Any]
    skipped_tasks: list[str]


def validate_name(name: str) -> None:
    if not DNS1123_LABEL.match(name):
        raise InvalidNameError(name)


def parse_data(pairs: Sequence[str]) -> dict[str, str]:
    """Parse ``KEY=VALUE`` pairs; the value may itself contain ``=``."""
    data: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"invalid --data {pair!r}", fix="write it as KEY=VALUE")
        data[key] = value
    return data


def templates_root() -> Path:
    """Where the bundled templates live: inside the installed package, or in
    the source tree for an editable install."""
    here = Path(__file__).resolve().parent
    installed = here / "_templates"
    if installed.is_dir():
        return installed
    return here.parent.parent / "templates"


def bundled_template(name: str = BUNDLED_TEMPLATE) -> Path:
    path = templates_root() / name
    if not (path / "copier.yml").is_file():
        raise TemplateError(
            f"bundled template {name!r} not found at {path}",
            fix="reinstall svcgen, or pass --template",
        )
    return path


def resolve_template(src: str | None) -> str:
    """Turn ``--template`` into a copier source: the bundled template when
    empty; a local path made absolute; anything else (a git URL) as given."""
    if not src:
        # The bundled template's release history as a git bundle, so that the
        # service records a version and stays updatable (svcgen.updating.source).
        from svcgen.updating.source import bundled_source

        return str(bundled_source())
    path = Path(src).expanduser()
    if path.exists():
        return str(path.resolve())
    if "://" in src or src.startswith(("git@", "gh:", "gl:", "git+")):
        return src
    raise TemplateError(
        f"template {src!r} is neither an existing path nor a git URL",
        fix="pass a template folder, a .bundle file or a git URL",
    )


def check_destination(dest: Path, name: str) -> Path:
    """Return ``dest/name``; refuse a non-empty target or one that escapes dest."""
    if dest.exists() and not dest.is_dir():
        raise DestinationError(f"--dest {dest} is not a directory")
    base = dest.resolve()
    target = (dest / name).resolve()
    if target.parent != base:
        raise DestinationError(
            f"{dest / name} resolves to {target}, outside {base}",
            fix="remove the symlink or choose another --dest",
        )
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise DestinationError(
            f"destination {dest / name} already exists and is not empty",
            fix="choose another NAME or --dest, or remove it",
        )
    return target


@dataclass(frozen=True)
class TemplateInfo:
    """What svcgen needs to know about a template before rendering it."""

    questions: dict[str, Any]
    tasks: list[str]
    version: str | None


@contextmanager
def open_template(src: str, vcs_ref: str | None = None) -> Iterator[TemplateInfo]:
    """Load a template's questions and tasks (cloning a git source to a temp dir)."""
    from copier._template import Template  # internal, but the only way to read questions

    template = Template(url=src, ref=vcs_ref)
    try:
        try:
            questions = dict(template.questions_data)
            tasks = [
                " ".join(task.cmd) if isinstance(task.cmd, list) else str(task.cmd)
                for task in template.tasks
            ]
            version = str(template.version) if template.version else None
        except Exception as exc:  # copier raises many unrelated types here
            raise TemplateError(f"cannot read template {src}: {exc}") from exc
        yield TemplateInfo(questions=questions, tasks=tasks, version=version)
    finally:
        template._cleanup()


def check_answer(key: str, value: str, question: Any) -> None:
    """Reject a ``--data`` value that cannot answer its question, naming the key."""
    if not isinstance(question, dict):
        return
    kind = question.get("type", "str")
    if kind in ("int", "float"):
        try:
            int(value) if kind == "int" else float(value)
        except ValueError:
            raise UsageError(
                f"--data {key}={value}: expected {'an integer' if kind == 'int' else 'a number'}"
            ) from None
    if kind == "bool" and value.lower() not in ("true", "false", "yes", "no", "1", "0"):
        raise UsageError(f"--data {key}={value}: expected true or false")
    choices = question.get("choices")
    if choices and not question.get("multiselect"):
        allowed = [str(c) for c in (choices.values() if isinstance(choices, dict) else choices)]
        if value not in allowed:
            raise UsageError(f"--data {key}={value}: expected one of {', '.join(allowed)}")


def new_service(opts: RenderOptions) -> RenderResult:
    """Validate everything, then render ``opts.dest/opts.name``."""
    validate_name(opts.name)
    given = opts.data.get("service_name")
    if given is not None and given != opts.name:
        raise UsageError(
            f"--data service_name={given} contradicts NAME {opts.name!r}",
            fix="drop --data service_name; NAME sets it",
        )
    target = check_destination(opts.dest, opts.name)
    src = resolve_template(opts.template)
    with open_template(src, opts.vcs_ref) as info:
        for key, value in opts.data.items():
            if key not in info.questions:
                raise UnknownDataKeyError(key, list(info.questions))
            check_answer(key, value, info.questions[key])
        skipped = [] if opts.trust else info.tasks

    data: dict[str, Any] = {**opts.data, "service_name": opts.name}
    worker = _run_copy(src, target, data, opts)
    if not opts.template:
        from svcgen.updating.source import pin_stable_source

        pin_stable_source(target, BUNDLED_TEMPLATE)  # not this machine's bundle path
    return RenderResult(
        project_dir=target,
        template=src,
        answers=dict(worker.answers.combined) if hasattr(worker, "answers") else data,
        skipped_tasks=skipped,
    )


def _run_copy(src: str, target: Path, data: dict[str, Any], opts: RenderOptions) -> Any:
    import copier
    from copier.errors import CopierError

    try:
        return copier.run_copy(
            src,
            target,
            data=data,
            vcs_ref=opts.vcs_ref,
            defaults=opts.defaults,
            unsafe=opts.trust,
            skip_tasks=not opts.trust,
            quiet=True,
        )
    except CopierError as exc:
        raise TemplateError(f"cannot render {src}: {exc}") from exc
    except ValueError as exc:  # an answer that fails its question's type or validator
        raise UsageError(f"invalid answer: {exc}") from exc
