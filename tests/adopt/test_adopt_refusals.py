"""svcgen adopt refuses bad input and failed builds with exit 2, leaving nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from adopt_helpers import fixture_repo, snapshot

from repo_helpers import commit_all, run


def status(repo: Path) -> str:
    from repo_helpers import git

    return git(repo, "status", "--porcelain", "--untracked-files=all")


def test_dirty_tree_missing_go_mod_unknown_data_and_bad_flags(
    template_repo: Path, tmp_path: Path
) -> None:
    svc = fixture_repo("nethttp", tmp_path / "nethttp")
    base = ["adopt", str(svc), "--defaults", "--template", str(template_repo)]
    (svc / "scratch.txt").write_text("wip\n")
    before = snapshot(svc)
    code, _out, err = run(*base)
    assert code == 2 and "dirty" in err and "scratch.txt" in err
    assert snapshot(svc) == before
    (svc / "scratch.txt").unlink()

    for extra, needle in [
        (["--data", "colour=blue"], "colour"),
        (["--data", "module_path=example.com/other"], "go.mod"),
        (["--data", "layers=service"], "adopt sets it itself"),
        (["--layers", "platform,service"], "unknown layer service"),
        (["--ci", "jenkins"], "--ci"),
    ]:
        code, _out, err = run(*base, *extra)
        assert code == 2, (extra, err)
        assert needle in err, (extra, err)
        assert status(svc) == ""

    (svc / "go.mod").unlink()
    commit_all(svc, "no go.mod")
    code, _out, err = run(*base)
    assert code == 2 and "go.mod" in err


def test_an_existing_platform_directory_stops_adopt(template_repo: Path, tmp_path: Path) -> None:
    svc = fixture_repo("nethttp", tmp_path / "nethttp")
    (svc / "internal" / "platform" / "health").mkdir(parents=True)
    (svc / "internal" / "platform" / "health" / "health.go").write_text("package health\n")
    commit_all(svc, "a platform package of its own")
    code, out, err = run("adopt", str(svc), "--defaults", "--template", str(template_repo))
    assert code == 2, out + err
    assert "internal/platform/health/ already exists" in err
    assert status(svc) == ""


@pytest.mark.slow
def test_a_failing_build_is_undone_with_the_compiler_error(
    template_repo: Path, tmp_path: Path
) -> None:
    svc = fixture_repo("nethttp", tmp_path / "nethttp")
    (svc / "broken.go").write_text('package main\n\nvar broken int = "not an int"\n')
    commit_all(svc, "a service that does not build")
    before = snapshot(svc)
    code, out, err = run("adopt", str(svc), "--defaults", "--template", str(template_repo))
    assert code == 2, out + err
    assert "go build failed after adopting" in err and "broken.go:3" in err, err
    assert snapshot(svc) == before
    assert status(svc) == ""


def test_json_dry_run_uses_the_report_shape(template_repo: Path, tmp_path: Path) -> None:
    svc = fixture_repo("ginsvc", tmp_path / "ginsvc")
    code, out, err = run(
        "adopt", str(svc), "--defaults", "--template", str(template_repo),
        "--dry-run", "--wire", "--json",
    )  # fmt: skip
    assert code == 0, out + err
    doc = json.loads(out)
    assert doc["schema_version"] == 1 and doc["command"] == "adopt" and doc["dry_run"] is True
    (item,) = doc["items"]
    assert item["status"] == "would adopt"
    assert item["layers"] == ["platform", "lint", "ci", "deploy"] and item["ci"] == "gitlab"
    assert "internal/platform/adapt/gin/gin.go" in item["added"]
    edited = {e["path"] for e in item["edited"]}
    assert {"Makefile", ".gitlab-ci.yml", "go.mod", "main.go"} <= edited
    assert "+include svcgen.mk" in item["diff"]
    assert "ginadapt.Use(r, adapt.MustNew(adapt.Options{}))" in item["diff"]
    assert any("github.com/prometheus/client_golang" in r for r in item["requirements"])
    assert status(svc) == ""

    code, out, _err = run("adopt", str(tmp_path / "nowhere"), "--json")
    assert code == 2
    doc = json.loads(out)
    assert doc["items"] == [] and doc["errors"][0]["message"]
