"""`svcgen new`: every input error exits 2 with a one-line message and writes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from svcgen.app import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def test_renders_with_defaults(tmp_path: Path) -> None:
    code, out, err = run("new", "orders", "--dest", str(tmp_path), "--defaults")
    assert code == 0, err
    project = tmp_path / "orders"
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["service_name"] == "orders"
    assert answers["module_path"] == "gitlab.com/ta-microservices/orders"
    assert answers["http_port"] == 8000
    assert answers["ci_provider"] == "both"
    assert (
        (project / "go.mod").read_text().startswith("module gitlab.com/ta-microservices/orders\n")
    )
    assert "created" in out
    # Without --trust the tasks are skipped, and the user is told how to run them.
    assert "--trust" in err and "skipped" in err


def test_data_answers_questions(tmp_path: Path) -> None:
    code, _, err = run(
        "new",
        "billing",
        "--dest",
        str(tmp_path),
        "--defaults",
        "--data",
        "http_port=9090",
        "--data",
        "module_path=example.com/acme/billing",
        "--data",
        "ci_provider=gitlab",
    )
    assert code == 0, err
    answers = yaml.safe_load((tmp_path / "billing" / ".copier-answers.yml").read_text())
    assert answers["http_port"] == 9090
    assert answers["module_path"] == "example.com/acme/billing"
    assert answers["ci_provider"] == "gitlab"


def test_default_dest_is_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run("new", "cwd-svc", "--defaults")
    assert code == 0, err
    assert (tmp_path / "cwd-svc" / ".copier-answers.yml").is_file()


@pytest.mark.parametrize(
    "name",
    [
        "Orders",
        "1orders",
        "-orders",
        "orders-",
        "or_ders",
        "or.ders",
        "a" * 64,
        "../evil",
        "a/b",
        "",
    ],
)
def test_bad_name_exit_2_nothing_written(tmp_path: Path, name: str) -> None:
    code, _out, err = run("new", "--dest", str(tmp_path), "--defaults", "--", name)
    assert code == 2
    assert "DNS-1123" in err
    assert len(err.strip().splitlines()) == 1
    assert tree(tmp_path) == []


def test_63_char_name_is_accepted(tmp_path: Path) -> None:
    name = "a" + "b" * 61 + "c"
    code, _, err = run("new", name, "--dest", str(tmp_path), "--defaults")
    assert code == 0, err


def test_non_empty_destination_exit_2_untouched(tmp_path: Path) -> None:
    existing = tmp_path / "orders"
    existing.mkdir()
    (existing / "keep.txt").write_text("mine")
    code, _, err = run("new", "orders", "--dest", str(tmp_path), "--defaults")
    assert code == 2
    assert "already exists and is not empty" in err
    assert tree(existing) == ["keep.txt"]
    assert (existing / "keep.txt").read_text() == "mine"


def test_empty_existing_destination_is_fine(tmp_path: Path) -> None:
    (tmp_path / "orders").mkdir()
    code, _, err = run("new", "orders", "--dest", str(tmp_path), "--defaults")
    assert code == 0, err


def test_destination_escaping_dir_exit_2(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    os.symlink(outside, dest / "orders")
    code, _, err = run("new", "orders", "--dest", str(dest), "--defaults")
    assert code == 2
    assert "outside" in err
    assert tree(outside) == []


def test_dest_is_a_file_exit_2(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    code, _, err = run("new", "orders", "--dest", str(f), "--defaults")
    assert code == 2
    assert "not a directory" in err


def test_unknown_data_key_exit_2_nothing_written(tmp_path: Path) -> None:
    code, _, err = run(
        "new", "orders", "--dest", str(tmp_path), "--defaults", "--data", "colour=red"
    )
    assert code == 2
    assert "unknown --data key 'colour'" in err
    assert "http_port" in err  # the fix lists the known keys
    assert tree(tmp_path) == []


@pytest.mark.parametrize(
    ("pair", "expected"),
    [
        ("http_port=abc", "http_port=abc: expected an integer"),
        ("ci_provider=jenkins", "expected one of gitlab, github, both"),
        ("novalue", "write it as KEY=VALUE"),
        ("service_name=other", "contradicts NAME"),
    ],
)
def test_bad_data_values_exit_2(tmp_path: Path, pair: str, expected: str) -> None:
    code, _, err = run("new", "orders", "--dest", str(tmp_path), "--defaults", "--data", pair)
    assert code == 2
    assert expected in err
    assert tree(tmp_path) == []


def test_missing_template_exit_2(tmp_path: Path) -> None:
    code, _, err = run(
        "new", "orders", "--dest", str(tmp_path), "--defaults", "--template", str(tmp_path / "nope")
    )
    assert code == 2
    assert "neither an existing path nor a git URL" in err


def test_template_from_path_and_git_ref(tmp_path: Path, template_git_repo: Path) -> None:
    code, _, err = run(
        "new",
        "tagged",
        "--dest",
        str(tmp_path / "out"),
        "--defaults",
        "--template",
        str(template_git_repo),
        "--vcs-ref",
        "v1.0.0",
    )
    assert code == 0, err
    answers = yaml.safe_load((tmp_path / "out" / "tagged" / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v1.0.0"
    assert answers["_src_path"] == str(template_git_repo)


def test_trust_runs_tasks(tmp_path: Path) -> None:
    code, _, err = run("new", "trusted", "--dest", str(tmp_path), "--defaults", "--trust")
    assert code == 0, err
    assert "skipped" not in err
    assert (tmp_path / "trusted" / ".git").is_dir()


def test_missing_name_is_usage_error() -> None:
    code, _, err = run("new")
    assert code == 2
    assert "Missing argument 'NAME'" in err
