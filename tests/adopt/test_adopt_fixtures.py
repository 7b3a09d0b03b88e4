"""svcgen adopt on four fixture services, with the real Go toolchain and linters.

Each fixture is adopted once per module (a dry run first, then for real,
through the real CLI, from a versioned copy of the template); the tests then
check the build, the lint baseline, the CI files, the wiring and an update.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from adopt_helpers import (
    find_tool,
    fixture_repo,
    go,
    http_get,
    lint,
    ownership,
    serving,
    snapshot,
    tool,
)

from repo_helpers import answers, commit_all, git, run
from service_helpers import free_port

pytestmark = pytest.mark.slow

PLATFORM = ("apperr", "auth", "health", "httpclient", "logging", "middleware", "ratelimit",
            "requestid", "tracing", "worker", "adapt")  # fmt: skip
SKELETON = ("internal/server/server.go", "internal/config", "internal/api", "configs")


@dataclass
class Adopted:
    repo: Path  # the git repository
    services: dict[str, Path]  # service name -> its folder
    heads: dict[str, str]  # service name -> the commit adopt started from
    dry_out: dict[str, str]  # service name -> the dry run's output
    own: dict[str, dict[str, bytes]]  # service name -> its files before adopt


SPECS: dict[str, tuple[list[str], list[str]]] = {
    # fixture -> (service folders, extra adopt flags)
    "nethttp": (["."], ["--wire"]),
    "ginsvc": (["."], ["--wire"]),
    "kratossvc": (["."], []),
    "monorepo": (["services/orders", "services/billing"], []),
}


def adopt_fixture(name: str, template: Path, tmp: Path) -> Adopted:
    folders, flags = SPECS[name]
    repo = fixture_repo(name, tmp / name)
    result = Adopted(repo, {}, {}, {}, {})
    for folder in folders:
        svc = (repo / folder).resolve()
        svc_name = svc.name
        result.own[svc_name] = snapshot(repo)
        result.heads[svc_name] = git(repo, "rev-parse", "HEAD").strip()
        before = snapshot(repo)
        args = ["adopt", str(svc), "--defaults", "--template", str(template), *flags]
        code, out, err = run(*args, "--dry-run")
        assert code == 0, out + err
        assert snapshot(repo) == before, "--dry-run wrote something"
        result.dry_out[svc_name] = out + err
        code, out, err = run(*args)
        assert code == 0, out + err
        result.services[svc_name] = svc
        commit_all(repo, f"adopt {svc_name}")
    return result


@pytest.fixture(scope="module", params=list(SPECS))
def adopted(
    request: pytest.FixtureRequest, template_repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> Adopted:
    return adopt_fixture(str(request.param), template_repo, tmp_path_factory.mktemp("adopt"))


def test_dry_run_lists_layers_files_and_edits(adopted: Adopted) -> None:
    for name, out in adopted.dry_out.items():
        assert "would add" in out, name
        assert "internal/platform/middleware/" in out
        assert "layers platform, lint" in out
        if name in ("nethttp", "ginsvc"):
            assert "adapt.Wrap(mux, adapt.Options{})" in out or "ginadapt.Use(r," in out, out
        if name == "ginsvc":
            assert "+include svcgen.mk" in out  # the Makefile diff


def test_no_skeleton_and_the_service_files_untouched(adopted: Adopted) -> None:
    for name, svc in adopted.services.items():
        for rel in SKELETON:
            if not (adopted.repo / rel).exists():  # kratossvc has its own internal/server
                assert not (svc / rel).exists(), f"{name}: skeleton {rel} added"
        assert not (svc / "cmd" / name / "run.go").exists()
        for pkg in PLATFORM:
            assert (svc / "internal" / "platform" / pkg).is_dir(), pkg
        rec = answers(svc)
        assert rec["layers"] == ["platform", "lint", "ci", "deploy"]
        assert "service" not in rec["layers"]
        assert rec["lint_new_from_rev"] == adopted.heads[name]
        assert rec["adapters"] == (["gin"] if name == "ginsvc" else [])
        keep = ownership(svc)
        assert "go.mod" in keep and "go.sum" in keep
        own = adopted.own[name]
        root_rel = svc.relative_to(adopted.repo).as_posix()
        prefix = "" if root_rel == "." else root_rel + "/"
        edited = {prefix + k for k in keep} | {".gitlab-ci.yml"}
        for rel, content in own.items():
            if not rel.startswith(prefix):
                continue  # another service of the monorepo
            if rel not in edited and (adopted.repo / rel).exists():
                assert (adopted.repo / rel).read_bytes() == content, f"{name}: {rel} changed"
    if "kratossvc" in adopted.services:
        svc = adopted.services["kratossvc"]
        keep = ownership(svc)
        assert {"Makefile", ".golangci.yml"} <= set(keep)
        assert not (svc / "internal" / "server" / "server.go").exists()


def test_build_vet_and_the_original_binaries(adopted: Adopted, tmp_path: Path) -> None:
    mains = {"kratossvc": "./cmd/kratossvc"}
    for name, svc in adopted.services.items():
        go(svc, "build", "-mod=readonly", "./...")
        go(svc, "vet", "-mod=readonly", "./...")
        go(svc, "build", "-mod=readonly", "-o", str(tmp_path / name), mains.get(name, "."))
        assert (tmp_path / name).is_file()


def test_lint_baseline_hides_legacy_issues_and_holds_new_code(adopted: Adopted) -> None:
    for name, svc in adopted.services.items():
        if name == "kratossvc":
            continue  # keeps its own .golangci.yml: see test_existing_lint_config_is_compared
        res = lint(svc)
        assert res.returncode == 0, f"{name}: legacy issues fail:\n{res.stdout}{res.stderr}"
        bad = svc / "newcode.go"
        bad.write_text(
            'package main\n\nimport "os"\n\n// Cleanup is new code.\n'
            'func Cleanup() { os.Remove("/tmp/x") }\n'
        )
        try:
            res = lint(svc)
            assert res.returncode != 0, f"{name}: a new errcheck issue passed"
            assert "newcode.go" in res.stdout and "errcheck" in res.stdout, res.stdout
        finally:
            bad.unlink()
        break  # one service of a monorepo is enough: the config is the same


def test_existing_lint_config_is_compared(adopted: Adopted) -> None:
    if "kratossvc" not in adopted.services:
        pytest.skip("only kratossvc has its own .golangci.yml")
    svc = adopted.services["kratossvc"]
    assert (svc / ".golangci.yml").read_bytes() == adopted.own["kratossvc"][".golangci.yml"]
    out = adopted.dry_out["kratossvc"]
    assert "linters the template enables and it does not" in out
    assert "no issues.new-from-rev baseline" in out


def _schema(kind: str, files: list[Path], cwd: Path) -> None:
    res = tool([find_tool("check-jsonschema"), "--builtin-schema", kind, *map(str, files)], cwd)
    assert res.returncode == 0, res.stdout + res.stderr


def test_ci_files_are_valid_and_include_the_gates(adopted: Adopted) -> None:
    import yaml

    repo = adopted.repo
    providers = {answers(svc)["ci_provider"] for svc in adopted.services.values()}
    assert len(providers) == 1
    if providers == {"gitlab"}:
        ci = repo / ".gitlab-ci.yml"
        gates = [svc / "ci" / "svcgen-gates.gitlab-ci.yml" for svc in adopted.services.values()]
        _schema("vendor.gitlab-ci", [ci, *gates], repo)
        data = yaml.safe_load(ci.read_text())
        locals_ = {item["local"] for item in data["include"]}
        for svc in adopted.services.values():
            rel = svc.relative_to(repo).as_posix()
            want = "/" + ("" if rel == "." else rel + "/") + "ci/svcgen-gates.gitlab-ci.yml"
            assert want in locals_, (want, locals_)
        # Byte-exact: the original pipeline is a prefix-preserving edit (only include added).
        original = next(iter(adopted.own.values()))[".gitlab-ci.yml"].decode()
        text = ci.read_text()
        kept = [ln for ln in text.splitlines() if "svcgen-gates" not in ln and ln != "include:"]
        assert kept == original.splitlines(), text
        for svc in adopted.services.values():
            jobs = yaml.safe_load((svc / "ci" / "svcgen-gates.gitlab-ci.yml").read_text())
            name = svc.name
            assert {f"svcgen-{name}-lint", f"svcgen-{name}-test"} <= set(jobs)
            base = jobs[f".svcgen-{name}"]
            rel = svc.relative_to(repo).as_posix()
            if rel != ".":
                assert base["rules"][0]["changes"]["paths"] == [f"{rel}/**/*"]
                assert f'cd "$CI_PROJECT_DIR/{rel}"' in base["before_script"][0]
            assert base["stage"] in (data.get("stages") or ["test"]) + [".pre"]
        assert not (repo / ".github" / "workflows" / "svcgen-gates.yml").exists()
    else:
        wf = repo / ".github" / "workflows" / "svcgen-gates.yml"
        _schema("vendor.github-workflows", [wf], repo)
        res = tool([find_tool("actionlint"), "-no-color", str(wf.relative_to(repo))], repo)
        assert res.returncode == 0, res.stdout + res.stderr
        jobs = yaml.safe_load(wf.read_text())["jobs"]
        assert {"svcgen-lint", "svcgen-test"} <= set(jobs)
        assert jobs["svcgen-lint"]["steps"][0]["with"]["fetch-depth"] == 0
        for svc in adopted.services.values():
            assert not (svc / "ci").exists()
    for name, svc in adopted.services.items():
        makefile = (svc / "Makefile").read_text()
        assert makefile.count("include svcgen.mk") == 1, name
        res = tool(["make", "-n", "svcgen-test", "svcgen-lint"], svc)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "go vet ./..." in res.stdout
        for f in ("alerts.yaml", "dashboard.json", "servicemonitor.yaml", "probes.example.yaml"):
            assert (svc / "deploy" / "svcgen" / f).is_file(), f


def test_wired_requests_pass_the_chain(adopted: Adopted) -> None:
    wired = {n: s for n, s in adopted.services.items() if n in ("nethttp", "ginsvc")}
    if not wired:
        pytest.skip("--wire is tested on the net/http and gin fixtures")
    ((name, svc),) = wired.items()
    binary = svc / "bin" / name
    go(svc, "build", "-mod=readonly", "-o", str(binary), ".")
    port = free_port()
    path = "/hello?name=x" if name == "nethttp" else "/v1/ping"
    with serving(binary, svc, {"ADDR": f"127.0.0.1:{port}", "GIN_MODE": "release"}, port) as base:
        status, headers, body = http_get(base + path)
        assert status == 200, body
        assert headers.get("X-Request-Id"), headers
        assert headers.get("Ratelimit-Limit") == "100", headers
        assert headers.get("Ratelimit-Remaining"), headers
        status, _headers, body = http_get(base + "/readyz")
        assert status == 200, body
        status, _headers, body = http_get(base + "/metrics")
        assert b"http_request_duration_seconds" in body


def test_update_to_a_later_template_keeps_the_owner_files(
    adopted: Adopted, tmp_path: Path, template_repo: Path
) -> None:
    if "ginsvc" not in adopted.services:
        pytest.skip("the update is tested on the gin fixture")
    tpl = tmp_path / "go-service"
    git(tmp_path, "clone", "-q", str(template_repo), str(tpl))
    t = tpl / "template"
    # v2 changes the files the owner kept (Makefile, Dockerfile, README, go.mod:
    # skeleton files an adopted service never renders) and template-owned ones.
    for rel in ("Makefile.jinja", "Dockerfile.jinja", "README.md.jinja", "go.mod.jinja"):
        with (t / rel).open("a") as fh:
            fh.write("\n# v2\n" if rel != "README.md.jinja" else "\nv2\n")
    with (t / "svcgen.mk.jinja").open("a") as fh:
        fh.write("\n# svcgen.mk v2\n")
    mw = t / "internal" / "platform" / "middleware" / "middleware.go"
    mw.write_text(mw.read_text() + "\n// v2 of the platform.\n")
    commit_all(tpl, "v2")
    git(tpl, "tag", "v2.0.0")

    svc = tmp_path / "ginsvc"
    shutil.copytree(adopted.services["ginsvc"], svc, symlinks=True)
    ans = svc / ".copier-answers.yml"
    ans.write_text(ans.read_text().replace(str(template_repo), str(tpl)))
    commit_all(svc, "the template moved")
    keep = ownership(svc)
    before = {rel: (svc / rel).read_bytes() for rel in keep if (svc / rel).is_file()}

    code, out, err = run("update", str(svc))
    assert code == 0, out + err
    assert answers(svc)["_commit"] == "v2.0.0"
    for rel, content in before.items():
        assert (svc / rel).read_bytes() == content, f"kept file {rel} changed by the update"
    status = git(svc, "status", "--porcelain", "--untracked-files=all")
    assert ".rej" not in status and "UU" not in status, status
    assert "# svcgen.mk v2" in (svc / "svcgen.mk").read_text()
    platform_mw = svc / "internal/platform/middleware/middleware.go"
    assert "// v2 of the platform." in platform_mw.read_text()
    for rel in ("Dockerfile", "README.md", "cmd", "internal/server"):
        assert not (svc / rel).exists(), f"the update added the skeleton's {rel}"
    go(svc, "build", "-mod=readonly", "./...")
