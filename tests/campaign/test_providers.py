"""Merge requests by provider: the provider comes from the remote URL (pushes go to
bare repositories on disk through ``url.<dir>.insteadOf``); GitHub pull requests
through a ``gh`` stand-in on PATH that records its arguments."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from campaign_helpers import (
    BRANCH,
    MR_OPTIONS,
    SET,
    TITLE,
    items,
    make_remote,
    make_repo,
    pushes,
    write_fleet,
)

from repo_helpers import git, run, run_json
from svcgen.campaign import provider

GH = """\
#!/bin/sh
printf '%s\\n' "$@" > "{log}"
echo "Creating pull request for {branch} into main in acme/orders"
echo
echo "https://github.com/acme/orders/pull/7"
"""


def hosted_repo(tmp: Path, url_prefix: str) -> tuple[Path, Path, Path]:
    """orders, whose origin is ``<url_prefix>orders.git``, rewritten to a bare repo on disk."""
    remote = make_remote(tmp / "remotes" / "orders.git")
    repo = make_repo(tmp / "repos" / "orders", remote, {".": "false"})
    git(repo, "remote", "set-url", "origin", f"{url_prefix}orders.git")
    git(repo, "config", f"url.{tmp / 'remotes'}/.insteadOf", url_prefix)
    fleet = write_fleet(tmp / "fleet.yaml", [("orders", repo)])
    return repo, remote, fleet


def test_gitlab_is_detected_from_the_remote_url(tmp_path: Path) -> None:
    _, remote, fleet = hosted_repo(tmp_path, "git@gitlab.example.com:team/")
    code, report = run_json(
        "patch-config", "--set", SET, "--fleet", str(fleet), "--branch", BRANCH,
        "--push", "--merge-request",
    )  # fmt: skip
    assert code == 0, report
    assert [p["options"] for p in pushes(remote)] == [MR_OPTIONS]
    item = items(report)["orders"]
    assert item["merge_request"] == "https://gitlab.example.com/team/orders/-/merge_requests/1"


def test_github_pull_request_through_gh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, remote, fleet = hosted_repo(tmp_path, "git@github.com:acme/")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "gh-args.txt"
    gh = bin_dir / "gh"
    gh.write_text(GH.format(log=log, branch=BRANCH), encoding="utf-8")
    gh.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    record = tmp_path / "c.json"
    args = ("patch-config", "--set", SET, "--fleet", str(fleet), "--branch", BRANCH)
    args += ("--push", "origin", "--merge-request", "--campaign", str(record))

    code, report = run_json(*args)
    assert code == 0, report
    item = items(report)["orders"]
    assert item["merge_request"] == "https://github.com/acme/orders/pull/7"
    assert pushes(remote)[0]["options"] == []  # no GitLab push options for GitHub
    assert log.read_text(encoding="utf-8").splitlines() == [
        "pr", "create", "--head", BRANCH, "--base", "main", "--title", TITLE,
        "--body", "Made by svcgen.", "--repo", "github.com/acme/orders",
    ]  # fmt: skip
    saved = json.loads(record.read_text(encoding="utf-8"))["repositories"]
    assert [e["merge_request"] for e in saved.values()] == ["https://github.com/acme/orders/pull/7"]

    # a rerun after the base moved replaces the branch; gh is not asked again
    log.unlink()
    clone = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    (clone / "NEWS.md").write_text("moved\n", encoding="utf-8")
    git(clone, "add", "-A")
    git(clone, "commit", "-qm", "moved")
    git(clone, "push", "-q", "origin", "main")
    code, report = run_json(*args)
    assert code == 0, report
    item = items(report)["orders"]
    assert item["merge_request"] == "https://github.com/acme/orders/pull/7"
    assert not log.exists()
    last = pushes(remote)[-1]  # (the one before it is the other clone's push to main)
    assert last["options"] == [] and last["refs"][0][2] == f"refs/heads/{BRANCH}"
    assert last["refs"][0][1] == item["commit"]


def test_github_without_gh_records_the_compare_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, remote, fleet = hosted_repo(tmp_path, "git@github.com:acme/")
    path = [d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / "gh").exists()]
    monkeypatch.setenv("PATH", os.pathsep.join(path))
    code, out, err = run(
        "patch-config", "--set", SET, "--fleet", str(fleet), "--branch", BRANCH,
        "--push=origin", "--merge-request",
    )  # fmt: skip
    assert code == 0, out + err
    url = f"https://github.com/acme/orders/compare/main...{BRANCH}?expand=1"
    assert f"orders: open the pull request at {url}" in " ".join(err.split())
    assert len(pushes(remote)) == 1


def test_unknown_provider_needs_the_flag(tmp_path: Path) -> None:
    remote = make_remote(tmp_path / "remotes" / "orders.git")
    repo = make_repo(tmp_path / "repos" / "orders", remote, {".": "false"})
    fleet = write_fleet(tmp_path / "fleet.yaml", [("orders", repo)])
    code, report = run_json(
        "patch-config", "--set", SET, "--fleet", str(fleet), "--branch", BRANCH,
        "--push", "--merge-request",
    )  # fmt: skip
    assert code == 2
    assert "give --provider gitlab|github" in items(report)["orders"]["message"]
    assert pushes(remote) == []  # refused before anything was done


@pytest.mark.parametrize(
    ("url", "host", "path", "detected"),
    [
        ("git@github.com:acme/orders.git", "github.com", "acme/orders", "github"),
        ("https://github.com/acme/orders", "github.com", "acme/orders", "github"),
        ("ssh://git@gitlab.example.com:2222/a/b/c.git", "gitlab.example.com", "a/b/c", "gitlab"),
        ("https://token@gitlab.com/team/svc.git", "gitlab.com", "team/svc", "gitlab"),
        ("/srv/git/orders.git", None, None, None),
    ],
)
def test_remote_urls(url: str, host: str | None, path: str | None, detected: str | None) -> None:
    parsed = provider.parse_remote_url(url)
    assert (parsed.host if parsed else None, parsed.path if parsed else None) == (host, path)
    assert provider.detect(url) == detected


def test_push_takes_an_optional_remote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from svcgen.commands.campaign_options import push_remote

    monkeypatch.chdir(tmp_path)
    (tmp_path / "orders").mkdir()
    assert push_remote(["--push"]) == ["--push"]
    assert push_remote(["--push", "upstream", "x"]) == ["--push", "--remote", "upstream", "x"]
    assert push_remote(["--push=up"]) == ["--push", "--remote", "up"]
    assert push_remote(["--push", "--merge-request"]) == ["--push", "--merge-request"]
    assert push_remote(["--push", "orders"]) == ["--push", "orders"]  # an existing path
    assert push_remote(["--push", "../svc"]) == ["--push", "../svc"]
    assert push_remote(["--", "--push", "up"]) == ["--", "--push", "up"]


def test_push_to_a_remote_that_is_not_there(tmp_path: Path) -> None:
    remote = make_remote(tmp_path / "remotes" / "orders.git")
    repo = make_repo(tmp_path / "repos" / "orders", remote, {".": "false"})
    fleet = write_fleet(tmp_path / "fleet.yaml", [("orders", repo)])
    code, report = run_json(
        "patch-config", "--set", SET, "--fleet", str(fleet), "--branch", BRANCH,
        "--push", "upstream",
    )  # fmt: skip
    assert code == 2
    assert "no remote 'upstream'" in items(report)["orders"]["message"]
    assert git(repo, "branch", "--list", BRANCH) == ""
