"""The 3-way update plan: what an update does to each file of one service.

Inputs are three trees of one service's template-known files: the template
rendered at the service's recorded version (*old*), the template rendered at
the target version (*new*), and the service itself (*ours*). For every path
in *old* or *new* the plan decides, before anything is written:

* template unchanged (old == new): nothing, whatever the owner did;
* added upstream: written, or merged against an empty base when the service
  already has a different file there;
* changed upstream: written when the owner never touched it, merged
  (``git merge-file``, or ``git apply --reject`` for ``--conflict rej``) when
  both changed it, left deleted when the owner deleted it;
* **removed upstream**: deleted when the owner never touched it. An owner's
  edit is never dropped: when git's rename detection finds where the file
  went, the edit is carried there by a 3-way merge; otherwise the file is
  kept as it is and reported as a conflict ``deleted upstream``;
* owner-owned (``_skip_if_exists``): updated like a template-owned file when
  byte-identical to *old*; otherwise left alone and reported as
  ``not applied (yours)``; left deleted when the owner deleted it;
* kept (``.svcgen.yml`` ``keep`` globs): never changed, never a conflict.

The same plan is applied to the service (a real run) or turned into a patch
(a dry run, ``--output``), so a dry run shows exactly what a real run does.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from svcgen.errors import VcsError
from svcgen.vcs import stderr_tail

FILE, EXECUTABLE, SYMLINK = 0o100644, 0o100755, 0o120000
LABELS = ("before updating", "last update", "after updating")
MARKERS = (b"<<<<<<< before updating", b">>>>>>> after updating")


@dataclass(frozen=True)
class Blob:
    content: bytes
    mode: int = FILE


@dataclass
class Change:
    """The new state of one service-relative path: content, or None to delete it."""

    path: str
    blob: Blob | None
    # Inline conflicts: (base, ours, theirs) recorded as unmerged index stages.
    stages: tuple[Blob | None, Blob | None, Blob | None] | None = None


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    not_applied: list[tuple[str, str]] = field(default_factory=list)  # (path, template diff)
    kept: list[str] = field(default_factory=list)  # keep-glob files the template changed
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (old path, new path)
    # Files in the old render, edited in the service, absent from the new render,
    # with what the plan does with each: "merged into Q" or "kept (deleted upstream)".
    removed_upstream: list[tuple[str, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.changes


def read_tree(root: Path) -> dict[str, Blob]:
    """Every file under ``root`` (symlinks as links), by POSIX relative path."""
    out: dict[str, Blob] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in (*filenames, *(d for d in dirnames if Path(dirpath, d).is_symlink())):
            full = Path(dirpath, name)
            rel = full.relative_to(root).as_posix()
            blob = read_blob(full)
            if blob is not None:
                out[rel] = blob
    return out


def read_blob(path: Path) -> Blob | None:
    try:
        if path.is_symlink():
            return Blob(os.readlink(path).encode(), SYMLINK)
        if not path.is_file():
            return None
        mode = EXECUTABLE if path.stat().st_mode & 0o100 else FILE
        return Blob(path.read_bytes(), mode)
    except FileNotFoundError:
        return None


def _is_binary(*blobs: Blob | None) -> bool:
    return any(b is not None and b"\0" in b.content[:8000] for b in blobs)


def _run(args: list[str], cwd: Path | str, stdin: bytes | None = None) -> tuple[int, bytes]:
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
    proc = subprocess.run(args, cwd=cwd, input=stdin, capture_output=True, env=env, check=False)
    if proc.returncode < 0 or proc.returncode > 127:
        tail = stderr_tail(proc.stderr.decode(errors="replace"))
        raise VcsError(f"{' '.join(args[:3])} failed: {tail}", where=cwd)
    return proc.returncode, proc.stdout


def merge_inline(ours: bytes, base: bytes, theirs: bytes) -> tuple[bytes, bool]:
    """``git merge-file`` with svcgen's labels: (result, has conflicts)."""
    with tempfile.TemporaryDirectory(prefix="svcgen-merge-") as tmp:
        paths = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            p = Path(tmp, name)
            p.write_bytes(data)
            paths.append(str(p))
        labels = [arg for label in LABELS for arg in ("-L", label)]
        code, out = _run(["git", "merge-file", "-p", *labels, "--", *paths], cwd=tmp)
        if code < 0 or code > 127:
            raise VcsError("git merge-file failed")
        return out, code > 0


def merge_rej(path: str, ours: bytes, base: bytes, theirs: bytes) -> tuple[bytes, bytes | None]:
    """The owner's change (base -> ours) applied to ``theirs`` with ``git apply --reject``:
    (result, content of the .rej file or None)."""
    with tempfile.TemporaryDirectory(prefix="svcgen-rej-") as tmp:
        for side, data in (("a", base), ("b", ours), ("c", theirs)):
            p = Path(tmp, side, path)
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        _code, patch = _run(
            ["git", "diff", "--no-index", "--no-prefix", "-U1", "--no-color", "--", "a", "b"],
            cwd=tmp,
        )
        # Paths read "a/PATH" and "b/PATH": -p1 maps both onto PATH inside c/.
        _run(["git", "apply", "--reject", "-p1", "-"], cwd=Path(tmp, "c"), stdin=patch)
        result = Path(tmp, "c", path).read_bytes()
        rej = Path(tmp, "c", path + ".rej")
        return result, (rej.read_bytes() if rej.exists() else None)


def text_diff(path: str, old: Blob | None, new: Blob | None) -> str:
    """A unified diff for people (``not applied (yours)`` listings)."""
    if _is_binary(old, new):
        return f"Binary file {path} differs\n"
    a = old.content.decode(errors="replace").splitlines(keepends=True) if old else []
    b = new.content.decode(errors="replace").splitlines(keepends=True) if new else []
    lines = difflib.unified_diff(
        a,
        b,
        fromfile=f"a/{path}" if old else "/dev/null",
        tofile=f"b/{path}" if new else "/dev/null",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def find_renames(old_root: Path, new_root: Path, paths: set[str]) -> dict[str, str]:
    """Where git's rename detection says each of ``paths`` (old render) went."""
    if not paths:
        return {}
    parent = old_root.parent
    if new_root.parent != parent:
        raise VcsError("old and new renders must share a parent directory")
    a, b = old_root.name, new_root.name
    _code, out = _run(
        ["git", "diff", "--no-index", "-M", "--name-status", "-z", "--", a, b], cwd=parent
    )
    fields = out.decode(errors="surrogateescape").split("\0")
    renames: dict[str, str] = {}
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i]
        if status.startswith(("R", "C")):
            src, dst = fields[i + 1], fields[i + 2]
            i += 3
            src_rel = src.removeprefix(a + "/")
            if status.startswith("R") and src_rel in paths:
                renames[src_rel] = dst.removeprefix(b + "/")
        else:
            i += 2
    return renames


def make_plan(
    *,
    old_root: Path,
    new_root: Path,
    service: Path,
    conflict: str,
    skip: Callable[[str], bool],
    keep: Callable[[str], bool],
    answers_file: str,
) -> Plan:
    """Decide every change of one update (nothing is written here)."""
    old, new = read_tree(old_root), read_tree(new_root)
    plan = Plan()
    ours: dict[str, Blob | None] = {}

    def mine(rel: str) -> Blob | None:
        if rel not in ours:
            ours[rel] = read_blob(service / rel)
        return ours[rel]

    # Answers: always the new render's (the record of the version and answers).
    if answers_file in new and new[answers_file] != mine(answers_file):
        plan.changes.append(Change(answers_file, new[answers_file]))

    removed = {
        rel
        for rel in old
        if rel not in new and rel != answers_file and not keep(rel) and _edited(mine(rel), old[rel])
    }
    renames = find_renames(old_root, new_root, removed)
    handled = _plan_removed(plan, removed, renames, old, new, mine, keep, conflict)
    for rel in sorted((set(old) | set(new)) - handled - {answers_file}):
        o, n = old.get(rel), new.get(rel)
        if o == n:
            continue  # the template did not change it
        if keep(rel):
            plan.kept.append(rel)
            continue
        s: Blob | None = mine(rel)
        if skip(rel) and (s is None or s.content != (o.content if o else None)):
            # Owner-owned and not byte-identical to the old render: the owner's.
            if s is None and o is None and n is not None:
                plan.changes.append(Change(rel, n))  # a new owner-owned file
            elif s is not None and (n is None or s.content != n.content):
                plan.not_applied.append((rel, text_diff(rel, o, n)))
            continue
        if o is None:  # added upstream
            assert n is not None
            if s is None:
                plan.changes.append(Change(rel, n))
            elif s.content != n.content:
                _merge_into(plan, rel, s, Blob(b"", s.mode), n, conflict, "added on both sides")
        elif n is None:  # removed upstream, owner's file untouched (edited ones done above)
            if s is not None:
                plan.changes.append(Change(rel, None))
        elif s is None:
            continue  # the owner deleted it: it stays deleted
        elif s == o:
            plan.changes.append(Change(rel, n))
        elif s.content == o.content:  # only the owner's mode change
            plan.changes.append(Change(rel, Blob(n.content, s.mode)))
        elif s.content != n.content:
            _merge_into(plan, rel, s, o, n, conflict)
    plan.changes.sort(key=lambda c: c.path)
    return plan


def _plan_removed(
    plan: Plan,
    removed: set[str],
    renames: dict[str, str],
    old: dict[str, Blob],
    new: dict[str, Blob],
    mine: Callable[[str], Blob | None],
    keep: Callable[[str], bool],
    conflict: str,
) -> set[str]:
    """Edited files the new render lacks: carried to their new name, or kept."""
    handled: set[str] = set()
    for rel in sorted(removed):
        s, o = mine(rel), old[rel]
        assert s is not None
        target = renames.get(rel)
        if target and not keep(target) and mine(target) is None and target not in handled:
            _merge_into(plan, target, s, o, new[target], conflict)
            plan.changes.append(Change(rel, None))
            plan.renamed.append((rel, target))
            plan.removed_upstream.append((rel, f"merged into {target}"))
            handled.update((rel, target))
        else:
            reason = "deleted upstream"
            if target:
                reason = f"renamed upstream to {target}, which the service already has"
            plan.conflicts.append((rel, reason))
            plan.removed_upstream.append((rel, "kept (deleted upstream)"))
            handled.add(rel)
    return handled


def _edited(s: Blob | None, o: Blob) -> bool:
    return s is not None and s.content != o.content


def _merge_into(
    plan: Plan,
    rel: str,
    s: Blob,
    o: Blob,
    n: Blob,
    conflict: str,
    reason: str = "changed on both sides",
) -> None:
    """Write the 3-way merge of ``s`` (ours), ``o`` (base), ``n`` (theirs) at ``rel``."""
    mode = n.mode if s.mode == o.mode else s.mode
    if _is_binary(s, o, n) or SYMLINK in (s.mode, o.mode, n.mode):
        plan.changes.append(Change(rel, s))  # the owner's version stays; theirs is reported
        plan.conflicts.append((rel, f"{reason} (binary or link: the service's version kept)"))
        return
    if conflict == "rej":
        merged, rej = merge_rej(rel, s.content, o.content, n.content)
        plan.changes.append(Change(rel, Blob(merged, mode)))
        if rej is not None:
            plan.changes.append(Change(rel + ".rej", Blob(rej)))
            plan.conflicts.append((rel, reason))
        return
    merged, conflicted = merge_inline(s.content, o.content, n.content)
    if conflicted:
        plan.changes.append(Change(rel, Blob(merged, mode), stages=(o, s, n)))
        plan.conflicts.append((rel, reason))
    else:
        plan.changes.append(Change(rel, Blob(merged, mode)))


# --- applying a plan -------------------------------------------------------------


def apply_plan(plan: Plan, service: Path) -> None:
    """Write the plan into the service's work tree (and unmerged index stages)."""
    for change in plan.changes:
        target = service / change.path
        if change.blob is None:
            if target.is_symlink() or target.exists():
                target.unlink()
            _prune_empty_dirs(target.parent, service)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or (target.exists() and change.blob.mode == SYMLINK):
            target.unlink()
        if change.blob.mode == SYMLINK:
            os.symlink(change.blob.content.decode(), target)
            continue
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(change.blob.content)
            os.chmod(tmp, 0o755 if change.blob.mode == EXECUTABLE else 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    _record_stages(plan, service)


def _prune_empty_dirs(directory: Path, stop: Path) -> None:
    while directory != stop and stop in directory.parents:
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent


def _git(
    service: Path, *args: str, stdin: bytes | None = None, env: Mapping[str, str] = {}
) -> bytes:
    full_env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", **env}
    proc = subprocess.run(
        ["git", *args], cwd=service, input=stdin, capture_output=True, env=full_env, check=False
    )
    if proc.returncode != 0:
        tail = stderr_tail(proc.stderr.decode(errors="replace"))
        raise VcsError(f"git {' '.join(args[:2])} failed: {tail}", where=service)
    return proc.stdout


def _prefix(service: Path) -> str:
    return _git(service, "rev-parse", "--show-prefix").decode().strip()


def _hash_blobs(service: Path, blobs: list[Blob], env: Mapping[str, str]) -> list[str]:
    if not blobs:
        return []
    with tempfile.TemporaryDirectory(prefix="svcgen-blobs-") as tmp:
        names = []
        for i, blob in enumerate(blobs):
            p = Path(tmp, str(i))
            p.write_bytes(blob.content)
            names.append(str(p))
        out = _git(
            service,
            "hash-object",
            "-w",
            "--no-filters",
            "--stdin-paths",
            stdin=("\n".join(names) + "\n").encode(),
            env=env,
        )
    return out.decode().split()


def _record_stages(plan: Plan, service: Path) -> None:
    staged = [c for c in plan.changes if c.stages is not None]
    if not staged:
        return
    prefix = _prefix(service)
    lines = []
    for change in staged:
        assert change.stages is not None
        full = prefix + change.path
        present = [(i + 1, b) for i, b in enumerate(change.stages) if b is not None]
        shas = _hash_blobs(service, [b for _, b in present], {})
        lines.append(f"0 {'0' * 40}\t{full}")
        for (stage, blob), sha in zip(present, shas, strict=True):
            lines.append(f"{blob.mode:o} {sha} {stage}\t{full}")
    top = _git(service, "rev-parse", "--show-toplevel").decode().strip()
    _git(Path(top), "update-index", "--index-info", stdin=("\n".join(lines) + "\n").encode())


def plan_patch(plan: Plan, service: Path) -> str:
    """The plan as a patch against the service's HEAD, paths relative to the top of
    its git repository (the service itself unless it is part of a monorepo).

    Byte-exact (``git apply`` applies it in the service or at the top of its
    repository); built with a private
    index and object directory, so the service's repository is not written.
    """
    if plan.empty:
        return ""
    common = Path(_git(service, "rev-parse", "--git-common-dir").decode().strip())
    if not common.is_absolute():
        common = (service / common).resolve()
    prefix = _prefix(service)
    with tempfile.TemporaryDirectory(prefix="svcgen-patch-") as tmp:
        env = {
            "GIT_INDEX_FILE": str(Path(tmp, "index")),
            "GIT_OBJECT_DIRECTORY": str(Path(tmp, "objects")),
            "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(common / "objects"),
        }
        Path(tmp, "objects").mkdir()
        _git(service, "read-tree", "HEAD", env=env)
        writes = [c for c in plan.changes if c.blob is not None]
        shas = _hash_blobs(service, [c.blob for c in writes if c.blob is not None], env)
        by_path = {c.path: sha for c, sha in zip(writes, shas, strict=True)}
        lines = []
        for c in plan.changes:
            if c.blob is None:
                lines.append(f"0 {'0' * 40}\t{prefix}{c.path}")
            else:
                lines.append(f"{c.blob.mode:o} {by_path[c.path]}\t{prefix}{c.path}")
        _git(
            service,
            "update-index",
            "--index-info",
            stdin=("\n".join(lines) + "\n").encode(),
            env=env,
        )
        tree = _git(service, "write-tree", env=env).decode().strip()
        out = _git(
            service,
            "diff-tree",
            "-p",
            "--binary",
            "--full-index",
            "--no-renames",
            "HEAD",
            tree,
            env=env,
        )
    return out.decode("utf-8", errors="surrogateescape")
