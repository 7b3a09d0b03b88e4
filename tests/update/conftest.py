"""Fixtures for svcgen update/adopt/check: real git repositories (see update_helpers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from update_helpers import make_template_repo, new_service, release_v2

from repo_helpers import isolated_env


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A fixed git identity and a private svcgen cache, for this session only."""
    with isolated_env(tmp_path_factory.mktemp("svcgen-cache")):
        yield


@pytest.fixture(scope="session")
def repo_v2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A template repository with v1.0.0 and v2.0.0. Tests must not change it."""
    repo = make_template_repo(tmp_path_factory.mktemp("tpl-v2") / "go-service")
    release_v2(repo)
    return repo


@pytest.fixture(scope="session")
def base_service(repo_v2: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One service rendered from repo_v2 at v1.0.0 and committed. Copy it; never change it."""
    return new_service(repo_v2, "svc", tmp_path_factory.mktemp("base"))


@pytest.fixture(scope="session")
def small_base_service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Like base_service, from a trimmed copy of the template (v1.0.0 and v2.0.0)."""
    repo = make_template_repo(tmp_path_factory.mktemp("tpl-small") / "go-service", small=True)
    release_v2(repo)
    return new_service(repo, "svc", tmp_path_factory.mktemp("small-base"))
