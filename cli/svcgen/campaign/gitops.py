"""Git operations of a campaign: everything that touches a repository.

The owner's checkout is only ever read (``rev-parse``, ``worktree list``,
``remote``), and written in three places that leave its work tree, index,
HEAD and current branch alone: ``git fetch`` (remote-tracking refs),
``git worktree add/remove`` (administrative files under ``.git/worktrees``)
and ``git branch -f NAME`` (the campaign branch, refused while it is checked
out anywhere).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from svcgen import vcs
from svcgen.errors import UsageError, VcsError


def toplevel(path: Path) -> Path:
    """The top of the repository holding ``path`` (a VcsError when there is none)."""
    if not path.is_dir():
        raise VcsError("no such directory", where=path)
    if not vcs.is_work_tree(path):
        raise VcsError("not inside a git repository", where=path, fix="campaigns need git")
    return vcs.toplevel(path).resolve()


def check_branch_name(name: str) -> None:
    """A UsageError unless ``name`` is a valid branch name."""
    out = subprocess.run(
        ["git", "check-ref-format", "--branch", name],
        capture_output=True,
        text=True,
        check=False,
        cwd=tempfile.gettempdir(),
    )
    if out.returncode != 0 or name.startswith("-"):
        raise UsageError(f"--branch {name!r} is not a valid git branch name")


def checked_out_branches(repo: Path) -> dict[str, Path]:
    """Branch name -> the work tree (the checkout or a worktree) that has it checked out."""
    out = vcs.git("worktree", "list", "--porcelain", cwd=repo)
    branches: dict[str, Path] = {}
    current: Path | None = None
    for line in out.splitlines():
        if line.startswith("worktree "):
            current = Path(line.removeprefix("worktree "))
        elif line.startswith("branch refs/heads/") and current is not None:
            branches[line.removeprefix("branch refs/heads/")] = current
    return branches


def remote_url(repo: Path, remote: str) -> str | None:
    """The URL configured for ``remote`` (as written, before insteadOf), or None."""
    out = vcs.git("config", "--get", f"remote.{remote}.url", cwd=repo, check=False).strip()
    return out or None


def fetch(repo: Path, remote: str) -> None:
    vcs.git("fetch", "--quiet", remote, cwd=repo)


@dataclass(frozen=True)
class RemoteHeads:
    default: str | None  # the remote's default branch ("main"), if it has one
    branch: str | None  # the commit the campaign branch points to there, if it exists


def remote_heads(repo: Path, remote: str, branch: str) -> RemoteHeads:
    """The remote's default branch and the campaign branch, in one ``ls-remote``."""
    out = vcs.git("ls-remote", "--symref", remote, "HEAD", f"refs/heads/{branch}", cwd=repo)
    default = sha = None
    for line in out.splitlines():
        if line.startswith("ref: refs/heads/") and line.endswith("\tHEAD"):
            default = line.removeprefix("ref: refs/heads/").removesuffix("\tHEAD")
        else:
            commit, _, ref = line.partition("\t")
            if ref == f"refs/heads/{branch}":
                sha = commit
    return RemoteHeads(default=default, branch=sha)


@dataclass(frozen=True)
class Base:
    ref: str  # as resolved: "origin/main", "HEAD", or what --base said
    commit: str
    target: str | None  # the branch a merge request targets ("main"), if known


def resolve_base(
    repo: Path, base: str | None, remote: str | None, remote_default: str | None
) -> Base:
    """``--base REF``, else the remote's default branch, else HEAD."""
    if base is not None:
        commit = _commit_of(repo, base)
        if commit is None:
            raise VcsError(f"--base {base}: no such commit or branch", where=repo)
        if remote and base.startswith(f"{remote}/"):
            target: str | None = base.removeprefix(f"{remote}/")
        elif base == "HEAD":
            target = _current_branch(repo)
        else:
            target = base
        return Base(ref=base, commit=commit, target=target)
    if remote is not None and remote_default is not None:
        commit = _commit_of(repo, f"refs/remotes/{remote}/{remote_default}")
        if commit is not None:
            return Base(ref=f"{remote}/{remote_default}", commit=commit, target=remote_default)
    commit = _commit_of(repo, "HEAD")
    if commit is None:
        raise VcsError("the repository has no commit", where=repo)
    return Base(ref="HEAD", commit=commit, target=_current_branch(repo))


def _commit_of(repo: Path, ref: str) -> str | None:
    out = vcs.git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=repo, check=False)
    return out.strip() or None


def _current_branch(repo: Path) -> str | None:
    out = vcs.git("symbolic-ref", "--quiet", "--short", "HEAD", cwd=repo, check=False)
    return out.strip() or None


class Worktree:
    """A temporary detached worktree of ``repo`` at ``commit``; ``remove()`` deletes it
    and its administrative files."""

    def __init__(self, repo: Path, commit: str) -> None:
        self.repo = repo
        self._root = Path(tempfile.mkdtemp(prefix="svcgen-campaign-"))
        self.path = self._root / repo.name
        try:
            vcs.git("worktree", "add", "--quiet", "--detach", str(self.path), commit, cwd=repo)
        except BaseException:
            shutil.rmtree(self._root, ignore_errors=True)
            raise

    def stage_all(self) -> bool:
        """``git add --all``; whether anything differs from the base commit."""
        vcs.git("add", "--all", "--", ".", cwd=self.path)
        proc = subprocess.run(
            ["git", "diff", "--cached", "--quiet", "HEAD"],
            cwd=self.path,
            capture_output=True,
            check=False,
        )
        return proc.returncode == 1

    def diff(self) -> str:
        return vcs.git("diff", "--cached", "HEAD", cwd=self.path)

    def commit(self, message: str) -> str:
        vcs.git("commit", "--quiet", "--no-verify", "--file", "-", cwd=self.path, input=message)
        return vcs.git("rev-parse", "HEAD", cwd=self.path).strip()

    def remove(self) -> None:
        vcs.git(
            "worktree", "remove", "--force", "--force", str(self.path), cwd=self.repo, check=False
        )
        if self.path.exists():  # remove failed: let git forget the worktree anyway
            shutil.rmtree(self._root, ignore_errors=True)
            vcs.git("worktree", "prune", cwd=self.repo, check=False)
        shutil.rmtree(self._root, ignore_errors=True)


def same_change(repo: Path, existing: str, parent: str, tree_of: str) -> bool:
    """Whether commit ``existing`` sits on ``parent`` with the same tree as ``tree_of``
    (the rerun made exactly the commit that is already there)."""
    proc = subprocess.run(
        ["git", "cat-file", "-e", f"{existing}^{{commit}}"],
        cwd=repo,
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        return False
    parents = vcs.git("rev-list", "--parents", "-n", "1", existing, cwd=repo).split()[1:]
    trees = vcs.git("rev-parse", f"{existing}^{{tree}}", f"{tree_of}^{{tree}}", cwd=repo).split()
    return parents == [parent] and len(trees) == 2 and trees[0] == trees[1]


def set_branch(repo: Path, branch: str, commit: str) -> None:
    """Point the local ``branch`` at ``commit`` (created or moved)."""
    vcs.git("branch", "--force", "--no-track", branch, commit, cwd=repo)


@dataclass(frozen=True)
class PushResult:
    ok: bool
    output: str  # git's and the remote's messages (stderr)


def push(
    repo: Path, remote: str, branch: str, expected: str | None, options: list[str]
) -> PushResult:
    """Push the local ``branch`` to ``remote`` with ``--force-with-lease``: the remote
    branch is replaced only if it still is ``expected`` (None: it must not exist)."""
    args = ["git", "push", "--porcelain"]
    for option in options:
        args += ["-o", option]
    lease = f"refs/heads/{branch}:{expected or ''}"
    args += [f"--force-with-lease={lease}", remote, f"refs/heads/{branch}:refs/heads/{branch}"]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    proc = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, check=False)
    return PushResult(ok=proc.returncode == 0, output=(proc.stderr + proc.stdout).strip())


def push_failure(output: str) -> str:
    """The most telling words of a failed push: the remote's own message, and git's
    reason for the ref (``[remote rejected] (pre-receive hook declined)``)."""
    raw = [line for line in output.splitlines() if line.strip()]
    remote = [line.removeprefix("remote:").strip() for line in raw if line.startswith("remote:")]
    remote = [line for line in remote if line]
    reason = ""
    for line in raw:
        if line.startswith("!"):  # porcelain: "!<TAB>src:dst<TAB>[rejected] (why)"
            reason = line.split("\t")[-1].strip()
            break
    else:
        reason = next((x.strip() for x in raw if x.startswith(("error:", "fatal:"))), "")
    parts = [p for p in (remote[-1] if remote else "", reason) if p]
    return "; ".join(parts) or "git push failed"
