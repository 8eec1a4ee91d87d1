"""The Kubernetes manifests against Kubernetes' own JSON schemas, offline.

The schemas come with the `kubernetes-validate` package (strict: an unknown or misspelt field
fails). KEDA's custom resources are not Kubernetes kinds: they are checked against the fields
of KEDA's CRDs kept in schemas/keda.json.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KEDA = K8S / "overlays" / "keda"
SERVICES = ("identity", "communities", "content", "feed", "donations")
COMPONENTS = (*SERVICES, "gateway")
# The oldest Kubernetes the files are meant for, and the newest the package knows.
VERSIONS = ("1.29.0", kubernetes_validate.latest_version())
KEDA_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "keda.json").read_text())


def documents(folder: Path) -> list[tuple[str, dict]]:
    found = []
    for path in sorted(folder.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") != "Kustomization":
                found.append((f"{path.relative_to(K8S)}:{doc['kind']}/{doc['metadata']['name']}", doc))
    return found


BASE = documents(K8S)
OVERLAY = documents(KEDA)


def by_kind(docs, kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for _, doc in docs if doc["kind"] == kind}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name,doc", BASE, ids=[name for name, _ in BASE])
def test_every_manifest_is_valid_for_kubernetes(name, doc, version):
    kubernetes_validate.validate(doc, version, strict=True)


def test_the_strict_schemas_catch_a_misspelt_field():
    """The check has teeth: a field Kubernetes does not know fails."""
    deployment = json.loads(json.dumps(by_kind(BASE, "Deployment")["feed"]))
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[-1], strict=True)
    hpa = json.loads(json.dumps(by_kind(BASE, "HorizontalPodAutoscaler")["feed"]))
    hpa["spec"]["minReplicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(hpa, VERSIONS[-1], strict=True)


@pytest.mark.parametrize("name,doc", OVERLAY, ids=[name for name, _ in OVERLAY])
def test_the_keda_overlay_matches_its_custom_resources(name, doc):
    schema = {**KEDA_SCHEMA, "$ref": f"#/$defs/{doc['kind']}"}
    jsonschema.validate(doc, schema)


@pytest.mark.parametrize("component", COMPONENTS)
def test_each_component_has_an_autoscaler_and_a_disruption_budget(component):
    deployment = by_kind(BASE, "Deployment")[component]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert "replicas" not in deployment["spec"], "the autoscaler owns the replica count"
    hpa = by_kind(BASE, "HorizontalPodAutoscaler")[component]
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": component}
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    pdb = by_kind(BASE, "PodDisruptionBudget")[component]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert pdb["spec"]["maxUnavailable"] == 1  # with two replicas at least, one always serves


def queues_of(service: str) -> list[str]:
    """The queues of a service's event handlers, as the topology job declares them."""
    from svclib.topology import event_handlers, service_classes

    handlers = event_handlers(service_classes([f"{service}.service"]), {"AMQP_URI": "amqp://unused@localhost/"})
    return [handler.queue.name for handler in handlers]


def test_keda_scales_each_service_on_its_own_queues():
    kustomization = yaml.safe_load((KEDA / "kustomization.yaml").read_text())
    assert kustomization["resources"][0] == "../.."
    for resource in kustomization["resources"][1:]:
        assert (KEDA / resource).is_file()
    deleted = {patch["target"]["name"] for patch in kustomization["patches"] if "$patch: delete" in patch["patch"]}
    assert deleted == set(SERVICES), "KEDA's autoscaler replaces each service's CPU one"
    scaled = by_kind(OVERLAY, "ScaledObject")
    assert set(scaled) == set(SERVICES)
    every_queue = {service: queues_of(service) for service in SERVICES}
    secret = yaml.safe_load((K8S / "secret.template.yaml").read_text())["stringData"]
    for ref in by_kind(OVERLAY, "TriggerAuthentication")["rabbitmq-management"]["spec"]["secretTargetRef"]:
        assert ref["name"] == "wikisocial-secrets" and ref["key"] in secret
    for service, scaled_object in scaled.items():
        spec = scaled_object["spec"]
        assert spec["scaleTargetRef"]["name"] == service
        assert spec["minReplicaCount"] >= 2
        triggers = {trigger["name"]: trigger for trigger in spec["triggers"]}
        rpc = triggers["rpc-backlog"]["metadata"]
        assert (rpc["queueName"], rpc["mode"]) == (f"rpc-{service}", "QueueLength")
        events = triggers["event-backlog"]["metadata"]
        assert events["useRegex"] == "true" and events["operation"] == "sum"
        pattern = re.compile(events["queueName"])
        for owner, queues in every_queue.items():
            for queue in queues:
                assert bool(pattern.search(queue)) == (owner == service), (service, queue)
        assert every_queue[service] or service == "gateway"


def test_the_topology_job_declares_every_event_queue_as_a_quorum_queue_with_a_delivery_limit():
    from svclib.topology import event_handlers, service_classes

    modules = [f"{service}.service" for service in SERVICES]
    handlers = list(event_handlers(service_classes(modules), {"AMQP_URI": "amqp://unused@localhost/"}))
    assert handlers
    for handler in handlers:
        arguments = handler.queue.queue_arguments
        assert arguments["x-queue-type"] == "quorum", handler.queue.name
        assert arguments["x-delivery-limit"] > 0
        assert arguments["x-dead-letter-routing-key"] == f"{handler.queue.name}.dead"
