"""Shared fixtures."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from repo_helpers import git

if TYPE_CHECKING:
    from service_helpers import RedisServer

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "go-service"


@pytest.fixture(scope="session")
def template_git_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of templates/go-service as its own git repository, tagged v1.0.0."""
    repo = tmp_path_factory.mktemp("tpl") / "go-service"
    shutil.copytree(TEMPLATE, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "v1")
    git(repo, "tag", "v1.0.0")
    return repo


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test alone on a free loopback port, killed at the end
    (the test may kill and restart it)."""
    from service_helpers import start_redis

    srv = start_redis(tmp_path)
    yield srv
    srv.kill()
