"""Helpers for the svcgen update/adopt/check tests: real git repositories.

The template under test is a copy of templates/go-service in its own git
repository. Its Makefile gets a small block of test lines (v1); later
versions change them. The tests rely on nothing else in the template's
content, which keeps them independent of the Go code.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from repo_helpers import (
    commit_all,
    copy_template,
    git,
    init_tagged,
    run,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MAKEFILE = "template/Makefile.jinja"

# v1's test block. Line A is what v2 changes; line C is what a service edits
# locally and what v3 changes too (a conflict). Four unchanged lines between
# them keep the two edits independent.
BLOCK = """
# --- svcgen update test block ---
UPDATE_TEST_A := 1
# filler 1
# filler 2
# filler 3
# filler 4
UPDATE_TEST_C := 1
# --- end of block ---
"""

# What a trimmed copy of the template keeps (see make_template_repo).
SMALL_TEMPLATE = ("Makefile.jinja", "go.mod.jinja", "{{_copier_conf.answers_file}}.jinja")


def make_template_repo(dest: Path, small: bool = False) -> Path:
    """templates/go-service + the test block, as a git repository tagged v1.0.0.

    ``small`` keeps only copier.yml, the Makefile, go.mod and the answers
    file: what the fleet-size tests need, at a fraction of the render time.
    """
    copy_template(dest)
    if small:
        for entry in (dest / "template").iterdir():
            if entry.name not in SMALL_TEMPLATE:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    makefile = dest / MAKEFILE
    makefile.parent.mkdir(parents=True, exist_ok=True)
    with makefile.open("a", encoding="utf-8") as fh:
        fh.write(BLOCK)
    return init_tagged(dest)


def tiny_template(repo: Path, copier_yml: str) -> Path:
    """A template of only copier.yml (``copier_yml``: a service_name question and
    whatever the test needs), the answers file and a README, tagged v1.0.0."""
    (repo / "template").mkdir(parents=True)
    (repo / "copier.yml").write_text(copier_yml, encoding="utf-8")
    (repo / "template" / "{{_copier_conf.answers_file}}.jinja").write_text(
        "{{ _copier_answers|to_nice_yaml -}}\n", encoding="utf-8"
    )
    (repo / "template" / "README.md.jinja").write_text("# {{ service_name }}\n")
    return init_tagged(repo)


def release_v2(repo: Path, tag: str = "v2.0.0") -> None:
    """v2: a new file, and line A of the Makefile changed."""
    (repo / "template" / "UPDATING.md").write_text("Added by template v2.\n", encoding="utf-8")
    edit(repo / MAKEFILE, "UPDATE_TEST_A := 1", "UPDATE_TEST_A := 2")
    commit_all(repo, tag)
    git(repo, "tag", tag)


def release_v3(repo: Path, tag: str = "v3.0.0") -> None:
    """v3: line C of the Makefile changed (services that edited it conflict)."""
    edit(repo / MAKEFILE, "UPDATE_TEST_C := 1", "UPDATE_TEST_C := 3")
    commit_all(repo, tag)
    git(repo, "tag", tag)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not found once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def new_service(template: Path, name: str, dest: Path, ref: str = "v1.0.0") -> Path:
    code, out, err = run(
        "new",
        name,
        "--template",
        str(template),
        "--vcs-ref",
        ref,
        "--dest",
        str(dest),
        "--defaults",
    )
    assert code == 0, out + err
    path = dest / name
    git(path, "init", "-q", "-b", "main")
    commit_all(path, "rendered")
    return path


def copy_service(base: Path, dest: Path) -> Path:
    shutil.copytree(base, dest, symlinks=True)
    return dest
