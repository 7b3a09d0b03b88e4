"""svcgen update --branch: a tiny copier template with tags, services in their own
repositories with bare remotes; a service whose local edit conflicts with v2."""

from __future__ import annotations

from pathlib import Path

from campaign_helpers import items, make_remote, pushes, remote_sha, snapshot, write_fleet

from repo_helpers import commit_all, git, run, run_json

BRANCH = "svcgen/update-v2"
TITLE = "svcgen update: tiny-template v1.0.0 → v2.0.0"
MR_OPTIONS = [
    "merge_request.create",
    "merge_request.target=main",
    f"merge_request.title={TITLE}",
    "merge_request.remove_source_branch",
]

MAKEFILE = """\
# {{ service_name }}
A := 1
# filler 1
# filler 2
# filler 3
# filler 4
C := 1
"""


def tiny_template(dest: Path) -> Path:
    """copier.yml, a Makefile and the answers file; v1.0.0, then v2.0.0 (C changes)."""
    (dest / "template").mkdir(parents=True)
    (dest / "copier.yml").write_text(
        "_subdirectory: template\n_answers_file: .copier-answers.yml\nservice_name:\n  type: str\n",
        encoding="utf-8",
    )
    (dest / "template" / "{{_copier_conf.answers_file}}.jinja").write_text(
        "# managed by copier\n{{ _copier_answers|to_nice_yaml -}}\n", encoding="utf-8"
    )
    (dest / "template" / "Makefile.jinja").write_text(MAKEFILE, encoding="utf-8")
    git(dest, "init", "-q", "-b", "main")
    commit_all(dest, "v1")
    git(dest, "tag", "v1.0.0")
    makefile = dest / "template" / "Makefile.jinja"
    makefile.write_text(MAKEFILE.replace("C := 1", "C := 2"), encoding="utf-8")
    (dest / "template" / "UPDATING.md").write_text("new in v2\n", encoding="utf-8")
    commit_all(dest, "v2")
    git(dest, "tag", "v2.0.0")
    return dest


def service(tmp: Path, template: Path, name: str) -> tuple[Path, Path]:
    code, out, err = run(
        "new", name, "--template", str(template), "--vcs-ref", "v1.0.0",
        "--dest", str(tmp / "repos"), "--defaults",
    )  # fmt: skip
    assert code == 0, out + err
    path = tmp / "repos" / name
    git(path, "init", "-q", "-b", "main")
    commit_all(path, "rendered")
    remote = make_remote(tmp / "remotes" / f"{name}.git")
    git(path, "remote", "add", "origin", str(remote))
    git(path, "push", "-q", "origin", "main")
    (remote / "push-log").unlink()
    return path, remote


def conflicting_service(tmp: Path, template: Path, name: str) -> tuple[Path, Path]:
    """A service whose own edit of line C conflicts with v2's."""
    path, remote = service(tmp, template, name)
    makefile = path / "Makefile"
    makefile.write_text(makefile.read_text().replace("C := 1", "C := local"), encoding="utf-8")
    commit_all(path, "local edit")
    git(path, "push", "-q", "origin", "main")
    (remote / "push-log").unlink()
    return path, remote


def test_update_campaign_with_a_conflicting_repository(tmp_path: Path) -> None:
    template = tiny_template(tmp_path / "tiny-template")
    alpha, alpha_remote = service(tmp_path, template, "alpha")
    beta, beta_remote = conflicting_service(tmp_path, template, "beta")
    # beta's owner also has uncommitted work: an in-place update would refuse it
    (beta / "scratch.txt").write_text("wip\n", encoding="utf-8")
    before = snapshot(beta)
    fleet = write_fleet(tmp_path / "fleet.yaml", [("alpha", alpha), ("beta", beta)])
    args = ("update", "--fleet", str(fleet), "--branch", BRANCH, "--push", "--merge-request")
    args += ("--provider", "gitlab", "--jobs", "2")

    code, report = run_json("update", "--fleet", str(fleet), "--branch", BRANCH, "--dry-run")
    assert code == 1, report  # conflicts
    by_name = items(report)
    assert by_name["alpha"]["status"] == "would update"
    assert "+C := 2" in by_name["alpha"]["diff"]
    assert by_name["beta"]["status"] in ("conflicts", "would conflict")
    assert git(alpha, "branch", "--list", BRANCH) == ""

    code, report = run_json(*args)
    assert code == 1, report
    by_name = items(report)
    a, b = by_name["alpha"], by_name["beta"]
    assert a["status"] == "pushed" and a["pushed"] is True
    assert (a["from_version"], a["to_version"]) == ("v1.0.0", "v2.0.0")
    assert [p["options"] for p in pushes(alpha_remote)] == [MR_OPTIONS]
    assert a["merge_request"] == "https://gitlab.example.com/team/alpha/-/merge_requests/1"
    pushed_makefile = git(alpha_remote, "show", f"{BRANCH}:Makefile")
    assert "C := 2" in pushed_makefile
    assert git(alpha_remote, "show", f"{BRANCH}:UPDATING.md") == "new in v2\n"
    assert "_commit: v2.0.0" in git(alpha_remote, "show", f"{BRANCH}:.copier-answers.yml")
    # beta conflicts: no commit, no local branch, nothing pushed
    assert b["status"] == "conflicts" and b["conflicts"] == ["Makefile"]
    assert b["commit"] is None and b["pushed"] is False
    assert pushes(beta_remote) == []
    assert git(beta, "branch", "--list", BRANCH) == ""
    assert snapshot(beta) == before

    code, report = run_json(*args, "--allow-conflicts")
    assert code == 1, report  # still conflicts: they are in the branch, to resolve in the MR
    by_name = items(report)
    a, b = by_name["alpha"], by_name["beta"]
    assert b["status"] == "pushed" and b["conflicts"] == ["Makefile"]
    assert "conflict markers" in b["message"]
    assert [p["options"] for p in pushes(beta_remote)] == [
        [o.replace("alpha", "beta") for o in MR_OPTIONS]
    ]
    pushed = git(beta_remote, "show", f"{BRANCH}:Makefile")
    assert "<<<<<<<" in pushed and "C := local" in pushed and "C := 2" in pushed
    assert remote_sha(beta_remote, f"refs/heads/{BRANCH}") == b["commit"]
    assert "scratch.txt" not in git(beta_remote, "ls-tree", "--name-only", BRANCH)
    # alpha: the same update on the same base: the pushed branch is kept as it is
    assert a["status"] == "pushed" and "already has this change" in a["message"]
    assert len(pushes(alpha_remote)) == 1
    assert snapshot(beta) == before
    for repo in (alpha, beta):
        assert len(git(repo, "worktree", "list").splitlines()) == 1


def test_services_sharing_a_repository_get_one_commit(tmp_path: Path) -> None:
    template = tiny_template(tmp_path / "tiny-template")
    mono = tmp_path / "repos" / "mono"
    for name in ("orders", "payments"):
        code, out, err = run(
            "new", name, "--template", str(template), "--vcs-ref", "v1.0.0",
            "--dest", str(mono / "services"), "--defaults",
        )  # fmt: skip
        assert code == 0, out + err
    git(mono, "init", "-q", "-b", "main")
    commit_all(mono, "two services")
    remote = make_remote(tmp_path / "remotes" / "mono.git")
    git(mono, "remote", "add", "origin", str(remote))
    git(mono, "push", "-q", "origin", "main")
    (remote / "push-log").unlink()
    services = [(n, mono / "services" / n) for n in ("orders", "payments")]
    fleet = write_fleet(tmp_path / "fleet.yaml", services)

    code, report = run_json(
        "update", "--fleet", str(fleet), "--branch", BRANCH, "--push", "--jobs", "2"
    )
    assert code == 0, report
    assert report["summary"] == {"total": 1, "pushed": 1}
    (item,) = report["items"]
    assert item["name"] == "mono" and item["services"] == ["orders", "payments"]
    assert git(remote, "rev-list", "--count", f"main..{BRANCH}").strip() == "1"
    changed = git(remote, "diff", "--name-only", "main", BRANCH).split()
    assert sorted(changed) == [
        f"services/{n}/{f}"
        for n in ("orders", "payments")
        for f in (".copier-answers.yml", "Makefile", "UPDATING.md")
    ]
    assert git(remote, "log", "-1", "--format=%s", BRANCH).strip() == TITLE
    assert [p["options"] for p in pushes(remote)] == [[]]  # no --merge-request
