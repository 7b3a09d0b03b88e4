"""Fixtures for the go-service template tests: render once per module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gosvc_helpers import render

from service_helpers import find_golangci_lint


@pytest.fixture(scope="module")
def default_service(copie_session: Any) -> Path:
    """The template rendered once per test module with the default answers."""
    return render(copie_session)


@pytest.fixture(scope="session")
def golangci_lint() -> str:
    return find_golangci_lint()
