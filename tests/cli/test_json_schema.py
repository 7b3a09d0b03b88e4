"""Every command's --json output is one document of docs/json-output.schema.json,
for results, for per-item errors and for input errors (same exit code)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Run, copy_service, git

ADOPTABLE = Path(__file__).resolve().parents[1] / "adopt" / "fixtures" / "nethttp"


def test_new_pretend_and_real(cli: Callable[..., Run], tmp_path: Path) -> None:
    pretend = cli("new", "orders", "--dest", tmp_path, "--defaults", "--pretend", "--json")
    assert pretend.code == 0, pretend.err
    doc = pretend.json()
    assert (doc["command"], doc["dry_run"]) == ("new", True)
    (item,) = doc["items"]
    assert item["status"] == "would create"
    assert "go.mod" in item["files"] and ".copier-answers.yml" in item["files"]
    assert list(tmp_path.iterdir()) == []

    real = cli("new", "orders", "--dest", tmp_path, "--defaults", "--json").json()
    assert real["items"][0]["status"] == "created"
    assert real["items"][0]["to_version"].startswith("v0.")
    assert real["summary"] == {"total": 1, "created": 1}


def test_check_and_update(cli: Callable[..., Run], rendered: Path, tmp_path: Path) -> None:
    svc = copy_service(rendered, tmp_path / "svc")
    plain = tmp_path / "plain"
    plain.mkdir()
    check = cli("check", "--json", svc, plain)
    assert check.code == 2
    doc = check.json()
    assert [i["status"] for i in doc["items"]] == ["up to date", "error"]
    assert doc["items"][0]["from_version"] == doc["items"][0]["to_version"]
    assert doc["errors"][0]["name"] == "plain"
    for args in (["--dry-run"], []):
        update = cli("update", "--json", *args, svc)
        assert update.code == 0, update.err
        doc = update.json()
        assert doc["dry_run"] is bool(args)
        assert doc["items"][0]["status"] == "up to date"
        assert ("diff" in doc["items"][0]) is bool(args)


def test_adopt_dry_run(cli: Callable[..., Run], tmp_path: Path) -> None:
    svc = tmp_path / "legacy"
    shutil.copytree(ADOPTABLE, svc)
    git(svc, "init", "-q")
    git(svc, "add", "-A")
    git(svc, "commit", "-qm", "legacy")
    r = cli("adopt", "--defaults", "--dry-run", "--json", cwd=svc)
    assert r.code == 0, r.err
    doc = r.json()
    (item,) = doc["items"]
    assert item["status"] == "would adopt"
    assert ".golangci.yml" in item["added"] and "go.mod" not in item["added"]
    assert not (svc / ".copier-answers.yml").exists()


def test_patch_config(cli: Callable[..., Run], tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text("a: 1\n", encoding="utf-8")
    dry = cli("patch-config", "--set", "a=2", "--dry-run", "--json", cfg).json()
    assert dry["items"][0]["status"] == "would change"
    real = cli("patch-config", "--set", "a=2", "--json", cfg).json()
    assert real["items"][0]["status"] == "changed"
    assert "diff" not in real["items"][0]
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1\n", encoding="utf-8")
    r = cli("patch-config", "--set", "a=3", "--json", bad)
    assert r.code == 2
    (error,) = r.json()["errors"]
    assert (error["path"], error["line"]) == (str(bad), 2)


def test_diff(cli: Callable[..., Run], rendered: Path, tmp_path: Path) -> None:
    svc = copy_service(rendered, tmp_path / "svc")
    clean = cli("diff", "--json", svc).json()
    assert clean["items"] == []
    (svc / "Makefile").write_text("mine\n", encoding="utf-8")
    (svc / "NOTES.md").write_text("notes\n", encoding="utf-8")
    (svc / "Dockerfile").unlink()
    r = cli("diff", "--json", "--exit-code", cwd=svc / "internal")
    assert r.code == 1
    doc = r.json()
    assert {i["name"]: i["status"] for i in doc["items"]} == {
        "Dockerfile": "removed",
        "Makefile": "changed",
        "NOTES.md": "added",
    }
    makefile = next(i for i in doc["items"] if i["name"] == "Makefile")
    assert "+mine" in makefile["diff"] and "-SERVICE      := orders" in makefile["diff"]


@pytest.mark.parametrize(
    ("args", "command", "code"),
    [
        (["new", "Bad_Name", "--defaults", "--json"], "new", 2),
        (["new", "ok", "--defaults", "--json", "--data", "features=cache"], "new", 2),
        (["update", "--json", "--conflict", "both"], "update", 2),
        (["patch-config", "--json", "x.yaml"], "patch-config", 2),
        (
            ["patch-config", "--json", "--set", "a=1", "--dry-run", "missing.yaml"],
            "patch-config",
            2,
        ),
        (["adopt", "--json", "--defaults"], "adopt", 2),
        (["diff", "--json"], "diff", 2),
    ],
)
def test_input_errors_are_reports_with_the_same_exit_code(
    cli: Callable[..., Run], tmp_path: Path, args: list[str], command: str, code: int
) -> None:
    r = cli(*args, cwd=tmp_path)
    assert r.code == code, r.err
    doc = r.json()
    assert doc["command"] == command
    assert doc["items"] == [] and len(doc["errors"]) == 1
    assert doc["errors"][0]["message"] in r.err
    assert list(tmp_path.iterdir()) == []
