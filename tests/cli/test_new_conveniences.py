"""`svcgen new --data-file`, `--pretend` and `--trust` (first commit), through the real CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from .conftest import Run, git


def test_data_file_answers_and_data_overrides_it(cli: Callable[..., Run], tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "http_port: 9090\nci_provider: gitlab\nfeatures: [auth]\n"
        "module_path: example.com/acme/orders\n",
        encoding="utf-8",
    )
    dest = tmp_path / "out"
    r = cli(
        "new", "orders", "--dest", dest, "--defaults", "--data-file", answers,
        "--data", "http_port=7070",
    )  # fmt: skip
    assert r.code == 0, r.err
    got = yaml.safe_load((dest / "orders" / ".copier-answers.yml").read_text())
    assert got["http_port"] == 7070
    assert got["ci_provider"] == "gitlab"
    assert got["features"] == ["auth"]
    assert got["module_path"] == "example.com/acme/orders"
    assert not (dest / "orders" / ".github").exists()


def test_bad_data_file_names_its_line(cli: Callable[..., Run], tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("http_port: 9090\nfeatures: [auth\n", encoding="utf-8")
    r = cli("new", "orders", "--dest", tmp_path / "out", "--defaults", "--data-file", answers)
    assert r.code == 2
    (line,) = r.err.strip().splitlines()
    assert line.startswith(f"error: {answers}:3:1: invalid YAML") or f"{answers}:" in line, line
    assert not (tmp_path / "out").exists()


def test_pretend_lists_files_and_writes_nothing(cli: Callable[..., Run], tmp_path: Path) -> None:
    r = cli("new", "orders", "--dest", tmp_path, "--defaults", "--pretend")
    assert r.code == 0, r.err
    files = r.out.splitlines()
    assert f"{tmp_path}/orders/go.mod" in files
    assert f"{tmp_path}/orders/.copier-answers.yml" in files
    assert "would create" in r.err
    assert list(tmp_path.iterdir()) == []


def test_trust_makes_the_first_commit(cli: Callable[..., Run], tmp_path: Path) -> None:
    r = cli("new", "orders", "--dest", tmp_path, "--defaults", "--trust")
    assert r.code == 0, r.err
    svc = tmp_path / "orders"
    assert git(svc, "rev-list", "--count", "HEAD").strip() == "1"
    assert git(svc, "status", "--porcelain", "--untracked-files=all") == ""
    assert "v0.1.0" in git(svc, "log", "-1", "--format=%s")
    # `svcgen update` works at once (the tree is clean and committed)
    update = cli("update", svc)
    assert update.code == 0, update.err
    assert "1 service: 1 up to date" in update.err
