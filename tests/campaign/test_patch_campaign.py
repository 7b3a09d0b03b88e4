"""svcgen patch-config --branch: real repositories, bare remotes, push options."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from campaign_helpers import (
    BRANCH,
    MR_OPTIONS,
    SET,
    TITLE,
    items,
    make_remote,
    make_repo,
    move_base,
    pushes,
    remote_sha,
    snapshot,
    write_fleet,
)

from repo_helpers import git, run, run_json

CAMPAIGN = ("--branch", BRANCH, "--push", "--merge-request", "--provider", "gitlab")


def fleet_of(tmp: Path, n: int) -> tuple[Path, dict[str, Path], dict[str, Path]]:
    """n single-service repositories; returns (fleet file, repos, remotes) by name."""
    repos, remotes = {}, {}
    for i in range(n):
        name = f"svc{i:02d}"
        remotes[name] = make_remote(tmp / "remotes" / f"{name}.git")
        repos[name] = make_repo(tmp / "repos" / name, remotes[name], {".": "false"})
    fleet = write_fleet(tmp / "fleet.yaml", [(name, path) for name, path in repos.items()])
    return fleet, repos, remotes


def branch_commits(remote: Path) -> list[str]:
    return git(remote, "rev-list", f"main..refs/heads/{BRANCH}").split()


def check_pushed(item: dict[str, Any], name: str, remote: Path, repo: Path) -> None:
    """One pushed repository of the 18: one push with the MR options, one commit."""
    assert item["status"] == "pushed", item
    assert item["branch"] == BRANCH
    assert item["pushed"] is True
    assert item["commit"] == remote_sha(remote, f"refs/heads/{BRANCH}")
    assert item["merge_request"] == (f"https://gitlab.example.com/team/{name}/-/merge_requests/1")
    # exactly one push, with exactly the merge-request options
    log = pushes(remote)
    assert [p["options"] for p in log] == [MR_OPTIONS], name
    assert log[0]["refs"] == [("0" * 40, item["commit"], f"refs/heads/{BRANCH}")]
    # one commit on main, changing exactly the patched line(s)
    assert len(branch_commits(remote)) == 1
    assert git(remote, "log", "-1", "--format=%s", BRANCH).strip() == TITLE
    diff = git(remote, "diff", "main", BRANCH)
    changed = [
        line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    n = 2 if name == "mono" else 1
    assert changed.count("-    fail_closed: false   # P0-3: deny when Redis is down") == n
    assert changed.count("+    fail_closed: true    # P0-3: deny when Redis is down") == n
    assert len(changed) == 2 * n
    # the local branch points at the pushed commit
    assert git(repo, "rev-parse", BRANCH).strip() == item["commit"]


def test_campaign_over_18_repositories_with_two_jobs(tmp_path: Path, scratch: Path) -> None:
    repos: dict[str, Path] = {}
    remotes: dict[str, Path] = {}
    for i in range(16):
        name = f"svc{i:02d}"
        remotes[name] = make_remote(tmp_path / "remotes" / f"{name}.git")
        repos[name] = make_repo(tmp_path / "repos" / name, remotes[name], {".": "false"})
    # one repository already has the change; one holds two services in subfolders
    remotes["done"] = make_remote(tmp_path / "remotes" / "done.git")
    repos["done"] = make_repo(tmp_path / "repos" / "done", remotes["done"], {".": "true"})
    remotes["mono"] = make_remote(tmp_path / "remotes" / "mono.git")
    mono = make_repo(
        tmp_path / "repos" / "mono", remotes["mono"], {"orders": "false", "payments": "false"}
    )
    services = [(name, path) for name, path in repos.items()]
    services += [("orders", mono / "orders"), ("payments", mono / "payments")]
    fleet = write_fleet(tmp_path / "fleet.yaml", services)

    # svc03's owner is in the middle of something: another branch, an edit, a new file.
    dirty = repos["svc03"]
    git(dirty, "switch", "-q", "-c", "wip")
    config = dirty / "configs" / "config-production.yaml"
    config.write_text(config.read_text() + "# half-done local edit\n", encoding="utf-8")
    (dirty / "notes.txt").write_text("untracked\n", encoding="utf-8")
    before = snapshot(dirty)
    heads = {name: git(path, "rev-parse", "HEAD") for name, path in repos.items()}

    record = tmp_path / "p0-3.json"
    code, report = run_json(
        "patch-config", "--set", SET, "--fleet", str(fleet), *CAMPAIGN,
        "--campaign", str(record), "--jobs", "2",
    )  # fmt: skip
    assert code == 0, report
    assert report["command"] == "patch-config"
    assert report["summary"] == {"total": 18, "pushed": 17, "no change": 1}
    by_name = items(report)
    assert set(by_name) == {*(f"svc{i:02d}" for i in range(16)), "done", "mono"}
    assert by_name["mono"]["services"] == ["orders", "payments"]

    for name, item in by_name.items():
        remote = remotes[name]
        if name == "done":
            assert item["status"] == "no change"
            assert item["commit"] is None and item["pushed"] is False
            assert item["merge_request"] is None
            assert pushes(remote) == []
            assert remote_sha(remote, f"refs/heads/{BRANCH}") is None
            continue
        check_pushed(item, name, remote, mono if name == "mono" else repos[name])

    # the dirty checkout is exactly as it was; its half-done edit is not in the branch
    assert snapshot(dirty) == before
    pushed_text = git(remotes["svc03"], "show", f"{BRANCH}:configs/config-production.yaml")
    assert "half-done" not in pushed_text and "fail_closed: true" in pushed_text
    # no checkout moved, no worktree or scratch directory is left behind
    for name, path in repos.items():
        if name != "svc03":
            assert git(path, "rev-parse", "HEAD") == heads[name]
            assert git(path, "status", "--porcelain") == ""
        assert len(git(path, "worktree", "list").splitlines()) == 1
    assert list(scratch.iterdir()) == []

    saved = json.loads(record.read_text(encoding="utf-8"))
    assert saved["branch"] == BRANCH and saved["command"] == "patch-config"
    assert len(saved["repositories"]) == 18
    assert all(entry["ok"] for entry in saved["repositories"].values())
    mono_entry = saved["repositories"][str(mono.resolve())]
    assert mono_entry["merge_request"].endswith("/mono/-/merge_requests/1")


def test_rerun_after_the_base_moved_updates_the_branch_in_place(tmp_path: Path) -> None:
    fleet, repos, remotes = fleet_of(tmp_path, 3)
    record = tmp_path / "c.json"
    args = ("patch-config", "--set", SET, "--fleet", str(fleet), *CAMPAIGN)
    args += ("--campaign", str(record))
    code, first = run_json(*args)
    assert code == 0, first
    old = {name: item["commit"] for name, item in items(first).items()}

    new_main = move_base(remotes["svc01"], tmp_path, "main moved on\n")
    code, second = run_json(*args)
    assert code == 0, second
    by_name = items(second)
    # svc01: the commit is rebuilt on the new main and replaces the old one
    svc01 = by_name["svc01"]
    assert svc01["status"] == "pushed" and svc01["commit"] != old["svc01"]
    assert "--force-with-lease" in svc01["message"]
    assert git(remotes["svc01"], "rev-parse", f"{BRANCH}^").strip() == new_main
    assert len(branch_commits(remotes["svc01"])) == 1
    log = pushes(remotes["svc01"])
    assert log[-1]["options"] == []  # never a second merge request
    assert log[-1]["refs"] == [(old["svc01"], svc01["commit"], f"refs/heads/{BRANCH}")]
    assert svc01["merge_request"] == "https://gitlab.example.com/team/svc01/-/merge_requests/1"
    assert git(repos["svc01"], "rev-parse", BRANCH).strip() == svc01["commit"]
    # the others: same base, same change: the branch is left as it is, nothing pushed
    for name in ("svc00", "svc02"):
        assert by_name[name]["status"] == "pushed"
        assert by_name[name]["commit"] == old[name]
        assert "already has this change" in by_name[name]["message"]
        assert len(pushes(remotes[name])) == 1


def test_only_failed_reruns_the_repository_whose_push_was_rejected(tmp_path: Path) -> None:
    fleet, repos, remotes = fleet_of(tmp_path, 3)
    (remotes["svc01"] / "reject").write_text("", encoding="utf-8")
    record = tmp_path / "c.json"
    args = ("patch-config", "--set", SET, "--fleet", str(fleet), *CAMPAIGN)
    args += ("--campaign", str(record))
    code, out, err = run(*args)
    assert code == 2, out + err
    assert "svc01: committed, but the push to origin failed" in err
    assert "pushes to this repository are frozen" in err
    saved = json.loads(record.read_text(encoding="utf-8"))["repositories"]
    failed = saved[str(repos["svc01"].resolve())]
    assert failed["ok"] is False and failed["pushed"] is False
    assert "pushes to this repository are frozen" in failed["error"]
    assert remote_sha(remotes["svc01"], f"refs/heads/{BRANCH}") is None
    for name in ("svc00", "svc02"):
        assert saved[str(repos[name].resolve())]["ok"] is True

    (remotes["svc01"] / "reject").unlink()
    code, report = run_json(*args, "--only-failed")
    assert code == 0, report
    by_name = items(report)
    assert [by_name[n]["status"] for n in ("svc00", "svc01", "svc02")] == [
        "skipped",
        "pushed",
        "skipped",
    ]
    assert by_name["svc00"]["merge_request"].endswith("/svc00/-/merge_requests/1")
    log = pushes(remotes["svc01"])
    assert [p["options"] for p in log] == [MR_OPTIONS, MR_OPTIONS]  # rejected, then accepted
    assert remote_sha(remotes["svc01"], f"refs/heads/{BRANCH}") == by_name["svc01"]["commit"]
    for name in ("svc00", "svc02"):
        assert len(pushes(remotes[name])) == 1  # not run again
    saved = json.loads(record.read_text(encoding="utf-8"))["repositories"]
    assert all(entry["ok"] for entry in saved.values())

    code, report = run_json(*args, "--only-failed")
    assert code == 0 and report["summary"] == {"total": 3, "skipped": 3}


def test_dry_run_with_branch_shows_the_diff_and_commits_nothing(tmp_path: Path) -> None:
    fleet, repos, remotes = fleet_of(tmp_path, 2)
    code, report = run_json(
        "patch-config", "--set", SET, "--fleet", str(fleet), "--branch", BRANCH, "--dry-run"
    )
    assert code == 0, report
    assert report["dry_run"] is True
    for name, item in items(report).items():
        assert item["status"] == "would change"
        assert item["base"] == "origin/main"
        assert "+    fail_closed: true" in item["diff"]
        assert item["commit"] is None and item["pushed"] is False
        assert git(repos[name], "branch", "--list", BRANCH) == ""
        assert pushes(remotes[name]) == []


def test_without_push_the_branch_is_committed_locally(tmp_path: Path) -> None:
    fleet, repos, remotes = fleet_of(tmp_path, 1)
    code, out, err = run(
        "patch-config", "--set", SET, "--fleet", str(fleet), "--branch", BRANCH,
        "-m", "P0-3: fail closed\n\nSee the review.",
    )  # fmt: skip
    assert code == 0, out + err
    assert "committed" in out
    repo = repos["svc00"]
    assert git(repo, "log", "-1", "--format=%B", BRANCH).strip() == (
        "P0-3: fail closed\n\nSee the review."
    )
    assert git(repo, "rev-parse", f"{BRANCH}^") == git(repo, "rev-parse", "main")
    assert remote_sha(remotes["svc00"], f"refs/heads/{BRANCH}") is None


def test_branch_checked_out_in_the_owners_checkout_is_refused(tmp_path: Path) -> None:
    fleet, repos, _ = fleet_of(tmp_path, 2)
    git(repos["svc00"], "switch", "-q", "-c", BRANCH)
    code, report = run_json("patch-config", "--set", SET, "--fleet", str(fleet), "--branch", BRANCH)
    assert code == 2
    by_name = items(report)
    assert by_name["svc00"]["status"] == "refused"
    assert "checked out" in by_name["svc00"]["message"]
    assert by_name["svc01"]["status"] == "committed"  # the others go on


def test_campaign_flags_need_branch_and_consistent_input(tmp_path: Path) -> None:
    fleet, _, _ = fleet_of(tmp_path, 1)
    base = ("patch-config", "--set", SET, "--fleet", str(fleet))
    cases = [
        ((*base, "--push"), "--push needs --branch NAME"),
        ((*base, "--branch", "x", "--merge-request"), "--merge-request needs --push"),
        ((*base, "--branch", "x", "--only-failed"), "--only-failed needs --campaign FILE"),
        ((*base, "--branch", "bad..name"), "not a valid git branch name"),
        ((*base, "--branch", "x", "--provider", "bitbucket"), "must be gitlab or github"),
        ((*base, "--branch", "x", "--check"), "--check and --branch"),
        (
            (*base, "--branch", "x", "--campaign", str(tmp_path / "none.json"), "--only-failed"),
            "does not exist yet",
        ),
    ]
    for args, message in cases:
        code, out, err = run(*args)
        assert code == 2, (args, out, err)
        assert message in err, (args, err)


def test_a_branch_someone_else_pushed_to_is_not_overwritten(tmp_path: Path) -> None:
    fleet, _, remotes = fleet_of(tmp_path, 1)
    remote = remotes["svc00"]
    record = tmp_path / "c.json"
    args = ("patch-config", "--set", SET, "--fleet", str(fleet), *CAMPAIGN)
    args += ("--campaign", str(record))
    code, first = run_json(*args)
    assert code == 0, first
    # a colleague adds a commit to the campaign branch
    clone = tmp_path / "colleague"
    git(tmp_path, "clone", "-q", "--branch", BRANCH, str(remote), str(clone))
    (clone / "README.md").write_text("reviewed\n", encoding="utf-8")
    git(clone, "commit", "-qam", "review fix")
    git(clone, "push", "-q", "origin", BRANCH)
    theirs = git(clone, "rev-parse", "HEAD").strip()

    code, report = run_json(*args)
    assert code == 2, report
    item = items(report)["svc00"]
    assert item["status"] == "error" and item["pushed"] is False
    assert "stale info" in item["message"] and "someone else pushed" in item["message"]
    assert remote_sha(remote, f"refs/heads/{BRANCH}") == theirs


def test_targets_are_grouped_by_repository(tmp_path: Path) -> None:
    _, repos, remotes = fleet_of(tmp_path, 2)
    plain = tmp_path / "repos" / "plain" / "configs"
    plain.mkdir(parents=True)
    (plain / "config-production.yaml").write_text("middleware: {}\n", encoding="utf-8")
    pattern = str(tmp_path / "repos" / "*" / "configs" / "*.yaml")
    code, report = run_json("patch-config", "--set", SET, pattern, "--branch", BRANCH)
    assert code == 2, report
    by_name = items(report)
    assert [by_name[n]["status"] for n in ("svc00", "svc01")] == ["committed", "committed"]
    assert "not inside a git repository" in by_name["configs"]["message"]
    assert (plain / "config-production.yaml").read_text() == "middleware: {}\n"
    for name, repo in repos.items():
        shown = git(repo, "show", f"{BRANCH}:configs/config-production.yaml")
        assert "fail_closed: true" in shown
        assert pushes(remotes[name]) == []
