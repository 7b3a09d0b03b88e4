"""bench/ must not rot: run every bench at its tiny ``--quick`` size into a
scratch directory and check that each one produced its figures, its plots and
its section of the report. Performance itself is not asserted here (that is
what docs/benchmarks.md is for); only that every bench still runs end to end.

Needs what the benches need: Go, git, redis-server, matplotlib (svcgen's
``bench`` extra) and vegeta on PATH or in $(go env GOPATH)/bin
(``go install github.com/tsenart/vegeta/v12@v12.13.0``). Nothing is
installed by the test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.append(str(BENCH))  # bench/ is not a package; its module names are unique

import bench_go  # noqa: E402  (bench/ is not a package)
import bench_jwt_keys  # noqa: E402
import bench_load  # noqa: E402

BENCHES = [
    "cli",
    "render",
    "patch_config",
    "fleet_update",
    "go_middleware",
    "jwt_keys",
    "load",
    "fail_closed",
    "audit",
    "postgres",
]
PLOTS = {
    "load": "load-latency.png",
    "patch_config": "patch-config-scaling.png",
    "fail_closed": "fail-closed-timeline.png",
}
# Figures each bench must report (by a fragment of their name).
REQUIRED = {
    "cli": ["`svcgen --help` wall time", "copier/jinja2/ruamel imported"],
    "render": ["`svcgen new x --defaults`"],
    "patch_config": ["svcgen patch-config"],
    "fleet_update": ["--jobs 1", "--jobs 2", "speed-up"],
    "go_middleware": ["`"],
    "jwt_keys": ["HS256", "RS256", "ES256", "EdDSA", "auth_valid_hs256"],
    "load": [
        "p50",
        "p99",
        "max latency",
        "error rate",
        "CPU",
        "RSS",
        "highest rate",
        "false 503s",
    ],
    "fail_closed": ["SERVICE_DEGRADED", "recovery", "panics", "go_goroutines", "lost"],
    "audit": ["audit one service", "-service fleet"],
    "postgres": ["`store.List`"],
}


def _vegeta() -> str | None:
    found = shutil.which("vegeta")
    if found:
        return found
    if shutil.which("go"):
        gopath = subprocess.run(
            ["go", "env", "GOPATH"], capture_output=True, text=True, check=False
        ).stdout.strip()
        candidate = Path(gopath.split(os.pathsep)[0]) / "bin" / "vegeta"
        if gopath and candidate.is_file():
            return str(candidate)
    return None


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    missing = [tool for tool in ("go", "git", "redis-server") if shutil.which(tool) is None]
    if _vegeta() is None:
        missing.append(
            "vegeta (go install github.com/tsenart/vegeta/v12@v12.13.0; "
            "found neither on PATH nor in $(go env GOPATH)/bin)"
        )
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        missing.append("matplotlib (pip install -e '.[bench]')")
    assert not missing, "the bench smoke test needs: " + "; ".join(missing)
    out = tmp_path_factory.mktemp("bench-out")
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    report = out / "benchmarks.json"
    assert report.exists(), f"bench/run.py wrote no report:\n{proc.stderr[-4000:]}"
    doc = json.loads(report.read_text())
    return {
        "out": out,
        "rc": proc.returncode,
        "stderr": proc.stderr,
        "results": {r["name"]: r for r in doc["results"]},
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", BENCHES)
def test_bench_produces_its_figures(quick_run: dict[str, Any], name: str) -> None:
    result = quick_run["results"].get(name)
    assert result is not None, f"bench {name} did not run"
    assert result["status"] == "ok", f"bench {name}: {result['status']}: {result['reason']}"
    names = [f["name"] for f in result["figures"]]
    for fragment in REQUIRED[name]:
        assert any(fragment in n for n in names), f"{name}: no figure like {fragment!r} in {names}"
    for f in result["figures"]:
        assert f["value"] == f["value"], f"{name}: {f['name']} is NaN"  # NaN != NaN
        if f["target"]:
            assert f["met"] in (True, False), f"{name}: {f['name']} has a target but no verdict"
    if name in PLOTS:
        png = quick_run["out"] / "img" / PLOTS[name]
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{png} is not a PNG"
        assert PLOTS[name] in result["plots"]


@pytest.mark.slow
def test_report_has_every_bench_and_a_reproduce_command(quick_run: dict[str, Any]) -> None:
    md = (quick_run["out"] / "benchmarks.md").read_text()
    for name in BENCHES:
        assert f"`--only {name}`" in md
    assert "make -C bench" in md
    assert "## Machine" in md and "nproc" in md
    assert quick_run["rc"] == 0, quick_run["stderr"][-3000:]


@pytest.mark.slow
def test_report_only_rewrites_the_same_report(quick_run: dict[str, Any]) -> None:
    md = quick_run["out"] / "benchmarks.md"
    before = md.read_text()
    md.unlink()
    subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--report-only", "--out", str(quick_run["out"])],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert md.read_text() == before


GO_OUTPUT = """\
goos: linux
pkg: example.com/x/internal/platform/middleware
BenchmarkBareHandler-2   \t 1000000\t      100.0 ns/op\t       0 B/op\t       0 allocs/op
BenchmarkBareHandler-2   \t 1000000\t      120.0 ns/op\t       0 B/op\t       0 allocs/op
BenchmarkChain-2         \t  100000\t     2100 ns/op\t     512 B/op\t       7 allocs/op
BenchmarkChain-2         \t  100000\t     2300 ns/op\t     512 B/op\t       7 allocs/op
pkg: example.com/x/internal/platform/auth
BenchmarkVerifyHS256-2   \t  200000\t     5000 ns/op\t    2048 B/op\t      30 allocs/op
PASS
"""


def test_go_bench_parser_takes_medians_and_pairs_baselines() -> None:
    benches = bench_go.parse(GO_OUTPUT)
    by_name = {b.name: b for b in benches}
    assert set(by_name) == {"BenchmarkBareHandler", "BenchmarkChain", "BenchmarkVerifyHS256"}
    assert by_name["BenchmarkChain"].ns_op == 2200
    assert by_name["BenchmarkChain"].allocs_op == 7
    assert by_name["BenchmarkChain"].samples == 2
    bare = by_name["BenchmarkBareHandler"]
    assert bench_go.baseline_for(by_name["BenchmarkChain"], benches) is bare
    # Not an HTTP handler and no baseline in its package: compared with nothing,
    # but still held to its absolute target.
    verify = by_name["BenchmarkVerifyHS256"]
    assert bench_go.baseline_for(verify, benches) is None
    assert bench_go.target_for(verify, None, None) == ("< 10 µs per verify (HS256)", True)
    target, met = bench_go.target_for(by_name["BenchmarkChain"], bare, None, benches)
    assert target.startswith("overhead < 30 µs/op") and met is True


def test_go_bench_bypass_path_is_compared_with_the_bare_handler_on_that_path() -> None:
    benches = bench_go.parse(
        "pkg: example.com/x/internal/platform/middleware\n"
        "BenchmarkRateLimit/bare-2 \t 1000\t 300 ns/op\t 2 B/op\t 1 allocs/op\n"
        "BenchmarkRateLimit/bare_healthz-2 \t 1000\t 400 ns/op\t 18 B/op\t 2 allocs/op\n"
        "BenchmarkRateLimit/exempt_path-2 \t 1000\t 450 ns/op\t 18 B/op\t 2 allocs/op\n"
    )
    exempt = benches[2]
    base = bench_go.baseline_for(exempt, benches)
    assert base is not None and base.name == "BenchmarkRateLimit/bare_healthz"
    target, met = bench_go.target_for(exempt, base, None)
    assert "0 allocs/op added" in target and met is True


def test_go_bench_chain_target_excludes_the_redis_round_trip() -> None:
    benches = bench_go.parse(
        "pkg: example.com/x/internal/server\n"
        "BenchmarkChain/bare-2 \t 1000\t 5000 ns/op\t 100 B/op\t 5 allocs/op\n"
        "BenchmarkChain/full-2 \t 1000\t 450000 ns/op\t 9 B/op\t 9 allocs/op\n"
        "BenchmarkChain/full_without_limiter-2 \t 1000\t 24000 ns/op\t 9 B/op\t 9 allocs/op\n"
    )
    bare, full, without = benches
    assert bench_go.target_for(full, bare, None, benches) == ("", None)
    target, met = bench_go.target_for(without, bare, None, benches)
    assert target.startswith("overhead < 30 µs/op") and met is True


def test_load_bench_tokens_are_hs256_jwts() -> None:
    import base64
    import hashlib
    import hmac

    token = bench_load.user_token(7)
    header, payload, sig = token.split(".")

    def unb64(s: str) -> bytes:
        return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

    assert json.loads(unb64(header)) == {"alg": "HS256", "typ": "JWT"}
    claims = json.loads(unb64(payload))
    assert claims["user_id"] == "user-00007" and isinstance(claims["exp"], int)
    expected = hmac.new(
        bench_load.JWT_SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256
    ).digest()
    assert unb64(sig) == expected


JWT_OUTPUT = """\
BenchmarkVerifyAlgorithms/legacy_hs256_baseline-2    2000    6000 ns/op    2184 B/op    36 allocs/op
BenchmarkVerifyAlgorithms/legacy_hs256_baseline-2    2000    8000 ns/op    2184 B/op    36 allocs/op
BenchmarkVerifyAlgorithms/HS256-2    2000    12000 ns/op    2272 B/op    40 allocs/op
BenchmarkVerifyAlgorithms/HS256-2    2000    7000 ns/op    2272 B/op    40 allocs/op
BenchmarkVerifyAlgorithms/HS256-2    2000    11000 ns/op    2272 B/op    40 allocs/op
BenchmarkAuth/bare-2    2000    10 ns/op    0 B/op    0 allocs/op
BenchmarkAuth/auth_valid_hs256-2  2000  9010 ns/op  7000 cpu-ns/op  2680 B/op  39 allocs/op
"""


def test_jwt_keys_verdicts_use_the_median_against_the_targets() -> None:
    runs = bench_jwt_keys.parse(JWT_OUTPUT)
    hs = runs["BenchmarkVerifyAlgorithms/HS256"]
    assert (hs.median, hs.best, hs.allocs_op) == (11000, 7000, 40)
    verdicts = bench_jwt_keys.verdicts(runs)
    assert "11,000 ns/op median (fastest run 7,000)" in verdicts[0]
    assert verdicts[0].endswith("**missed**.")
    assert "9,000 ns/op median" in verdicts[1] and verdicts[1].endswith("**met**.")
    mw = runs["BenchmarkAuth/auth_valid_hs256"]
    assert (mw.cpu, mw.bytes_op, mw.allocs_op) == ([7000], 2680, 39)
    assert [b.bytes_op for b in bench_go.parse(JWT_OUTPUT) if b.name.endswith("hs256")][-1] == 2680
    rows = bench_jwt_keys.table(runs)
    assert any(
        r.startswith("| `BenchmarkVerifyAlgorithms/HS256` | 11,000 | 7,000 | n/a |") for r in rows
    )
