"""Kubernetes manifests of the rendered service, checked structurally and against its config."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from ops_helpers import ALL_FEATURES, FEATURE_SETS, feature_id, run_tool

Render = Callable[..., Path]


def _duration_seconds(text: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text.strip())
    assert m, f"not a duration: {text!r}"
    return float(m.group(1)) * units[m.group(2)]


def _manifests(project: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in sorted((project / "deploy/k8s").glob("*.yaml")):
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        assert len(docs) == 1, f"{path.name}: one object per file"
        out[docs[0]["kind"]] = docs[0]
    return out


def _scalars(node: Any) -> str:
    """Every scalar value of a parsed YAML document (comments are gone), newline-joined."""
    if isinstance(node, dict):
        return "\n".join(_scalars(v) for v in node.values())
    if isinstance(node, list):
        return "\n".join(_scalars(v) for v in node)
    return "" if node is None else str(node)


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    c = containers[0]
    assert isinstance(c, dict)
    return c


@pytest.mark.parametrize("features", FEATURE_SETS, ids=feature_id)
def test_manifests_parse_and_link_up(ops_render: Render, features: tuple[str, ...]) -> None:
    project = ops_render(features=features)
    m = _manifests(project)
    assert set(m) == {"Deployment", "Service", "PodDisruptionBudget", "Kustomization"}
    kustomization = m["Kustomization"]
    for resource in kustomization["resources"]:
        assert (project / "deploy/k8s" / resource).is_file(), resource
    listed = {p.name for p in (project / "deploy/k8s").glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == listed, "every manifest is applied by kustomize"

    dep, svc, pdb = m["Deployment"], m["Service"], m["PodDisruptionBudget"]
    pod_labels = dep["spec"]["template"]["metadata"]["labels"]
    assert dep["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert svc["spec"]["selector"].items() <= pod_labels.items()
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert pdb["spec"]["minAvailable"] < dep["spec"]["replicas"], "a drain can evict one pod"
    for obj in (dep, svc, pdb):
        assert obj["metadata"]["name"] == "demo"


@pytest.mark.parametrize("features", FEATURE_SETS, ids=feature_id)
def test_manifests_decode_strictly(
    ops_render: Render, k8scheck: str, features: tuple[str, ...]
) -> None:
    """Every field exists in the Kubernetes API types (case-sensitive), quantities parse."""
    project = ops_render(features=features)
    manifests = sorted(
        str(p) for p in (project / "deploy/k8s").glob("*.yaml") if p.name != "kustomization.yaml"
    )
    res = run_tool([k8scheck, *manifests])
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("readOnlyRootFilesystem", "readOnlyRootFileSystem"),  # wrong case: ignored by json
        ("memory: 512Mi", "memory: 512MB"),
        ("containerPort:", "port:"),
    ],
)
def test_strict_check_rejects_broken_manifests(
    ops_render: Render, k8scheck: str, tmp_path: Path, old: str, new: str
) -> None:
    text = (ops_render(features=ALL_FEATURES) / "deploy/k8s/deployment.yaml").read_text()
    assert old in text
    broken = tmp_path / "deployment.yaml"
    broken.write_text(text.replace(old, new, 1))
    res = run_tool([k8scheck, str(broken)])
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Deployment" in res.stdout


@pytest.mark.parametrize("http_port", [8000, 9090])
def test_probes_and_ports_follow_http_port(ops_render: Render, http_port: int) -> None:
    project = ops_render(http_port=http_port, features=ALL_FEATURES)
    m = _manifests(project)
    c = _container(m["Deployment"])
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    admin_port = 9091 if http_port == 9090 else 9090
    assert ports == {"http": http_port, "admin": admin_port}
    config = yaml.safe_load((project / "configs/config-production.yaml").read_text())
    assert config["server"]["http"]["addr"].rsplit(":", 1)[1] == str(http_port)

    # Probes and the scrape follow the admin listener (issue 12), not the public port.
    assert config["server"]["admin"]["addr"] == f"0.0.0.0:{admin_port}"
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "admin"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "admin"}
    assert c["startupProbe"]["httpGet"]["path"] == "/healthz", "start-up never waits on downstreams"
    svc_port = m["Service"]["spec"]["ports"][0]
    assert svc_port["targetPort"] == "http" and svc_port["port"] == http_port
    annotations = m["Deployment"]["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(admin_port)
    assert annotations["prometheus.io/path"] == "/metrics"


def test_pod_is_locked_down(ops_render: Render) -> None:
    dep = _manifests(ops_render(features=ALL_FEATURES))["Deployment"]
    pod = dep["spec"]["template"]["spec"]
    c = _container(dep)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    sc = c["securityContext"]
    assert sc["runAsNonRoot"] is True
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert "add" not in sc["capabilities"]
    assert sc.get("privileged", False) is False
    resources = c["resources"]
    for kind in ("requests", "limits"):
        assert set(resources[kind]) == {"cpu", "memory"}, kind
    # Writable scratch space is an explicit, bounded emptyDir.
    mounts = {v["mountPath"]: v["name"] for v in c["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes[mounts["/tmp"]]["emptyDir"]["sizeLimit"]


def test_grace_period_outlasts_shutdown_timeout(ops_render: Render) -> None:
    project = ops_render(features=ALL_FEATURES)
    dep = _manifests(project)["Deployment"]
    config = yaml.safe_load((project / "configs/config-production.yaml").read_text())
    shutdown = _duration_seconds(config["server"]["http"]["shutdown_timeout"])
    assert dep["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > shutdown


@pytest.mark.parametrize("features", FEATURE_SETS, ids=feature_id)
def test_config_and_secrets_are_wired(ops_render: Render, features: tuple[str, ...]) -> None:
    """The ConfigMap mount matches -conf, and every ${VAR} in the production config is set."""
    project = ops_render(features=features)
    dep = _manifests(project)["Deployment"]
    pod = dep["spec"]["template"]["spec"]
    c = _container(dep)
    args = c["args"]
    conf = Path(args[args.index("-conf") + 1])
    mounts = {v["name"]: v for v in c["volumeMounts"]}
    volume = next(v for v in pod["volumes"] if "configMap" in v)
    mount = mounts[volume["name"]]
    assert mount["readOnly"] is True
    assert conf.parent == Path(mount["mountPath"])
    assert [i["path"] for i in volume["configMap"]["items"]] == [conf.name]
    assert volume["configMap"]["name"] == "demo-config"

    env = {e["name"]: e for e in c.get("env", [])}
    config = yaml.safe_load((project / "configs/config-production.yaml").read_text())
    placeholders = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", _scalars(config)))
    assert placeholders <= set(env), f"unset in the Deployment: {placeholders - set(env)}"
    if "auth" in features:
        ref = env["JWT_SECRET"]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": "demo-secrets", "key": "jwt-secret"}
        # The tokens' issuer and audience are required in production and not secret:
        # they come from the config's ConfigMap, whose creation command sets them.
        auth = config["middleware"]["auth"]
        assert (auth["issuer"], auth["audience"]) == ("${JWT_ISSUER}", "${JWT_AUDIENCE}")
        for var, key in (("JWT_ISSUER", "jwt-issuer"), ("JWT_AUDIENCE", "jwt-audience")):
            cm = env[var]["valueFrom"]["configMapKeyRef"]
            assert cm == {"name": volume["configMap"]["name"], "key": key}, var
            assert f"--from-literal={key}=" in (project / "deploy/README.md").read_text(), key
    else:
        assert "JWT_SECRET" not in env
        assert "JWT_ISSUER" not in env and "JWT_AUDIENCE" not in env
        if "postgres" not in features:
            assert "secret" not in (project / "deploy/k8s/deployment.yaml").read_text().lower()
    if "postgres" in features:
        # The DSN holds the database password: a Secret, like the JWT secret.
        assert config["data"]["postgres"]["dsn"] == "${DATABASE_URL}"
        ref = env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": "demo-secrets", "key": "database-url"}
        assert "--from-literal=database-url=" in (project / "deploy/README.md").read_text()
    else:
        assert "DATABASE_URL" not in env
    for var in env.values():
        assert "value" not in var or "SECRET" not in var["name"], "secrets never inline"


def test_pod_matches_the_dockerfile(ops_render: Render) -> None:
    """runAsUser is the image's non-root USER, and args keep the image's ENTRYPOINT."""
    project = ops_render(features=ALL_FEATURES)
    dockerfile = (project / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.M)
    assert users, "Dockerfile sets a USER"
    dep = _manifests(project)["Deployment"]
    uid = dep["spec"]["template"]["spec"]["securityContext"]["runAsUser"]
    assert users[-1].split(":")[0] in {str(uid), "nonroot"}
    entrypoint = re.findall(r"^ENTRYPOINT\s+(.+)$", dockerfile, flags=re.M)
    assert entrypoint and "/demo" in entrypoint[-1], "the image's entrypoint is the service binary"
    c = _container(dep)
    assert "command" not in c, "the Deployment overrides CMD (args), never the ENTRYPOINT"
    exposed = re.findall(r"^EXPOSE\s+(.+)$", dockerfile, flags=re.M)
    assert [int(p) for p in exposed[-1].split()] == [p["containerPort"] for p in c["ports"]]
