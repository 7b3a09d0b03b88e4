"""The fleet file: which service repositories svcgen works on.

One format serves every fleet-wide command (``patch-config``, ``update``,
``check``); :func:`each` is how they work on its services in parallel::

    # fleet.yaml
    services:
      - name: orders
        path: ../orders            # relative to this file
      - name: payments
        path: /srv/repos/payments
        config_files:              # optional per-service override
          - deploy/config.yaml
    config_files:                  # default for every service
      - configs/config-production.yaml

Paths are resolved relative to the fleet file's directory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from svcgen.errors import FleetFileError, Location, invalid_yaml

DEFAULT_CONFIG_FILES = ("configs/config-production.yaml",)
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Service:
    name: str
    path: Path
    config_files: tuple[str, ...]

    def config_paths(self) -> list[Path]:
        return [self.path / rel for rel in self.config_files]


@dataclass(frozen=True)
class Fleet:
    path: Path
    services: tuple[Service, ...]
    config_files: tuple[str, ...]


def _where(path: Path, node: Any) -> Location:
    mark = getattr(node, "start_mark", None)
    if mark is None:
        return Location(path)
    return Location(path, mark.line + 1, mark.column + 1)


def _mapping(node: Any) -> dict[str, Any]:
    return {k.value: v for k, v in node.value}


def _str_list(path: Path, node: Any, what: str) -> tuple[str, ...]:
    import yaml

    if not isinstance(node, yaml.SequenceNode) or not all(
        isinstance(item, yaml.ScalarNode) and item.value for item in node.value
    ):
        raise FleetFileError(f"{what} must be a list of paths", where=_where(path, node))
    return tuple(str(item.value) for item in node.value)


def load_fleet(path: Path) -> Fleet:
    """Parse and validate a fleet file; every problem names its line."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FleetFileError(f"cannot read fleet file: {exc.strerror}", where=path) from exc
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        problem, where = invalid_yaml(path, exc)
        raise FleetFileError(problem, where=where) from exc
    if not isinstance(root, yaml.MappingNode):
        raise FleetFileError(
            "a fleet file must be a mapping with a 'services' list",
            where=_where(path, root) if root is not None else path,
            fix="see `svcgen patch-config --help` for the format",
        )
    top = _mapping(root)
    unknown = set(top) - {"services", "config_files"}
    if unknown:
        key = sorted(unknown)[0]
        raise FleetFileError(
            f"unknown key {key!r}",
            where=_where(path, next(k for k, _ in root.value if k.value == key)),
            fix="allowed keys: services, config_files",
        )
    default_files = (
        _str_list(path, top["config_files"], "config_files")
        if "config_files" in top
        else DEFAULT_CONFIG_FILES
    )
    services_node = top.get("services")
    if not isinstance(services_node, yaml.SequenceNode) or not services_node.value:
        raise FleetFileError(
            "'services' must be a non-empty list of {name, path}",
            where=_where(path, services_node if services_node is not None else root),
        )
    base = path.resolve().parent
    services: list[Service] = []
    seen: dict[str, Location] = {}
    for item in services_node.value:
        where = _where(path, item)
        if not isinstance(item, yaml.MappingNode):
            raise FleetFileError("each service must be a mapping with name and path", where=where)
        fields = _mapping(item)
        extra = set(fields) - {"name", "path", "config_files"}
        if extra:
            raise FleetFileError(
                f"unknown service key {sorted(extra)[0]!r}",
                where=where,
                fix="allowed keys: name, path, config_files",
            )
        for key in ("name", "path"):
            node = fields.get(key)
            if not isinstance(node, yaml.ScalarNode) or not node.value:
                raise FleetFileError(f"service is missing {key!r}", where=where)
        name = str(fields["name"].value)
        if name in seen:
            raise FleetFileError(
                f"duplicate service name {name!r} (first at line {seen[name].line})",
                where=where,
            )
        seen[name] = where
        files = (
            _str_list(path, fields["config_files"], "config_files")
            if "config_files" in fields
            else default_files
        )
        services.append(
            Service(name=name, path=(base / str(fields["path"].value)), config_files=files)
        )
    return Fleet(path=path, services=tuple(services), config_files=default_files)


def each(
    items: Sequence[T],
    fn: Callable[[T], R],
    jobs: int,
    on_done: Callable[[R], None] | None = None,
) -> list[R]:
    """``fn`` over ``items``, ``jobs`` at a time (1: one after the other, here):
    the one way fleet commands work on their services in threads.

    Results keep the items' order, whatever ``jobs`` is. ``on_done`` is called in
    this thread as each item finishes (for progress). ``fn`` reports its own
    failures in its result; an exception it raises stops the run and is raised
    here once the items already started are done."""
    if jobs <= 1 or len(items) <= 1:
        results = []
        for item in items:
            results.append(fn(item))
            if on_done is not None:
                on_done(results[-1])
        return results
    from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

    done_at: dict[int, R] = {}
    pool = ThreadPoolExecutor(max_workers=min(jobs, len(items)))
    try:
        futures: dict[Future[R], int] = {pool.submit(fn, item): i for i, item in enumerate(items)}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=futures.__getitem__):
                done_at[futures[future]] = future.result()
                if on_done is not None:
                    on_done(done_at[futures[future]])
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [done_at[i] for i in range(len(items))]


def jobs_value(jobs: int | None) -> int:
    """``--jobs``: None or 0 is the number of CPUs; 1 is serial."""
    import os

    from svcgen.errors import UsageError

    if jobs is None or jobs == 0:
        return max(1, os.cpu_count() or 1)
    if jobs < 0:
        raise UsageError(f"--jobs {jobs}: must be at least 1", fix="1 runs serially")
    return jobs
