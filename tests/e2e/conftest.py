"""The whole platform started as in production (each service as ``python -m svclib.serve`` runs it, its
two ``nameko run`` processes, and gunicorn) on a fresh vhost and fresh PostgreSQL databases, driven only
through HTTP."""

from __future__ import annotations

import socket
import uuid

import pytest

from devstack.client import Api
from devstack.infra import SERVICES, wait_for
from devstack.otlp import Receiver
from devstack.stack import Stack


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def otlp():
    """An OTLP/HTTP receiver the suite's stack exports its traces to (tests/e2e/test_observability.py);
    it outlives every stack, which send their last spans as they stop."""
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def stack_factory(broker, postgres, tmp_path_factory, otlp):
    made: list[tuple[Stack, str, list[str]]] = []

    def make(**env: str) -> Stack:
        vhost = broker.create_vhost()
        run = uuid.uuid4().hex[:8]
        databases = [f"e2e_{service}_{run}" for service in SERVICES]
        settings = {
            f"{service.upper()}_DATABASE_URL": postgres.create(db)
            for service, db in zip(SERVICES, databases, strict=True)
        }
        port = free_port()
        settings.update(
            AMQP_URI=broker.uri(vhost),
            PUBLIC_URL=f"http://127.0.0.1:{port}",
            GATEWAY_WORKERS="2",
            GATEWAY_THREADS="4",
            EVENT_RETRY_DELAY_MS="200",
            OUTBOX_POLL_INTERVAL="0.5",
            REGISTRATIONS_PER_IP="1000",  # every account of the suite registers from this machine
            # Subwikis' summaries kept by the gateway far longer than a test waits: a change shows only if
            # communities' broadcast drops them (gateway.summaries).
            SUBWIKI_SUMMARY_SECONDS="300",
            # So are the tags of the feed's and posts' pages the gateway answers 304 without asking the feed or
            # content: a change shows to a client revalidating only if their broadcasts drop them (gateway.pagetags).
            FEED_PAGE_TAGS_SECONDS="300",
            POST_PAGE_TAGS_SECONDS="300",
            UPLOAD_DIR=str(tmp_path_factory.mktemp(f"uploads-{run}")),
            **env,
        )
        stack = Stack(settings, port, tmp_path_factory.mktemp(f"stack-{run}"))
        made.append((stack, vhost, databases))
        stack.start_all()
        return stack

    yield make
    for stack, vhost, databases in made:
        stack.stop_all()
        for database in databases:
            postgres.drop(database)
        broker.delete_vhost(vhost)


@pytest.fixture(scope="session")
def stack(stack_factory, otlp):
    # Traced, as production is when OTEL_EXPORTER_OTLP_ENDPOINT is set; spans leave in small batches.
    return stack_factory(OTEL_EXPORTER_OTLP_ENDPOINT=otlp.url, OTEL_BSP_SCHEDULE_DELAY="200")


@pytest.fixture
def api(stack):
    return Api(stack.gateway_url)


def eventually(check, timeout: float = 15.0):
    """Wait for an asynchronous effect (an event delivered), then return the check's value."""
    result = {}

    def probe():
        result["value"] = check()
        return bool(result["value"])

    assert wait_for(probe, timeout, interval=0.2), "the expected effect did not happen in time"
    return result["value"]


@pytest.fixture
def wait_until():
    return eventually
