"""Git helpers: clean-tree checks, tags and versions, scratch clones, bundles.

Everything shells out to the ``git`` executable and raises
:class:`svcgen.errors.VcsError` (naming the command and git's own message)
when git fails. This module imports only the standard library and
``svcgen.errors``, so the wheel build hook can use it too.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from svcgen.errors import VcsError

# Fixed identity and dates for the commits svcgen itself creates (template
# history), so that the same tree on the same parent always gives the same
# commit id, on every machine and in every build.
REPRODUCIBLE_ENV = {
    "GIT_AUTHOR_NAME": "svcgen",
    "GIT_AUTHOR_EMAIL": "svcgen@localhost",
    "GIT_COMMITTER_NAME": "svcgen",
    "GIT_COMMITTER_EMAIL": "svcgen@localhost",
    "GIT_AUTHOR_DATE": "2000-01-01T00:00:00+0000",
    "GIT_COMMITTER_DATE": "2000-01-01T00:00:00+0000",
}

_DESCRIBE = re.compile(r"^(?P<tag>.+)-(?P<count>\d+)-g(?P<hash>[0-9a-f]+)$")


def git(
    *args: str,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    check: bool = True,
) -> str:
    """Run ``git ARGS`` and return its stdout; raise VcsError on failure."""
    full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    if env:
        full_env.update(env)
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=full_env,
            input=input,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError as exc:
        raise VcsError("git is not installed", fix="install git and retry") from exc
    if check and proc.returncode != 0:
        raise VcsError(
            f"git {' '.join(args[:2])} failed: {stderr_tail(proc.stderr or proc.stdout)}"
            if (proc.stderr or proc.stdout).strip()
            else f"git {' '.join(args[:2])} failed: exit status {proc.returncode}",
            where=cwd,
        )
    return proc.stdout


def stderr_tail(text: str, lines: int = 3) -> str:
    """The last ``lines`` non-empty lines of a tool's error output, on one line.

    git's own reason (``fatal: ...``) often comes before generic advice
    ("Please make sure you have the correct access rights"), so the first
    ``fatal:``/``error:`` line is kept even when it is not among the last ones.
    """
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()]
    tail = kept[-lines:]
    first_fatal = next((ln for ln in kept if ln.startswith(("fatal:", "error:"))), None)
    if first_fatal is not None and first_fatal not in tail:
        tail = [first_fatal, *tail[1:]] if len(tail) == lines else [first_fatal, *tail]
    return " | ".join(tail)


def is_work_tree(path: Path) -> bool:
    if not path.is_dir():
        return False
    out = git("rev-parse", "--is-inside-work-tree", cwd=path, check=False)
    return out.strip() == "true"


def toplevel(path: Path) -> Path:
    return Path(git("rev-parse", "--show-toplevel", cwd=path).strip())


def dirty_paths(path: Path) -> list[str]:
    """Tracked changes and untracked (not ignored) files under ``path``."""
    out = git("status", "--porcelain", "--untracked-files=all", "--", ".", cwd=path)
    return [line[3:] for line in out.splitlines() if line.strip()]


def is_clean(path: Path) -> bool:
    return not dirty_paths(path)


def has_commits(path: Path) -> bool:
    return bool(git("rev-parse", "--verify", "--quiet", "HEAD", cwd=path, check=False).strip())


def restore(path: Path) -> None:
    """Undo every change under ``path`` since its last commit (tracked and untracked,
    ignored files aside). Only for trees that svcgen found clean before writing."""
    git("reset", "--quiet", "HEAD", "--", ".", cwd=path, check=False)
    git("checkout", "--quiet", "HEAD", "--", ".", cwd=path, check=False)
    git("clean", "-fdq", "--", ".", cwd=path, check=False)


def unmerged_paths(path: Path) -> list[str]:
    """Paths with unmerged index entries (inline update conflicts), relative to ``path``."""
    out = git("diff", "--name-only", "--diff-filter=U", "--relative", cwd=path)
    return sorted(set(out.split()))


def untracked_paths(path: Path) -> list[str]:
    out = git("ls-files", "--others", "--exclude-standard", cwd=path)
    return sorted(out.splitlines())


def tags(url: str) -> list[str]:
    """Tag names of a repository, a bundle file or a remote URL."""
    if Path(url).exists():
        url = str(Path(url).resolve())
    out = git("ls-remote", "--tags", "--refs", "--", url)
    return [
        line.split("\t", 1)[1].removeprefix("refs/tags/")
        for line in out.splitlines()
        if "\t" in line
    ]


def parse_version(ref: str) -> object | None:
    """A PEP 440 version for a tag, or for ``git describe`` output
    (``v1.0.0-3-gabc123`` is 3 commits after v1.0.0); None when neither."""
    from packaging.version import InvalidVersion, Version

    match = _DESCRIBE.match(ref)
    try:
        if match:
            return Version(f"{match['tag']}.post{match['count']}+g{match['hash']}")
        return Version(ref)
    except InvalidVersion:
        return None


def newest_version_tag(tag_names: Sequence[str], prereleases: bool = False) -> str | None:
    """The highest PEP 440 tag (prereleases skipped unless asked), as copier picks it."""
    from packaging.version import Version

    versions: list[tuple[Version, str]] = []
    for name in tag_names:
        parsed = parse_version(name)
        if isinstance(parsed, Version) and (prereleases or not parsed.is_prerelease):
            versions.append((parsed, name))
    return max(versions)[1] if versions else None


def clone(src: Path | str, dest: Path) -> None:
    """A private scratch clone (no hard links, no checkout hooks)."""
    git("clone", "--quiet", "--no-hardlinks", "--", str(src), str(dest))
    git("config", "core.hooksPath", os.devnull, cwd=dest)


def tree_of_directory(directory: Path, repo: Path, exclude: Sequence[str] = ()) -> str:
    """Hash the content of ``directory`` as a tree object inside ``repo``.

    Uses a private index, so neither ``directory`` nor ``repo``'s index changes.
    """
    index = repo / ".git" / "svcgen-index"
    env = {"GIT_INDEX_FILE": str(index), "GIT_WORK_TREE": str(directory)}
    git_dir = str(repo / ".git")
    try:
        excludes = [f"--exclude={pattern}" for pattern in exclude]
        files = git(
            "--git-dir", git_dir, "ls-files", "--others", "-z", *excludes, env=env, cwd=directory
        )
        names = [name for name in files.split("\0") if name]
        if names:
            git(
                "--git-dir",
                git_dir,
                "update-index",
                "--add",
                "-z",
                "--stdin",
                env=env,
                cwd=directory,
                input="\0".join(names) + "\0",
            )
        return git("--git-dir", git_dir, "write-tree", env=env, cwd=directory).strip()
    finally:
        index.unlink(missing_ok=True)


def bundle_create(repo: Path, out: Path) -> None:
    """Write every branch and tag of ``repo`` (and its HEAD) to a bundle file,
    atomically: temp file, then ``os.replace``."""
    out = out.resolve()
    tmp = out.with_name(out.name + ".tmp")
    git("bundle", "create", "--quiet", str(tmp), "HEAD", "--branches", "--tags", cwd=repo)
    os.replace(tmp, out)
