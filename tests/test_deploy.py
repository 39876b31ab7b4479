"""deploy/: the balancer configurations load, and the manifests hold what the README says they do."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import ROOT

DEPLOY = ROOT / "deploy"


def _manifests() -> dict[str, dict[str, Any]]:
    docs = yaml.safe_load_all((DEPLOY / "kubernetes" / "simulator.yaml").read_text())
    return {doc["kind"]: doc for doc in docs}


def test_the_deployment_probes_health_and_names_each_replica() -> None:
    container = _manifests()["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/_sim/health"
    assert container["livenessProbe"]["httpGet"]["path"] == "/_sim/health"
    env = {item["name"]: item for item in container["env"]}
    assert env["SIM_REPLICA_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert "secretKeyRef" in env["SIM_ADMIN_TOKEN"]["valueFrom"]


def test_the_ingress_hashes_on_the_namespace_the_controller_map_defines() -> None:
    manifests = _manifests()
    annotations = manifests["Ingress"]["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/upstream-hash-by"] == "$sim_namespace"
    backend = manifests["Ingress"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == manifests["Service"]["metadata"]["name"]
    controller = yaml.safe_load((DEPLOY / "kubernetes" / "ingress-nginx-map.yaml").read_text())
    snippet = controller["data"]["http-snippet"]
    assert " $sim_namespace {" in snippet
    # The controller's map is the one nginx.conf includes, so both route a namespace alike.
    shared = (DEPLOY / "sim-namespace.conf").read_text()
    assert [line.strip() for line in snippet.splitlines() if line.strip()] == \
        [line.strip() for line in shared.splitlines() if line.strip() and not line.startswith("#")]


def test_compose_runs_three_replicas_behind_nginx_with_one_admin_token() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert sorted(services) == ["balancer", "sim1", "sim2", "sim3"]
    assert set(services["balancer"]["depends_on"]) == {"sim1", "sim2", "sim3"}
    assert all("SIM_ADMIN_TOKEN" in services[name]["environment"] for name in ("sim1", "sim2", "sim3"))
    upstream = (DEPLOY / "nginx.conf").read_text()
    assert all(f"server {name}:8000" in upstream for name in ("sim1", "sim2", "sim3"))


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (apt-get install nginx)")
def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    # The compose host names resolve only inside compose: check the same file with loopback replicas.
    text = (DEPLOY / "nginx.conf").read_text()
    for n in (1, 2, 3):
        text = text.replace(f"sim{n}:8000", f"127.0.0.1:{18000 + n}")
    (tmp_path / "nginx.conf").write_text(text)
    shutil.copy(DEPLOY / "sim-namespace.conf", tmp_path)
    done = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                           "-g", f"pid {tmp_path}/nginx.pid; error_log stderr;"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and "test is successful" in done.stderr, done.stderr


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed (apt-get install haproxy)")
def test_haproxy_accepts_the_config() -> None:
    done = subprocess.run(["haproxy", "-c", "-f", str(DEPLOY / "haproxy.cfg")], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
