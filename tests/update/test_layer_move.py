"""A service made from the released v0.1.0 crosses the layer move with `svcgen update`.

v0.1.0 (the bundled history, templates/history/go-service.bundle) kept the
hardening packages in internal/<pkg>; the current template keeps them in
internal/platform/<pkg>. The service is rendered from the real v0.1.0 tag,
edited locally (a route of its own in internal/api/routes.go, a comment in
cmd/<name>/run.go, a config value), committed, and updated through the real
CLI to the current template, published as the next tag on top of the same
history. The edits survive, nothing conflicts, and the service builds and
vets with the real Go toolchain.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from update_helpers import edit

from repo_helpers import ROOT, TEMPLATE, answers, commit_all, git, run
from svcgen.updating.history import build_bundle

HISTORY = ROOT / "templates" / "history" / "go-service.bundle"
MOVED = ("apperr", "health", "logging", "middleware", "requestid", "auth", "httpclient",
         "ratelimit", "tracing", "worker")  # fmt: skip

ROUTE_OLD = '\tmux.Handle("GET /v1/whoami", Whoami(deps.Service))\n'
ROUTE_NEW = ROUTE_OLD + '\tmux.Handle("GET /v1/orders", Orders())\n'
HANDLER = """
// Orders is the owner's own route, added after v0.1.0.
func Orders() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
}
"""
RUN_MARK = "// local edit: the owner's note in run.go\n"


def go(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GOFLAGS": "-mod=readonly"}
    env.pop("GOWORK", None)
    proc = subprocess.run(
        ["go", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert proc.returncode == 0, f"go {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"


def test_v010_service_updates_across_the_layer_move(tmp_path: Path) -> None:
    bundle = tmp_path / "go-service.bundle"
    built = build_bundle(TEMPLATE, "0.2.0", bundle, HISTORY)
    assert built.added and built.tag == "v0.2.0"

    code, out, err = run(
        "new", "orders", "--template", str(bundle), "--vcs-ref", "v0.1.0",
        "--dest", str(tmp_path), "--defaults",
    )  # fmt: skip
    assert code == 0, out + err
    svc = tmp_path / "orders"
    assert (svc / "internal/middleware/middleware.go").is_file()  # the v0.1.0 layout
    assert not (svc / "internal/platform").exists()
    git(svc, "init", "-q", "-b", "main")
    commit_all(svc, "orders at v0.1.0")

    routes = svc / "internal/api/routes.go"
    edit(routes, ROUTE_OLD, ROUTE_NEW)
    routes.write_text(routes.read_text() + HANDLER)
    run_go = svc / "cmd/orders/run.go"
    edit(run_go, "\nfunc run(", f"\n{RUN_MARK}func run(")
    edit(svc / "configs/config.yaml", "default_limit: 100", "default_limit: 250")
    commit_all(svc, "local edits")

    code, out, err = run("update", str(svc), "--to", "v0.2.0")
    assert code == 0, out + err
    assert answers(svc)["_commit"] == "v0.2.0"

    # The edits survive, with no conflict left behind.
    assert ROUTE_NEW in routes.read_text() and HANDLER in routes.read_text()
    assert RUN_MARK in run_go.read_text()
    assert "default_limit: 250" in (svc / "configs/config.yaml").read_text()
    status = git(svc, "status", "--porcelain", "--untracked-files=all")
    assert ".rej" not in status, status
    for path in svc.rglob("*.go"):
        assert "<<<<<<<" not in path.read_text(), path

    # The move happened: platform packages in place, the old ones gone.
    for pkg in MOVED:
        assert (svc / "internal/platform" / pkg).is_dir(), pkg
        assert not (svc / "internal" / pkg).exists(), pkg
    assert '"gitlab.com/ta-microservices/orders/internal/platform/httpclient"' in routes.read_text()

    go(svc, "build", "./...")
    go(svc, "vet", "./...")
    go(svc, "test", "-count=1", "./internal/api/")
