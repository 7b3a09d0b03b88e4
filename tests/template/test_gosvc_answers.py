"""Every value of each choice question renders; files follow the answers."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from gosvc_helpers import TEMPLATE_DIR, render

GITLAB = ".gitlab-ci.yml"
GITHUB = ".github/workflows/ci.yml"


@pytest.mark.parametrize(
    ("provider", "present", "absent"),
    [
        ("gitlab", [GITLAB], [GITHUB, ".github"]),
        ("github", [GITHUB], [GITLAB]),
        ("both", [GITLAB, GITHUB], []),
    ],
)
def test_ci_provider_selects_pipelines(
    copie: Any, provider: str, present: list[str], absent: list[str]
) -> None:
    project = render(copie, ci_provider=provider)
    for rel in present:
        assert (project / rel).is_file(), rel
    for rel in absent:
        assert not (project / rel).exists(), rel
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["ci_provider"] == provider


def test_answers_flow_into_the_service(copie: Any) -> None:
    project = render(
        copie,
        service_name="orders-api",
        module_path="example.com/shop/orders-api",
        http_port=9090,
        go_version="1.26",
        description="Orders API",
    )
    assert (project / "go.mod").read_text().startswith("module example.com/shop/orders-api\n")
    assert (project / "cmd/orders-api/main.go").is_file()
    cfg = yaml.safe_load((project / "configs/config.yaml").read_text())
    assert cfg["server"]["http"]["addr"] == "0.0.0.0:9090"
    assert "EXPOSE 9090" in (project / "Dockerfile").read_text()
    assert "FROM golang:1.26 AS build" in (project / "Dockerfile").read_text()
    assert "Orders API" in (project / "README.md").read_text()


def test_features_is_a_multiselect(copie: Any) -> None:
    project = render(copie, features=["auth"])
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["features"] == ["auth"]


@pytest.mark.parametrize("name", ["Demo", "1demo", "demo_x", "a" * 64, "demo-"])
def test_service_name_must_be_a_dns_label(copie: Any, name: str) -> None:
    result = copie.copy(extra_answers={"service_name": name}, template_dir=TEMPLATE_DIR)
    assert result.exit_code != 0
    assert "DNS-1123 label" in str(result.exception)


def test_user_owned_files_are_skip_if_exists() -> None:
    spec = yaml.safe_load((TEMPLATE_DIR / "copier.yml").read_text())
    assert set(spec["_skip_if_exists"]) >= {
        "configs/config.yaml",
        "configs/config-production.yaml",
    }
    # routes.go imports platform packages: updates merge it (3-way) instead,
    # so that a move of those packages reaches it (tests/update/test_layer_move.py).
    assert "internal/api/routes.go" not in spec["_skip_if_exists"]
    for task in spec["_tasks"]:
        assert task["when"] == "{{ _copier_operation == 'copy' }}", task
