"""PostgreSQL connections: what the services may open stays under the servers' limit, with room.

Each service replica holds up to ``DB_POOL_SIZE + DB_MAX_OVERFLOW`` pooled connections (shared by its
two processes, ``svclib.serve``), plus one listening connection where it keeps answers (identity's,
communities', content's and the feed's requests processes). On one machine (``make run``,
``make load``, the benches) the five services share one PostgreSQL; in compose and Kubernetes each
service has a server of its own, so there the bound is per service at its most replicas.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from svclib.db.engine import DEFAULT_MAX_OVERFLOW, DEFAULT_POOL_SIZE

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SERVICES = ("identity", "communities", "content", "feed", "donations")
# The kept answers' LISTEN connection (svclib.kept), in each requests process that keeps answers.
LISTENING = {"identity": 1, "communities": 1, "feed": 1, "content": 1}
MAX_CONNECTIONS = 100  # PostgreSQL's default max_connections
ROOM = 12  # left for operators, psql, backups, migrations and the topology job (88 of 100 taken)


def per_replica(service: str, settings: dict[str, str]) -> int:
    pool = int(settings.get("DB_POOL_SIZE", DEFAULT_POOL_SIZE))
    overflow = int(settings.get("DB_MAX_OVERFLOW", DEFAULT_MAX_OVERFLOW))
    return pool + overflow + LISTENING.get(service, 0)


def test_every_service_at_two_replicas_fits_one_server_with_room():
    """make run and make load put every database on one server: two replicas of each must fit."""
    total = sum(2 * per_replica(service, {}) for service in SERVICES)
    assert total <= MAX_CONNECTIONS - ROOM, f"two replicas of every service may open {total} connections"


def k8s_objects() -> list[dict]:
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        found += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return found


def test_each_service_at_its_most_replicas_fits_its_own_server_with_room():
    """In Kubernetes each service scales on its own database server up to its autoscaler's maximum."""
    objects = k8s_objects()
    config = next(o for o in objects if o["kind"] == "ConfigMap")["data"]
    autoscalers = {o["spec"]["scaleTargetRef"]["name"]: o for o in objects if o["kind"] == "HorizontalPodAutoscaler"}
    for service in SERVICES:
        deployment = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == service)
        containers = deployment["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e["value"] for c in containers for e in c.get("env", []) if "value" in e}
        most = autoscalers[service]["spec"]["maxReplicas"]
        total = most * per_replica(service, {**config, **env})
        assert total <= MAX_CONNECTIONS - 10, f"{service}: {most} replicas may open {total} connections"
