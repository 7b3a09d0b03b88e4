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
    InputFileError,
    InvalidNameError,
    TemplateError,
    UnknownDataKeyError,
    UsageError,
    invalid_yaml,
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
    data: dict[str, Any] = field(default_factory=dict)
    defaults: bool = False
    trust: bool = False
    #: render into a scratch folder, list the files, keep nothing
    pretend: bool = False


@dataclass(frozen=True)
class RenderResult:
    project_dir: Path
    template: str
    answers: dict[str, Any]
    skipped_tasks: list[str]
    version: str | None = None
    #: one-line warnings for the user (e.g. the template is not versioned)
    warnings: list[str] = field(default_factory=list)
    #: with ``pretend``: the files that would be written, relative to project_dir
    files: list[str] = field(default_factory=list)
    #: the commit ``--trust`` made after the template's ``git init``, if any
    commit: str | None = None


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


def load_data_file(path: Path) -> dict[str, Any]:
    """``--data-file FILE``: answers as a YAML mapping (``key: value``)."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputFileError(
            f"cannot read --data-file: {exc.strerror}", where=path, fix="pass a readable YAML file"
        ) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problem, where = invalid_yaml(path, exc)
        raise InputFileError(
            problem,
            where=where,
            fix="write the answers as a YAML mapping, e.g. `http_port: 8080`",
        ) from exc
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise InputFileError(
            "must be a YAML mapping of question: answer",
            where=path,
            fix="write the answers as a YAML mapping, e.g. `http_port: 8080`",
        )
    return {k: v for k, v in data.items() if not k.startswith("_")}


# A Go module path (golang.org/x/mod/module.CheckPath): slash-separated
# elements of [A-Za-z0-9._~-], no empty element, none starting or ending
# with '.', the first one a lowercase domain-like name with a dot.
_GO_ELEMENT = re.compile(r"^[A-Za-z0-9._~-]+$")
_GO_FIRST = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


def check_module_path(value: str, what: str = "module_path") -> None:
    """Reject a string that is not a valid Go module path, saying why."""
    fix = "use a path like example.com/team/orders"
    if not value:
        raise UsageError(f"{what} is empty", fix=fix)
    if value.startswith("/") or value.endswith("/") or "//" in value:
        raise UsageError(f"{what} {value!r}: has an empty path element", fix=fix)
    elements = value.split("/")
    for element in elements:
        if not _GO_ELEMENT.match(element):
            raise UsageError(
                f"{what} {value!r}: element {element!r} has characters other than "
                "letters, digits and . _ ~ -",
                fix=fix,
            )
        if element.startswith(".") or element.endswith("."):
            raise UsageError(
                f"{what} {value!r}: element {element!r} starts or ends with '.'", fix=fix
            )
    first = elements[0]
    if not _GO_FIRST.match(first) or "." not in first or first.startswith("-"):
        raise UsageError(
            f"{what} {value!r}: the first element {first!r} must be a lowercase domain "
            "name with a dot",
            fix=fix,
        )


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
    if path.is_dir():
        if not any((path / name).is_file() for name in ("copier.yml", "copier.yaml")):
            raise TemplateError(
                f"--template {src}: the folder has no copier.yml",
                fix="point --template at the template's root folder, the one with copier.yml",
            )
        return str(path.resolve())
    if path.exists():
        return str(path.resolve())
    if "://" in src or src.startswith(("git@", "gh:", "gl:", "git+")):
        return src
    raise TemplateError(
        f"template {src!r} is neither an existing path nor a git URL",
        fix="pass a template folder, a .bundle file or a git URL",
    )


def check_destination(dest: Path, name: str) -> Path:
    """Return ``dest/name``; refuse a non-empty target, one that escapes dest,
    or a destination that cannot be written."""
    try:
        return _check_destination(dest, name)
    except OSError as exc:
        raise DestinationError(
            f"--dest {dest}: {exc.strerror or exc}", fix="choose a writable --dest"
        ) from exc


def _writable_ancestor(path: Path) -> Path:
    """The nearest existing folder at or above ``path``."""
    for folder in (path, *path.parents):
        if folder.exists():
            return folder
    return Path("/")


def _check_destination(dest: Path, name: str) -> Path:
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
    import os

    existing = _writable_ancestor(target)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise DestinationError(
            f"--dest {dest}: {existing} is not writable", fix="choose a writable --dest"
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


def _choices(question: dict[str, Any]) -> list[str]:
    choices = question.get("choices") or []
    return [str(c) for c in (choices.values() if isinstance(choices, dict) else choices)]


def parse_multiselect(key: str, value: Any, question: dict[str, Any]) -> list[str]:
    """A multiselect answer in the forms people type: ``a,b``, ``[a, b]``,
    ``a b``, or nothing (no choice); every choice must be one of the question's."""
    if isinstance(value, list):
        picked = [str(v).strip() for v in value]
    else:
        text = str(value).strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        picked = [p.strip().strip("'\"") for p in re.split(r"[,\s]+", text)]
    picked = [p for p in picked if p]
    allowed = _choices(question)
    unknown = [p for p in picked if p not in allowed]
    if unknown:
        raise UsageError(
            f"--data {key}: unknown choice {unknown[0]!r}",
            fix=f"choose from {', '.join(allowed)}, comma-separated; {key}= picks none",
        )
    return list(dict.fromkeys(picked))


def check_answer(key: str, value: Any, question: Any) -> Any:
    """Check a ``--data`` value against its question, naming the key; return it
    in the type copier expects (a list for a multiselect)."""
    if not isinstance(question, dict):
        return value
    if question.get("multiselect"):
        return parse_multiselect(key, value, question)
    if key == "module_path":
        check_module_path(str(value))
    if not isinstance(value, str):
        return value
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
    if question.get("choices"):
        allowed = _choices(question)
        if value not in allowed:
            raise UsageError(f"--data {key}={value}: expected one of {', '.join(allowed)}")
    return value


def coerce_answers(data: dict[str, Any], questions: dict[str, Any]) -> dict[str, Any]:
    """Check every ``--data`` answer against the template's questions (unknown
    key, wrong type, unknown choice, invalid module_path: UsageError) and
    return them in the types copier expects (a list for a multiselect)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in questions:
            raise UnknownDataKeyError(key, list(questions))
        out[key] = check_answer(key, value, questions[key])
    return out


def new_service(opts: RenderOptions) -> RenderResult:
    """Validate everything, then render ``opts.dest/opts.name``.

    All or nothing: on any failure, Ctrl-C or SIGTERM included, what this
    wrote is removed, so the destination is as before (a new folder is gone,
    a pre-existing empty folder is empty again).
    """
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
        data = coerce_answers(opts.data, info.questions)
        skipped = [] if opts.trust and not opts.pretend else info.tasks
        version = info.version
    warnings_out: list[str] = []
    if opts.template and version is None:
        warnings_out.append(
            f"template {opts.template} is not the root of a git repository with a version "
            "tag: the service will not be updatable with `svcgen update`"
        )
    data["service_name"] = opts.name
    if opts.pretend:
        files = _pretend(src, data, opts)
        return RenderResult(
            project_dir=target,
            template=src,
            answers=data,
            skipped_tasks=skipped,
            version=version,
            warnings=warnings_out,
            files=files,
        )

    with _all_or_nothing(target):
        worker = _run_copy(src, target, data, opts, warnings_out)
        if not opts.template:
            from svcgen.updating.source import pin_stable_source

            pin_stable_source(target, BUNDLED_TEMPLATE)  # not this machine's bundle path
        answers = dict(worker.answers.combined) if hasattr(worker, "answers") else data
        if answers.get("_commit"):
            version = str(answers["_commit"])  # the tag, as the answers file records it
        commit = _first_commit(target, version, warnings_out) if opts.trust else None
    return RenderResult(
        project_dir=target,
        template=src,
        answers=answers,
        skipped_tasks=skipped,
        version=version,
        warnings=warnings_out,
        commit=commit,
    )


@contextmanager
def _all_or_nothing(target: Path) -> Iterator[None]:
    """Create ``target`` (and missing parents); on any exception, remove them
    again, or empty ``target`` if it existed (empty) before."""
    import shutil
    import signal
    import threading

    existed = target.exists()
    created = target
    while not created.parent.exists():
        created = created.parent
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DestinationError(
            f"cannot create {target}: {exc.strerror or exc}", fix="choose a writable --dest"
        ) from exc
    try:
        yield
    except BaseException:
        main = threading.current_thread() is threading.main_thread()
        signals = (signal.SIGINT, signal.SIGTERM)
        previous = [signal.signal(sig, signal.SIG_IGN) for sig in signals] if main else []
        try:
            if existed:
                for child in list(target.iterdir()):
                    if child.is_dir() and not child.is_symlink():
                        shutil.rmtree(child, ignore_errors=True)
                    else:
                        child.unlink(missing_ok=True)
            else:
                shutil.rmtree(created, ignore_errors=True)
        finally:
            for sig, handler in zip(signals, previous, strict=False):
                signal.signal(sig, handler)
        raise


def _pretend(src: str, data: dict[str, Any], opts: RenderOptions) -> list[str]:
    """The files a render would write: rendered into a scratch folder, listed,
    and removed."""
    import shutil
    import tempfile

    scratch = Path(tempfile.mkdtemp(prefix="svcgen-pretend-"))
    try:
        target = scratch / opts.name
        from dataclasses import replace

        quiet = replace(opts, trust=False)
        _run_copy(src, target, data, quiet, [])
        return sorted(str(p.relative_to(target)) for p in target.rglob("*") if not p.is_dir())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _first_commit(target: Path, version: str | None, notes: list[str]) -> str | None:
    """After the template's ``git init`` (``--trust``), commit the whole render,
    so that ``svcgen update`` works at once. Only in a repository the render
    created itself (one with no commit yet, rooted at the service). A commit
    git refuses (no user.name configured, say) is a warning, not a failure."""
    from svcgen import vcs
    from svcgen.errors import VcsError

    if not (target / ".git").exists() or vcs.has_commits(target):
        return None
    message = f"Initial commit: rendered by svcgen from template {version or '(unversioned)'}"
    try:
        vcs.git("add", "-A", cwd=target)
        vcs.git("commit", "--quiet", "--no-verify", "-m", message, cwd=target)
    except VcsError as exc:
        notes.append(f"{exc.message}; commit the render by hand before `svcgen update`")
        return None
    return vcs.git("rev-parse", "--short", "HEAD", cwd=target).strip()


def _run_copy(
    src: str, target: Path, data: dict[str, Any], opts: RenderOptions, notes: list[str]
) -> Any:
    import warnings

    import copier
    from copier.errors import CopierError, InteractiveSessionError

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            worker = copier.run_copy(
                src,
                target,
                data=data,
                vcs_ref=opts.vcs_ref,
                defaults=opts.defaults,
                unsafe=opts.trust,
                skip_tasks=not opts.trust,
                quiet=True,
            )
    except KeyboardInterrupt:
        raise KeyboardInterrupt from None  # copier's interrupt carries its whole state
    except InteractiveSessionError as exc:
        raise UsageError(
            "no terminal to ask the template's questions on",
            fix="pass --defaults, and --data KEY=VALUE or --data-file FILE for the answers",
        ) from exc
    except CopierError as exc:
        raise TemplateError(f"cannot render {src}: {' '.join(str(exc).split())}") from exc
    except ValueError as exc:  # an answer that fails its question's type or validator
        raise UsageError(f"invalid answer: {' '.join(str(exc).split())}") from exc
    except OSError as exc:
        raise DestinationError(
            f"cannot write {exc.filename or target}: {exc.strerror or exc}",
            fix="choose a writable --dest",
        ) from exc
    for w in caught:
        text = " ".join(str(w.message).split())
        if text and text not in notes:
            notes.append(text)
    return worker


# ---------------------------------------------------------------------------
# svcgen diff: a service against a fresh render of its recorded version.

#: never compared: git's own data and the answers file (its _src_path differs by machine)
_DIFF_IGNORED = (".git", ".copier-answers.yml")


@dataclass(frozen=True)
class FileChange:
    rel: str
    status: str  # "changed", "added" (by the owner) or "removed" (by the owner)
    diff: str


@dataclass(frozen=True)
class ServiceDiff:
    version: str | None
    files: list[FileChange]


def _service_files(root: Path) -> list[str]:
    """The service's files: git's tracked and untracked-not-ignored ones in a
    work tree, else every file."""
    from svcgen import vcs

    if vcs.is_work_tree(root):
        out = vcs.git(
            "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ".", cwd=root
        )
        names = [n for n in out.split("\0") if n and (root / n).is_file()]
    else:
        names = [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()]
    return sorted(n for n in names if n.split("/", 1)[0] not in _DIFF_IGNORED)


def _unified(rel: str, old: bytes | None, new: bytes | None) -> str:
    import difflib

    a = f"a/{rel}" if old is not None else "/dev/null"
    b = f"b/{rel}" if new is not None else "/dev/null"
    try:
        old_text = (old or b"").decode("utf-8").splitlines(keepends=True)
        new_text = (new or b"").decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return f"--- {a}\n+++ {b}\nBinary files differ\n"
    lines = []
    for line in difflib.unified_diff(old_text, new_text, a, b):
        lines.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(lines)


def diff_service(root: Path) -> ServiceDiff:
    """Render ``root``'s recorded template version with its recorded answers
    and compare every file with the service."""
    import shutil
    import tempfile

    from svcgen.updating.source import read_answers, resolve_source

    answers = read_answers(root.resolve())
    if not answers.src_path:
        raise TemplateError(
            "the answers file records no template (_src_path)",
            where=answers.path,
            fix="re-adopt the service with `svcgen adopt`",
        )
    src = str(resolve_source(answers.src_path))
    data = {k: v for k, v in answers.data.items() if not str(k).startswith("_")}
    scratch = Path(tempfile.mkdtemp(prefix="svcgen-diff-"))
    try:
        fresh = scratch / (root.resolve().name or "service")
        opts = RenderOptions(name=fresh.name, template=src, vcs_ref=answers.commit, defaults=True)
        _run_copy(src, fresh, data, opts, [])
        rendered = sorted(
            str(p.relative_to(fresh))
            for p in fresh.rglob("*")
            if p.is_file() and str(p.relative_to(fresh)).split("/", 1)[0] not in _DIFF_IGNORED
        )
        mine = _service_files(root)
        changes = []
        for rel in sorted(set(rendered) | set(mine)):
            old = (fresh / rel).read_bytes() if rel in rendered else None
            new = (root / rel).read_bytes() if rel in mine else None
            if old == new:
                continue
            status = (
                "changed"
                if old is not None and new is not None
                else ("added" if old is None else "removed")
            )
            changes.append(FileChange(rel, status, _unified(rel, old, new)))
        return ServiceDiff(version=answers.commit, files=changes)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
