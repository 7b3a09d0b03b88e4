"""Owner-owned files (_skip_if_exists), .svcgen.yml keep globs and `svcgen keep`."""

from __future__ import annotations

from pathlib import Path

import pytest
from synth import ROUTES, make_synth_template, release_makefile, release_routes
from update_helpers import copy_service, edit, new_service

from repo_helpers import commit_all, run, run_json, snapshot


@pytest.fixture(scope="module")
def routes_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A service at v1.0.0; the template's v2.0.0 adds a route to the owner-owned
    routes.txt and a key to the owner-owned config.txt."""
    root = tmp_path_factory.mktemp("owned")
    repo = make_synth_template(root / "tpl")
    svc = new_service(repo, "svc", root / "svcs")
    release_routes(repo, "v2.0.0")
    return svc


def test_untouched_owner_owned_file_receives_the_template_change(
    routes_release: Path, tmp_path: Path
) -> None:
    svc = copy_service(routes_release, tmp_path / "svc")
    code, data = run_json("update", str(svc))
    assert code == 0, data
    assert (svc / "routes.txt").read_text(encoding="utf-8") == ROUTES + "GET /version\n"
    assert data["items"][0]["not_applied"] == []  # type: ignore[index]


def test_modified_owner_owned_file_is_left_alone_and_listed(
    routes_release: Path, tmp_path: Path
) -> None:
    svc = copy_service(routes_release, tmp_path / "svc")
    mine = ROUTES + "POST /orders\n"
    (svc / "routes.txt").write_text(mine, encoding="utf-8")
    commit_all(svc, "my route")

    code, out, err = run("update", str(svc), "--dry-run")
    assert code == 0, out + err
    assert "not applied (yours): routes.txt" in out
    assert "+GET /version" in err  # the template's change, shown under --dry-run
    assert "+GET /version" not in out  # stdout stays the patch of what update does

    code, data = run_json("update", str(svc))
    assert code == 0
    (item,) = data["items"]  # type: ignore[misc]
    assert item["status"] == "updated"
    assert item["not_applied"] == ["routes.txt"]
    assert (svc / "routes.txt").read_text(encoding="utf-8") == mine
    # config.txt was not touched by the owner: it got the template's change.
    assert (svc / "config.txt").read_text(encoding="utf-8") == "port: 8000\ntimeout: 5s\n"


def test_deleted_owner_owned_file_stays_deleted(routes_release: Path, tmp_path: Path) -> None:
    svc = copy_service(routes_release, tmp_path / "svc")
    (svc / "routes.txt").unlink()
    commit_all(svc, "no routes file here")
    code, data = run_json("update", str(svc))
    assert code == 0, data
    assert not (svc / "routes.txt").exists()


def test_keep_globs_are_never_changed_nor_conflicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_synth_template(tmp_path / "tpl")
    svc = new_service(repo, "svc", tmp_path / "svcs")
    edit(svc / "Makefile", "go test ./...", "go test -count=1 ./...")
    monkeypatch.chdir(svc)
    code, out, err = run("keep", "Makefile", "deploy/")
    assert code == 0, out + err
    assert (svc / ".svcgen.yml").read_text(encoding="utf-8") == "keep:\n- Makefile\n- deploy/\n"
    code, out, _err = run("keep", "Makefile")
    assert code == 0 and "already kept" in out
    commit_all(svc, "mine")
    release_makefile(repo, "v2.0.0")
    kept = (svc / "Makefile").read_bytes()

    code, data = run_json("update", str(svc))
    assert code == 0, data
    (item,) = data["items"]  # type: ignore[misc]
    assert item["status"] == "updated"
    assert item["conflicts"] == []
    assert item["kept"] == ["Makefile"]
    assert (svc / "Makefile").read_bytes() == kept


def test_keep_outside_a_service_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file.txt").write_text("x\n")
    monkeypatch.chdir(tmp_path)
    code, _out, err = run("keep", "file.txt")
    assert code == 2
    assert "not inside a service" in err
    assert not (tmp_path / ".svcgen.yml").exists()


def test_invalid_svcgen_yml_is_an_error_naming_the_file(tmp_path: Path) -> None:
    repo = make_synth_template(tmp_path / "tpl")
    svc = new_service(repo, "svc", tmp_path / "svcs")
    (svc / ".svcgen.yml").write_text("keep: Makefile\n", encoding="utf-8")
    commit_all(svc, "bad ownership file")
    release_makefile(repo, "v2.0.0")
    before = snapshot(svc)
    code, data = run_json("update", str(svc))
    assert code == 2
    assert ".svcgen.yml" in data["items"][0]["message"]  # type: ignore[index]
    assert snapshot(svc) == before
