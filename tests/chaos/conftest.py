"""The fault trials' own stack: a RabbitMQ node of the suite's own (own node name, ports and
directories, stopped and started by the trials), the platform's databases on the machine's
PostgreSQL (created for the run, their connections terminated by the trials, dropped after),
two replicas of identity and of the feed, and the gateway.

Run by ``make chaos`` with this directory as the conftest boundary: real threads drive the
load (the repository's root conftest patches the standard library with eventlet).
Each trial records its figures in ``figures``; the run writes them to
``bench/results/chaos-<timestamp>.json``.
"""

from __future__ import annotations

import datetime
import json
import os
import uuid

import pytest

from devstack import infra
from devstack.client import Api
from devstack.stack import ROOT, Stack
from tests.chaos import rabbitmq
from tests.chaos.helpers import Databases

REPLICATED = ("identity", "feed")


@pytest.fixture(scope="session")
def figures():
    collected: dict = {"started_at": _now(), "load_average_at_start": list(os.getloadavg()), "trials": {}}
    yield collected["trials"]
    collected["finished_at"] = _now()
    collected["machine"] = {"cores": os.cpu_count(), "load_average_at_end": list(os.getloadavg())}
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"chaos-{datetime.datetime.now(datetime.UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(collected, indent=2, sort_keys=True) + "\n")
    print(f"\nchaos figures: {path}\n{json.dumps(collected['trials'], indent=2, sort_keys=True)}")


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("chaos")


@pytest.fixture(scope="session")
def broker_node(workdir):
    if not rabbitmq.available():
        pytest.fail("the chaos suite starts RabbitMQ nodes of its own: apt-get install rabbitmq-server")
    node = rabbitmq.Node(workdir / "rabbit", f"chaos-{uuid.uuid4().hex[:6]}", rabbitmq.new_cookie())
    node.start()
    try:
        node.wait()
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session")
def postgres():
    server = infra.find_postgres()
    if server is None:
        pytest.fail("PostgreSQL is needed: set TEST_DATABASE_URL or install postgresql")
    return server


@pytest.fixture(scope="session")
def databases(postgres):
    run = uuid.uuid4().hex[:8]
    names = {service: f"chaos_{service}_{run}" for service in infra.SERVICES}
    for name in names.values():
        postgres.create(name)
    yield Databases(postgres, names)
    for name in names.values():
        postgres.drop(name)


@pytest.fixture(scope="session")
def stack(broker_node, databases, workdir):
    port = rabbitmq.free_port()
    settings = {
        f"{service.upper()}_DATABASE_URL": databases.postgres.url(name) for service, name in databases.names.items()
    }
    settings.update(
        AMQP_URI=broker_node.uri,
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        GATEWAY_WORKERS="2",
        GATEWAY_THREADS="8",
        EVENT_RETRY_DELAY_MS="200",
        OUTBOX_POLL_INTERVAL="0.3",
        MAX_WORKERS="8",
        REGISTRATIONS_PER_IP="100000",
        LOGIN_MAX_FAILURES_PER_IP="100000",
        LOGIN_MAX_FAILURES_PER_ACCOUNT="100000",
        UPLOAD_DIR=str(workdir / "uploads"),
        STARTUP_WAIT_SECONDS="300",
        # The trials write fast through a few new accounts; the spam defences have tests of their own.
        SPAM_DEFENCES="off",
    )
    stack = Stack(settings, port, workdir / "logs")
    try:
        stack.start_all()
        for service in REPLICATED:
            stack.start_service(service, replica=2)
        yield stack
    finally:
        stack.stop_all()


@pytest.fixture(scope="session")
def world(stack):
    """Members, a subwiki and posts to write to, made through the API."""
    api = Api(stack.gateway_url)
    owner, owner_token = api.register("owner", attempts=20)
    slug = f"chaos_{uuid.uuid4().hex[:8]}"
    api.ok(api.post("/api/v1/subwikis", token=owner_token, json={"slug": slug, "name": "Chaos"}))
    authors = [api.register(f"author{n}", attempts=20) for n in range(5)]
    members = [api.register(f"member{n}", attempts=20) for n in range(40)]
    for _, token in [*authors, *members]:
        api.ok(api.put(f"/api/v1/subwikis/{slug}/membership", token=token))
    posts = []
    for n, (_, token) in enumerate(authors):
        response = api.post(
            f"/api/v1/subwikis/{slug}/posts", token=token, json={"kind": "text", "title": f"Post {n}", "body": "Body."}
        )
        posts.append(api.ok(response)["id"])
    return {"slug": slug, "owner": (owner, owner_token), "authors": authors, "members": members, "posts": posts}
