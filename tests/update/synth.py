"""A small synthetic copier template in a real git repository, for update tests
that must not depend on the layout of templates/go-service.

v1.0.0 renders: the answers file, a Makefile, internal/bodylimit.go,
deploy/pdb.yaml, the owner-owned (``_skip_if_exists``) routes.txt and
config.txt, a CI file per ``ci_provider`` and one file per feature. Each
``release_*`` helper commits a change to the template and tags it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from repo_helpers import commit_all, git

COPIER_YML = """\
_subdirectory: template
_answers_file: .copier-answers.yml
_skip_if_exists:
  - routes.txt
  - config.txt
service_name:
  type: str
ci_provider:
  type: str
  choices: [gitlab, github, both]
  default: github
features:
  type: str
  multiselect: true
  choices: [auth, worker]
  default: [auth]
"""

BODYLIMIT = """\
package middleware

// BodyLimit caps request bodies.
func BodyLimit(n int) int {
\tif n <= 0 {
\t\treturn 1 << 20
\t}
\treturn n
}

// The end of the file.
"""

PDB = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ service_name }}
spec:
  minAvailable: 1
"""

ROUTES = """\
GET /healthz
GET /readyz
"""

FILES = {
    "{{_copier_conf.answers_file}}.jinja": "{{ _copier_answers|to_nice_yaml -}}\n",
    "Makefile.jinja": (
        "SERVICE := {{ service_name }}\n\nbuild:\n\tgo build ./...\n\ntest:\n\tgo test ./...\n"
    ),
    "internal/bodylimit.go": BODYLIMIT,
    "deploy/pdb.yaml.jinja": PDB,
    "routes.txt": ROUTES,
    "config.txt": "port: 8000\n",
    "{% if ci_provider != 'github' %}.gitlab-ci.yml{% endif %}.jinja": "stages: [test]\n",
    "{% if ci_provider != 'gitlab' %}github-ci.yml{% endif %}.jinja": "on: push\n",
    "{% if 'worker' in features %}worker.go{% endif %}.jinja": "package worker\n",
    "{% if 'auth' in features %}auth.go{% endif %}.jinja": "package auth\n",
}


def make_synth_template(dest: Path) -> Path:
    (dest / "template").mkdir(parents=True)
    (dest / "copier.yml").write_text(COPIER_YML, encoding="utf-8")
    for rel, text in FILES.items():
        path = dest / "template" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(dest, "init", "-q", "-b", "main")
    commit_all(dest, "v1")
    git(dest, "tag", "v1.0.0")
    return dest


def tag(repo: Path, name: str) -> None:
    commit_all(repo, name)
    git(repo, "tag", name)


def release_rename_and_delete(repo: Path, name: str = "v2.0.0") -> None:
    """Moves internal/bodylimit.go to internal/middleware/ (one line changed)
    and deletes deploy/pdb.yaml."""
    tpl = repo / "template"
    (tpl / "internal" / "middleware").mkdir(parents=True, exist_ok=True)
    moved = BODYLIMIT.replace("return 1 << 20", "return 2 << 20")
    (tpl / "internal" / "middleware" / "bodylimit.go").write_text(moved, encoding="utf-8")
    (tpl / "internal" / "bodylimit.go").unlink()
    shutil.rmtree(tpl / "deploy")
    tag(repo, name)


def release_routes(repo: Path, name: str) -> None:
    """Adds a route to the owner-owned routes.txt and config.txt."""
    tpl = repo / "template"
    (tpl / "routes.txt").write_text(ROUTES + "GET /version\n", encoding="utf-8")
    (tpl / "config.txt").write_text("port: 8000\ntimeout: 5s\n", encoding="utf-8")
    tag(repo, name)


def release_makefile(repo: Path, name: str) -> None:
    """Changes the Makefile's test line."""
    path = repo / "template" / "Makefile.jinja"
    path.write_text(
        path.read_text(encoding="utf-8").replace("go test ./...", "go test -race ./..."),
        encoding="utf-8",
    )
    tag(repo, name)


def tree(path: Path) -> dict[str, bytes]:
    """Every file under ``path`` but .git, by content."""
    return {
        p.relative_to(path).as_posix(): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(path).parts
    }
