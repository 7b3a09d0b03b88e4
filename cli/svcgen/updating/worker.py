"""svcgen's copier Worker: copier's own update algorithm, with three changes.

1. **Stable template sources.** A recorded ``_src_path`` such as
   ``svcgen:go-service`` is mapped to the installed bundle before copier
   reads it, and recorded back unchanged in the new answers file.
2. **Tasks and migrations run at most once, and only with --trust.** Copier's
   update renders the template three times (the old version and the new one
   in temporary directories, and the new one over the project), and would
   run the template's tasks in each. Here tasks and migrations run only in
   the project itself, and only when trusted; otherwise they are skipped and
   reported.
3. **Trust covers tasks and migrations only.** Without --trust, a template
   using Jinja extensions is still refused, as copier does.

Copier internals used here (``Worker.subproject``, ``_answers_to_remember``,
``_execute_tasks``, ``_check_unsafe``) are covered by tests/update.
"""

from __future__ import annotations

from dataclasses import field
from functools import cache, cached_property
from pathlib import Path
from typing import Any


@cache
def worker_class() -> Any:
    from copier._main import Worker, _operation
    from copier._tools import cast_to_bool
    from copier.errors import UnsafeTemplateError
    from pydantic import ConfigDict
    from pydantic.dataclasses import dataclass

    @dataclass(config=ConfigDict(extra="forbid"))
    class SvcgenWorker(Worker):
        # The project being rendered or updated: the only place tasks run.
        svcgen_project: Path | None = None
        svcgen_trust: bool = False  # allow unsafe features (tasks, migrations, extensions)
        svcgen_run_tasks: bool = True  # false: report due tasks as skipped (dry runs)
        # recorded _src_path -> source copier reads (e.g. svcgen:go-service -> bundle path)
        svcgen_sources: dict[str, str] = field(default_factory=dict)
        # Collects "skipped: CMD" / "ran: CMD" lines; shared by the temporary workers.
        svcgen_log: Any = None
        # Reuse template clones across workers (see shared_template).
        svcgen_share_templates: bool = False

        @cached_property
        def subproject(self) -> Any:
            sub = super().subproject
            answers = sub.last_answers
            recorded = answers.get("_src_path")
            if recorded in self.svcgen_sources:
                answers = {**answers, "_src_path": self.svcgen_sources[recorded]}
                sub.__dict__["last_answers"] = answers
            url, ref = answers.get("_src_path"), answers.get("_commit")
            if self.svcgen_share_templates and url and _shareable(ref):
                sub.__dict__["template"] = shared_template(str(url), str(ref), False)
            return sub

        @cached_property
        def template(self) -> Any:
            ref = self.resolved_vcs_ref
            if not self.svcgen_share_templates or not _shareable(ref):
                return super().template
            url = self.src_path
            if not url:
                if self.subproject.template is None:
                    raise TypeError("Template not found")
                url = str(self.subproject.template.url)
            return shared_template(url, str(ref), self.use_prereleases)

        def _answers_to_remember(self) -> Any:
            answers = dict(super()._answers_to_remember())
            stable = {real: recorded for recorded, real in self.svcgen_sources.items()}
            if answers.get("_src_path") in stable:
                answers["_src_path"] = stable[answers["_src_path"]]
            return answers

        def _in_project(self) -> bool:
            return (
                self.svcgen_project is not None
                and Path(self.dst_path).absolute() == self.svcgen_project
            )

        def _execute_tasks(self, tasks: Any) -> None:
            if not tasks or not self._in_project():
                return  # never in the temporary re-renders of an update
            operation = _operation.get()
            due = []
            for task in tasks:
                extra = {f"_{k}": v for k, v in task.extra_vars.items()}
                extra["_copier_operation"] = operation
                if cast_to_bool(self._render_value(task.condition, extra)):
                    due.append(task)
            if self.svcgen_log is not None:
                run = self.svcgen_trust and self.svcgen_run_tasks
                verb = "ran" if run else "skipped"
                self.svcgen_log.extend(f"{verb}: {_command(task)}" for task in due)
            if self.svcgen_trust and self.svcgen_run_tasks and due:
                super()._execute_tasks(due)

        def _sync_git_index_executable_bit(self, dst_relpath: Any, src_mode: int) -> None:
            # Copier asks git for core.fileMode once per rendered file; ask once per run.
            if _file_mode_is_false(str(self.subproject.local_abspath)):
                super()._sync_git_index_executable_bit(dst_relpath, src_mode)

        def _check_unsafe(self, mode: Any) -> None:
            if self.svcgen_trust:
                return
            features = set()
            if self.template.jinja_extensions:
                features.add("jinja_extensions")
            sub = self.subproject.template if mode == "update" else None
            if sub is not None and sub.jinja_extensions:
                features.add("jinja_extensions")
            if features:
                raise UnsafeTemplateError(sorted(features))

    return SvcgenWorker


# (url, ref, use_prereleases) -> copier Template. One update renders the old and
# the new version of a template five times between them, and a fleet run does
# that for every service: sharing the clones saves most of the git work.
_TEMPLATES: dict[tuple[str, str, bool], Any] = {}


def _shareable(ref: object) -> bool:
    # HEAD of a local template moves (and may include dirty changes): never shared.
    return isinstance(ref, str) and bool(ref) and ref != "HEAD"


def shared_template(url: str, ref: str, use_prereleases: bool) -> Any:
    """One copier Template (one clone) per source and version, until release_templates()."""
    from copier._template import Template

    key = (url, ref, use_prereleases)
    if key not in _TEMPLATES:
        _TEMPLATES[key] = Template(url=url, ref=ref, use_prereleases=use_prereleases)
    return _TEMPLATES[key]


def release_templates() -> None:
    """Delete the shared clones (end of a run)."""
    for template in _TEMPLATES.values():
        template._cleanup()
    _TEMPLATES.clear()


@cache
def _file_mode_is_false(directory: str) -> bool:
    """Whether git ignores executable bits in ``directory`` (core.fileMode false)."""
    from svcgen import vcs

    if not Path(directory).is_dir():
        return False
    value = vcs.git("config", "--type=bool", "--get", "core.fileMode", cwd=directory, check=False)
    return value.strip() == "false"


def _command(task: Any) -> str:
    cmd = task.cmd
    return " ".join(str(part) for part in cmd) if isinstance(cmd, list) else str(cmd)
