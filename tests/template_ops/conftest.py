"""Fixtures for the observability-pack and CI-gate tests of the go-service template.

Renders are cached per answer set for the whole session: rendering is pure (tasks are
skipped), so tests that only read the output can share one copy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ops_helpers import Renderer, build_k8scheck


@pytest.fixture(scope="session")
def ops_render(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Path]]:
    yield Renderer(tmp_path_factory.mktemp("template_ops"))


@pytest.fixture(scope="session")
def k8scheck(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The strict Kubernetes manifest checker (tests/template_ops/k8scheck), built once."""
    return build_k8scheck(tmp_path_factory.mktemp("k8scheck"))
