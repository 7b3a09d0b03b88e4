"""svcgen audit through the real CLI: exit codes, --fail-under, --only,
suppression, --sarif (schema-valid), --markdown, --fleet --jobs, missing Go,
modules whose dependencies cannot be loaded, the analyzer build cache."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import FIXTURES, ROOT, SARIF_SCHEMA, audit_json, markers, svcgen

from svcgen import __version__

pytestmark = pytest.mark.slow


def copy_fixture(tmp_path: Path, check_id: str, side: str = "bad") -> Path:
    dest = tmp_path / f"{check_id.lower()}-{side}"
    shutil.copytree(FIXTURES / check_id / side, dest)
    return dest


def test_p0_finding_exits_1_and_json_is_the_common_report() -> None:
    rc, doc, _ = audit_json(FIXTURES / "CTX001" / "bad", "--only", "CTX001")
    assert rc == 1
    assert doc["schema_version"] == 1 and doc["command"] == "audit"
    assert doc["summary"] == {"total": 1, "fail": 1}
    (item,) = doc["items"]
    assert item["status"] == "fail"
    assert item["categories"][2] == {
        "name": "Reliability",
        "score": 4.0,
        "status": "at risk",
        "blocker": True,
        "findings": 2,
    }
    f = item["findings"][0]
    assert (f["id"], f["priority"], f["file"], f["line"]) == (
        "CTX001",
        "P0",
        "upload/upload.go",
        14,
    )
    assert "context.Background()" in f["snippet"]


def test_fail_under() -> None:
    # OBS001 alone: Observability 8.5, overall (6*10 + 8.5)/7 = 9.8
    bad = FIXTURES / "OBS001" / "bad"
    rc, doc, _ = audit_json(bad, "--only", "OBS001", "--fail-under", "9.7")
    assert rc == 0 and doc["items"][0]["score"] == 9.8 and doc["items"][0]["status"] == "pass"
    rc, doc, _ = audit_json(bad, "--only", "OBS001", "--fail-under", "9.9")
    assert rc == 1 and doc["items"][0]["status"] == "fail"
    proc = svcgen("audit", bad, "--fail-under", "11")
    assert proc.returncode == 2


def test_only_runs_just_those_checks_and_rejects_unknown_ids() -> None:
    srv_bad = FIXTURES / "SRV001" / "bad"
    rc, doc, _ = audit_json(srv_bad, "--only", "CTX001,LOG001")
    assert rc == 0 and doc["items"][0]["findings"] == []
    rc, doc, _ = audit_json(srv_bad, "--only", "srv001")
    assert {f["id"] for f in doc["items"][0]["findings"]} == {"SRV001"}
    proc = svcgen("audit", srv_bad, "--only", "CTX001,NOPE1")
    assert proc.returncode == 2
    assert "unknown check NOPE1" in proc.stderr


def test_suppression_inline_and_file(tmp_path: Path) -> None:
    mod = copy_fixture(tmp_path, "CTX001")
    src = mod / "upload" / "upload.go"
    lines = src.read_text().splitlines()
    # line 14 (the DownloadFile call): a comment on the line above
    lines.insert(13, "\t//svcgen:audit-ignore CTX001 the file manager ignores ctx until v2")
    src.write_text("\n".join(lines) + "\n")
    (mod / ".svcgen-audit.yml").write_text(
        "ignore:\n  - id: CTX001\n    path: upload/*.go\n"
        "    reason: health handler migrates in Q3\n"
    )
    rc, doc, _ = audit_json(mod, "--only", "CTX001")
    item = doc["items"][0]
    assert rc == 0 and item["status"] == "pass" and item["findings"] == []
    reasons = sorted(f["suppressed_reason"] for f in item["suppressed"])
    assert reasons == ["health handler migrates in Q3", "the file manager ignores ctx until v2"]
    assert item["score"] == 10.0
    # a human report lists them apart
    proc = svcgen("audit", mod, "--only", "CTX001")
    assert "2 suppressed:" in proc.stdout and proc.returncode == 0


def test_suppression_needs_a_reason(tmp_path: Path) -> None:
    mod = copy_fixture(tmp_path, "SRV001")
    main = mod / "cmd" / "app" / "main.go"
    main.write_text(main.read_text().replace("// want SRV001", "//svcgen:audit-ignore SRV001", 1))
    rc, doc, _ = audit_json(mod, "--only", "SRV001")
    item = doc["items"][0]
    assert rc == 0 and len(item["findings"]) == 2 and item["suppressed"] == []
    assert any("has no reason" in n for n in item["notices"])
    (mod / ".svcgen-audit.yml").write_text("ignore:\n  - id: SRV001\n    path: '*'\n")
    proc = svcgen("audit", mod, "--only", "SRV001")
    assert proc.returncode == 2
    assert ".svcgen-audit.yml:2: ignore entry for SRV001 has no reason" in proc.stderr


def test_sarif_is_valid_sarif_2_1_0(tmp_path: Path) -> None:
    mod = copy_fixture(tmp_path, "REC001")
    (mod / ".svcgen-audit.yml").write_text(
        "ignore:\n  - id: LINT001\n    path: go.mod\n    reason: lint config is shared\n"
    )
    out = tmp_path / "audit.sarif"
    proc = svcgen("audit", mod, "--sarif", out)
    assert proc.returncode == 0, proc.stderr  # only P1/P2 findings
    check = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile", str(SARIF_SCHEMA), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    doc = json.loads(out.read_text())
    (run,) = doc["runs"]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    rec = [r for r in run["results"] if r["ruleId"] == "REC001"]
    assert {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in rec} == {16, 18}
    assert rec[0]["level"] == "note"
    assert by_rule["LINT001"]["suppressions"][0]["kind"] == "external"
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules][by_rule["REC001"]["ruleIndex"]] == "REC001"


def test_markdown_follows_the_reviews_layout(tmp_path: Path) -> None:
    out = tmp_path / "review.md"
    proc = svcgen("audit", FIXTURES / "HEALTH001" / "bad", "--markdown", out)
    assert proc.returncode == 0, proc.stderr
    md = out.read_text()
    order = [
        "## EXECUTIVE SUMMARY",
        "| Category | Score | Status | Blocker |",
        "| Reliability | 4.0/10 | at risk | No |",  # 4 P1 findings: 10 - 4 x 1.5
        "### CRITICAL PRIORITY (P0",
        "### HIGH PRIORITY (P1)",
        "#### **[HEALTH001]",
        "`health/manager.go:29:32`",
        'm.cache.Set("health", result, 0)',
        "### MEDIUM PRIORITY (P2)",
        "## PASSED",
        "- **CTX001**",
    ]
    positions = [md.index(s) for s in order]
    assert positions == sorted(positions)


def test_fleet_with_jobs(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(
        "services:\n"
        f"  - name: orders\n    path: {FIXTURES / 'CTX001' / 'bad'}\n"
        f"  - name: payments\n    path: {FIXTURES / 'CTX001' / 'good'}\n"
        f"  - name: catalog\n    path: {FIXTURES / 'SRV001' / 'bad'}\n"
    )
    proc = svcgen("audit", "--fleet", fleet, "--jobs", "2", "--only", "CTX001,SRV001")
    assert proc.returncode == 1, proc.stderr
    table = proc.stdout[proc.stdout.index("svcgen audit: fleet") :].splitlines()
    assert table[1].split() == [
        "service",
        "status",
        "code",
        "security",
        "reliab.",
        "perf.",
        "observ.",
        "resil.",
        "testing",
        "overall",
    ]
    rows = {line.split()[0]: line.split() for line in table[2:] if line.strip()}
    assert rows["orders"][1:3] == ["fail", "10.0"] and rows["orders"][4] == "4.0"
    assert rows["payments"][1] == "pass" and rows["payments"][-1] == "10.0"
    assert rows["catalog"][1] == "pass" and rows["catalog"][7] == "7.0"
    rc, doc, _ = audit_json("--fleet", fleet, "-j", "2", "--only", "CTX001,SRV001")
    assert rc == 1
    assert [i["name"] for i in doc["items"]] == ["orders", "payments", "catalog"]
    assert doc["summary"] == {"total": 3, "fail": 1, "pass": 2}


def test_bad_input_exits_2(tmp_path: Path) -> None:
    proc = svcgen("audit", tmp_path)
    assert proc.returncode == 2
    assert "not a Go module" in proc.stderr and str(tmp_path) in proc.stderr
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text("services: [\n")
    proc = svcgen("audit", "--fleet", fleet)
    assert proc.returncode == 2 and "fleet.yaml" in proc.stderr
    proc = svcgen("audit", "--fleet", tmp_path / "missing.yaml")
    assert proc.returncode == 2 and "cannot read fleet file" in proc.stderr


def test_missing_go_exits_2_with_install_hint() -> None:
    path = os.path.dirname(sys.executable)
    proc = svcgen("audit", FIXTURES / "CTX001" / "bad", extra_env={"PATH": path})
    assert proc.returncode == 2
    assert "`go` is not on PATH" in proc.stderr and "https://go.dev/dl/" in proc.stderr


def test_repo_checks_run_without_go() -> None:
    path = os.path.dirname(sys.executable)
    rc, doc, _ = audit_json(FIXTURES / "RL001" / "bad", "--only", "RL001", extra_env={"PATH": path})
    assert rc == 1 and len(doc["items"][0]["findings"]) == 2


def test_unloadable_dependencies_skip_typed_checks_only(tmp_path: Path) -> None:
    mod = tmp_path / "nodeps"
    (mod / "svc").mkdir(parents=True)
    (mod / "go.mod").write_text(
        "module example.com/nodeps\n\ngo 1.26\n\nrequire example.invalid/dep v1.0.0\n"
    )
    (mod / "svc" / "svc.go").write_text(
        'package svc\n\nimport (\n\t"context"\n\t"fmt"\n\n\t"example.invalid/dep"\n)\n\n'
        "func Run() error {\n\terr := dep.Do(context.Background())\n"
        '\treturn fmt.Errorf("run: %v", err)\n}\n'
    )
    offline = {"GOPROXY": "off", "GOFLAGS": "-mod=mod", "GOMODCACHE": str(tmp_path / "modcache")}
    proc = svcgen("audit", mod, "--only", "CTX001,ERR001,LOG001", extra_env=offline)
    assert proc.returncode == 1
    assert "P0 CTX001 svc/svc.go:11:16" in proc.stdout
    notice = [line for line in proc.stderr.splitlines() if "skipped" in line]
    assert len(notice) == 1 and "ERR001" in notice[0] and "CTX001" not in notice[0]
    assert "example.invalid/dep" in notice[0]


def test_analyzers_are_built_once_into_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {"SVCGEN_CACHE_DIR": str(cache)}
    go_version = subprocess.run(
        ["go", "env", "GOVERSION"], capture_output=True, text=True, check=True
    ).stdout.strip()
    proc = svcgen("audit", FIXTURES / "CTX001" / "good", "--only", "CTX001", extra_env=env)
    assert proc.returncode == 0, proc.stderr
    (built,) = (cache / "audit").glob("*/svcgen-audit")
    assert built.parent.name.startswith(f"{__version__}-{go_version}-")
    stamp = built.stat().st_mtime_ns
    svcgen("audit", FIXTURES / "CTX001" / "good", "--only", "CTX001", extra_env=env)
    assert built.stat().st_mtime_ns == stamp


def test_result_cache_follows_the_sources(tmp_path: Path) -> None:
    mod = copy_fixture(tmp_path, "ERR001")
    env = {"SVCGEN_CACHE_DIR": str(tmp_path / "cache")}
    first = audit_json(mod, "--only", "ERR001", extra_env=env)[1]["items"][0]["findings"]
    assert len(first) == 2
    assert len(list((tmp_path / "cache" / "audit" / "results").glob("*.json"))) == 1
    again = audit_json(mod, "--only", "ERR001", extra_env=env)[1]["items"][0]["findings"]
    assert again == first
    src = mod / "repo" / "repo.go"
    src.write_text(src.read_text().replace("%s: %v", "%s: %w"))
    after = audit_json(mod, "--only", "ERR001", extra_env=env)[1]["items"][0]["findings"]
    assert [f["line"] for f in after] == [22]
    off = {**env, "SVCGEN_AUDIT_CACHE": "0"}
    assert audit_json(mod, "--only", "ERR001", extra_env=off)[1]["items"][0]["findings"] == after


def test_the_wheel_ships_the_analyzers_and_audits_from_them(tmp_path: Path) -> None:
    tree = tmp_path / "src"
    tree.mkdir()
    for name in ("pyproject.toml", "hatch_build.py", "README.md", "cli", "templates"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, tree / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index",
         "-q", "-w", str(tmp_path / "dist"), str(tree)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("svcgen-*.whl")
    install = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(install)
    for f in ("go.mod", "go.sum", "main.go", "driver.go", "checks_core.go"):
        assert f"svcgen/audit/analyzers/{f}" in names
    proc = subprocess.run(
        [sys.executable, "-m", "svcgen", "audit", str(FIXTURES / "GO001" / "bad"), "--only",
         "GO001", "--json"],
        env={**os.environ, "PYTHONPATH": str(install), "SVCGEN_CACHE_DIR": str(tmp_path / "c")},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    findings = json.loads(proc.stdout)["items"][0]["findings"]
    assert {(f["file"], f["line"]) for f in findings} == markers(
        FIXTURES / "GO001" / "bad", "GO001"
    )


def test_config_glob_selects_the_production_configs() -> None:
    bad = FIXTURES / "RL001" / "bad"
    rc, doc, _ = audit_json(bad, "--only", "RL001", "--config", "configs/config-production.yaml")
    assert rc == 1
    assert [(f["file"], f["line"]) for f in doc["items"][0]["findings"]] == [
        ("configs/config-production.yaml", 3)
    ]
    rc, doc, _ = audit_json(bad, "--only", "RL001", "--config", "deploy/*.yaml")
    assert rc == 0 and doc["items"][0]["findings"] == []
