"""No deploy file holds a secret or turns on development mode, and metrics are scraped from their
own port: compose takes every secret from the environment, Kubernetes from its Secret."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SECRET_NAME = re.compile(r"(PASSWORD|PASS|SECRET|TOKEN|_KEY|DATABASE_URL|AMQP_URI)$")
# ${VAR}, ${VAR:?message} or ${VAR:-} : the value comes from the environment, no default of substance.
FROM_ENVIRONMENT = re.compile(r"\$\{(\w+)(:?\?[^}]*|:-)?\}")


def secret_part(value: str) -> str:
    """The password of a URL with credentials (``${...}`` kept whole), else the value itself."""
    if "://" not in value or "@" not in value.split("://", 1)[1]:
        return value
    userinfo, depth = value.split("://", 1)[1].rsplit("@", 1)[0], 0
    for index, char in enumerate(userinfo):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == ":" and depth == 0:
            return userinfo[index + 1 :]
    return ""


def compose_environments() -> list[tuple[str, str, str]]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    found = []
    for name, spec in compose["services"].items():
        env = spec.get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) for item in env)
        found += [(name, key, str(value)) for key, value in env.items()]
    return found


def test_compose_takes_every_secret_from_the_environment():
    checked = 0
    for container, key, value in compose_environments():
        if SECRET_NAME.search(key):
            assert FROM_ENVIRONMENT.fullmatch(secret_part(value)), (container, key, value)
            checked += 1
        assert key != "WIKISOCIAL_DEV_MODE" or FROM_ENVIRONMENT.fullmatch(value), (container, key, value)
    assert checked >= 12


def k8s_documents() -> list[dict]:
    return [doc for path in sorted(K8S.glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text()) if doc]


def containers_of(doc: dict) -> list[dict]:
    spec = doc.get("spec", {})
    pod = spec.get("template", {}).get("spec", {}) if "template" in spec else {}
    return pod.get("containers", []) + pod.get("initContainers", [])


def test_kubernetes_takes_every_secret_from_its_secret():
    checked = 0
    for doc in k8s_documents():
        if doc["kind"] == "ConfigMap":
            assert not [key for key in doc["data"] if SECRET_NAME.search(key)], doc["metadata"]["name"]
            assert str(doc["data"].get("WIKISOCIAL_DEV_MODE", "")) in ("", "0")
        if doc["kind"] == "Secret":
            for key, value in doc["stringData"].items():
                assert "CHANGE_ME" in value, key  # the template holds placeholders only
        for box in containers_of(doc):
            for item in box.get("env", []):
                assert item["name"] != "WIKISOCIAL_DEV_MODE", doc["metadata"]["name"]
                if SECRET_NAME.search(item["name"]):
                    assert "value" not in item and item["valueFrom"]["secretKeyRef"]["name"] == "wikisocial-secrets"
                    checked += 1
    assert checked >= 8


def test_donations_run_a_real_provider_with_its_secrets_in_kubernetes():
    donations = next(d for d in k8s_documents() if d["kind"] == "Deployment" and d["metadata"]["name"] == "donations")
    env = {item["name"]: item for item in containers_of(donations)[0]["env"]}
    assert env["DONATIONS_PROVIDER"]["value"] == "stripe"
    for key in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
        assert env[key]["valueFrom"]["secretKeyRef"]["key"] == key


def test_no_deploy_file_turns_on_development_mode():
    for path in [ROOT / "docker-compose.yml", *K8S.glob("*.yaml"), ROOT / "deploy" / "Dockerfile"]:
        for line in path.read_text().splitlines():
            if "WIKISOCIAL_DEV_MODE" in line and not line.lstrip().startswith("#"):
                assert re.search(r"WIKISOCIAL_DEV_MODE:\s*\$\{WIKISOCIAL_DEV_MODE:-\}", line), (path.name, line)


@pytest.fixture(scope="module")
def gateway_pod() -> dict:
    return next(d for d in k8s_documents() if d["kind"] == "Deployment" and d["metadata"]["name"] == "gateway")


def test_prometheus_scrapes_the_metrics_port_not_the_public_one(gateway_pod):
    annotations = gateway_pod["spec"]["template"]["metadata"]["annotations"]
    main = gateway_pod["spec"]["template"]["spec"]["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in main["ports"]}
    env = {item["name"]: item.get("value") for item in main["env"]}
    assert annotations["prometheus.io/port"] == str(ports["metrics"]) == env["GATEWAY_METRICS_PORT"]
    assert ports["metrics"] != ports["http"]
    service = next(d for d in k8s_documents() if d["kind"] == "Service" and d["metadata"]["name"] == "gateway")
    assert all(port.get("targetPort") in ("http", ports["http"]) for port in service["spec"]["ports"])
    gunicorn = (ROOT / "gateway" / "gunicorn.conf.py").read_text()
    assert f'"GATEWAY_METRICS_PORT", "{ports["metrics"]}"' in gunicorn
