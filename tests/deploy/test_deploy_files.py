"""The deployment files describe the whole platform (no Docker engine here: they are parsed)."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "communities", "content", "feed", "donations")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_every_part_of_the_platform_is_there(compose):
    expected = {"rabbitmq", "gateway", "topology", *SERVICES, *(f"{s}-db" for s in SERVICES)}
    assert expected <= set(compose)


def test_every_long_running_container_has_a_healthcheck(compose):
    for name, spec in compose.items():
        if name != "topology":
            assert "healthcheck" in spec and spec["healthcheck"]["test"], name


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_waits_for_broker_its_database_and_the_queues(compose, service):
    depends = compose[service]["depends_on"]
    assert depends["rabbitmq"]["condition"] == "service_healthy"
    assert depends[f"{service}-db"]["condition"] == "service_healthy"
    assert depends["topology"]["condition"] == "service_completed_successfully"
    url = compose[service]["environment"][f"{service.upper()}_DATABASE_URL"]
    assert f"@{service}-db:5432/" in url


def test_no_two_services_share_a_database(compose):
    urls = [compose[s]["environment"][f"{s.upper()}_DATABASE_URL"] for s in SERVICES]
    assert len(set(urls)) == len(urls)
    for service in SERVICES:
        others = [k for k in compose[service]["environment"] if k.endswith("_DATABASE_URL")]
        assert others == [f"{service.upper()}_DATABASE_URL"]


def test_gateway_waits_for_every_service(compose):
    depends = compose["gateway"]["depends_on"]
    for service in SERVICES:
        assert depends[service]["condition"] == "service_healthy"


def test_image_is_multi_stage_and_not_root():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text().splitlines()
    assert sum(line.startswith("FROM ") for line in dockerfile) >= 2
    users = [line.split()[1] for line in dockerfile if line.startswith("USER ")]
    assert users and not users[-1].startswith(("0", "root"))


def test_kubernetes_has_a_deployment_per_component_and_the_topology_job():
    documents = []
    for path in sorted((ROOT / "deploy" / "k8s").glob("*.yaml")):
        documents += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    deployments = {doc["metadata"]["name"] for doc in documents if doc["kind"] == "Deployment"}
    assert deployments == {*SERVICES, "gateway"}
    assert any(doc["kind"] == "Job" and doc["metadata"]["name"] == "topology" for doc in documents)
    kinds = {doc["kind"] for doc in documents}
    assert {"HorizontalPodAutoscaler", "PodDisruptionBudget", "Service", "ConfigMap", "Secret"} <= kinds
    listed = yaml.safe_load((ROOT / "deploy" / "k8s" / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(
        p.name for p in (ROOT / "deploy" / "k8s").glob("*.yaml") if p.name != "kustomization.yaml"
    )
