"""Helpers for the campaign tests: service repositories with bare "origin" remotes.

Every bare remote advertises push options and carries a ``pre-receive`` hook
that appends what it received to ``push-log`` (one block per push: ``option``
lines, then ``ref OLD NEW REF`` lines) and, like GitLab, prints a merge request
URL when it got ``merge_request.create``. A file named ``reject`` in the bare
repository makes the hook refuse the push.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from repo_helpers import commit_all, git
from repo_helpers import snapshot as repo_snapshot

BRANCH = "svcgen/p0-3"
SET = "middleware.ratelimit.fail_closed=true"
TITLE = "svcgen patch-config: middleware.ratelimit.fail_closed=true"
MR_OPTIONS = [
    "merge_request.create",
    "merge_request.target=main",
    f"merge_request.title={TITLE}",
    "merge_request.remove_source_branch",
]

CONFIG = """\
# {name}: production configuration
service:
  name: {name}   # DNS-1123
middleware:
  ratelimit:
    enabled: true
    fail_closed: {fail_closed}   # P0-3: deny when Redis is down
"""

HOOK = """\
#!/bin/sh
log="$PWD/push-log"
echo push >> "$log"
create=
i=0
while [ "$i" -lt "${GIT_PUSH_OPTION_COUNT:-0}" ]; do
  eval "opt=\\$GIT_PUSH_OPTION_$i"
  echo "option $opt" >> "$log"
  [ "$opt" = merge_request.create ] && create=1
  i=$((i+1))
done
while read -r old new ref; do echo "ref $old $new $ref" >> "$log"; done
if [ -f "$PWD/reject" ]; then
  echo "policy: pushes to this repository are frozen" >&2
  exit 1
fi
if [ -n "$create" ]; then
  name=${PWD##*/}
  echo "View merge request:"
  echo "  https://gitlab.example.com/team/${name%.git}/-/merge_requests/1"
fi
exit 0
"""


def make_remote(path: Path) -> Path:
    """A bare repository that records push options (see the module docstring)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    git(path.parent, "init", "-q", "--bare", "-b", "main", str(path))
    git(path, "config", "receive.advertisePushOptions", "true")
    hook = path / "hooks" / "pre-receive"
    hook.write_text(HOOK, encoding="utf-8")
    hook.chmod(0o755)
    return path


def make_repo(path: Path, remote: Path, services: dict[str, str]) -> Path:
    """A repository with one config per service (service subfolder -> fail_closed
    value; "." is the repository itself), pushed to ``remote``'s main."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    for sub, value in services.items():
        name = path.name if sub == "." else sub
        config = path / sub / "configs" / "config-production.yaml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(CONFIG.format(name=name, fail_closed=value), encoding="utf-8")
    (path / "README.md").write_text(f"# {path.name}\n", encoding="utf-8")
    commit_all(path, "initial")
    git(path, "remote", "add", "origin", str(remote))
    git(path, "push", "-q", "origin", "main")
    (remote / "push-log").unlink(missing_ok=True)
    return path


def pushes(remote: Path) -> list[dict[str, Any]]:
    """The pushes the remote's hook saw: [{"options": [...], "refs": [(old, new, ref)]}]."""
    log = remote / "push-log"
    if not log.exists():
        return []
    out: list[dict[str, Any]] = []
    for line in log.read_text(encoding="utf-8").splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "push":
            out.append({"options": [], "refs": []})
        elif kind == "option":
            out[-1]["options"].append(rest)
        elif kind == "ref":
            out[-1]["refs"].append(tuple(rest.split()))
    return out


def remote_sha(remote: Path, ref: str) -> str | None:
    out = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", ref],
        cwd=remote,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return out or None


def move_base(remote: Path, tmp: Path, text: str) -> str:
    """Someone else pushes a commit to the remote's main; returns its sha."""
    clone = tmp / f"other-{remote.name}"
    git(tmp, "clone", "-q", str(remote), str(clone))
    (clone / "NEWS.md").write_text(text, encoding="utf-8")
    commit_all(clone, "moved main")
    git(clone, "push", "-q", "origin", "main")
    (remote / "push-log").unlink(missing_ok=True)
    return git(clone, "rev-parse", "HEAD").strip()


def write_fleet(path: Path, services: list[tuple[str, Path]]) -> Path:
    lines = ["services:"]
    for name, svc in services:
        lines += [f"  - name: {name}", f"    path: {svc}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def snapshot(path: Path) -> dict[str, object]:
    """repo_helpers.snapshot, plus the current branch and the stash."""
    return {
        **repo_snapshot(path),
        "branch": git(path, "symbolic-ref", "--short", "HEAD"),
        "stash": git(path, "stash", "list"),
    }


def items(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in report["items"]}
