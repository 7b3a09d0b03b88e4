"""Fixtures for svcgen adopt: fixture services in real git repositories, adopted
through the real CLI from a versioned copy of the template."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from adopt_helpers import make_template_repo

from repo_helpers import isolated_env


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A fixed git identity and a private svcgen cache, for this session only."""
    with isolated_env(tmp_path_factory.mktemp("svcgen-cache")) as mp:
        mp.delenv("GOFLAGS", raising=False)
        yield


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """templates/go-service as a git repository tagged v1.0.0. Tests must not change it."""
    return make_template_repo(tmp_path_factory.mktemp("tpl") / "go-service")
