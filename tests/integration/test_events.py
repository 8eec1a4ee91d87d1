"""Event delivery guarantees of the shared plumbing, on the real broker and PostgreSQL."""

import json
import threading
import uuid
from types import SimpleNamespace

import kombu
import pytest
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.exc import OperationalError

from devstack.infra import wait_for
from devstack.network import SilentNetwork
from svclib import dlq, events
from svclib.db import Database, plumbing_tables
from svclib.events import event_handler
from svclib.rpc import rpc

metadata = MetaData()
plumbing_tables(metadata)
applied = Table("applied", metadata, Column("id", Integer, primary_key=True), Column("event_id", String(36)))


class Counter:
    name = "counter"
    db = Database(metadata, None)

    @event_handler("source", "thing_happened")
    def handle_thing_happened(self, payload):
        with self.db.transaction() as tx:
            if tx.once(payload["event_id"], "handle_thing_happened"):
                tx.session.execute(applied.insert().values(event_id=payload["event_id"]))

    @rpc
    def count(self, event_id):
        with self.db.transaction() as tx:
            return tx.session.scalar(select(func.count()).select_from(applied).where(applied.c.event_id == event_id))


class Failing:
    name = "failing"
    attempts: list = []

    @event_handler("source", "thing_happened")
    def handle(self, payload):
        Failing.attempts.append(payload["event_id"])
        raise ValueError("this event cannot be applied yet")


class Repaired:
    name = "failing"
    applied: list = []

    @event_handler("source", "thing_happened")
    def handle(self, payload):
        Repaired.applied.append(payload["event_id"])


@pytest.fixture
def fresh_database(postgres):
    name = f"t_events_{uuid.uuid4().hex[:10]}"
    url = postgres.create(name)
    yield url
    postgres.drop(name)


def event(event_id=None):
    return {"event_id": event_id or str(uuid.uuid4()), "occurred_at": "2026-11-25T00:00:00Z", "thing": {"n": 1}}


def test_the_same_event_delivered_twice_is_applied_once(container_factory, rabbit_config, fresh_database):
    container = container_factory(Counter, {**rabbit_config, "DATABASE_URL": fresh_database})
    container.start()
    dispatch = event_dispatcher(rabbit_config)
    payload = event()
    for _ in range(2):
        with entrypoint_waiter(container, "handle_thing_happened", timeout=10):
            dispatch("source", "thing_happened", payload)
    with entrypoint_waiter(container, "handle_thing_happened", timeout=10):
        dispatch("source", "thing_happened", event())
    with entrypoint_hook(container, "count") as count:
        assert count(payload["event_id"]) == 1


def test_a_failing_event_is_retried_then_parked_then_replayed(container_factory, rabbit_config, amqp_uri):
    Failing.attempts = []
    config = {**rabbit_config, "EVENT_MAX_RETRIES": 2, "EVENT_RETRY_DELAY_MS": 50}
    container = container_factory(Failing, config)
    container.start()
    payload = event()
    queue = "evt-source-thing_happened--failing.handle"

    dispatch = event_dispatcher(rabbit_config)
    for _ in range(3):  # the first delivery and two retries
        with entrypoint_waiter(container, "handle", timeout=10):
            if not Failing.attempts:
                dispatch("source", "thing_happened", payload)

    parked = _wait_for_parked(queue, amqp_uri)
    assert Failing.attempts == [payload["event_id"]] * 3
    assert parked[0]["body"] == payload
    assert parked[0]["headers"]["x-attempts"] == 3
    assert "ValueError" in parked[0]["headers"]["x-error"]
    container.stop()

    Repaired.applied = []
    repaired = container_factory(Repaired, config)
    repaired.start()
    with entrypoint_waiter(repaired, "handle", timeout=10):
        assert dlq.replay(queue, amqp_uri) == 1
    assert Repaired.applied == [payload["event_id"]]
    assert dlq.peek(queue, amqp_uri) == []


def _wait_for_parked(queue, amqp_uri):
    found = {}

    def parked():
        found["messages"] = dlq.peek(queue, amqp_uri)
        return bool(found["messages"])

    assert wait_for(parked, 10)
    return found["messages"]


class Flaky:
    """Fails as a database that went away does, a given number of times, then applies the event."""

    name = "flaky"
    failures_left = 0
    attempts: list = []

    @event_handler("source", "thing_happened")
    def handle(self, payload):
        Flaky.attempts.append(payload["event_id"])
        if Flaky.failures_left > 0:
            Flaky.failures_left -= 1
            raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection unexpectedly"))


class Strict:
    name = "strict"
    attempts: list = []

    @event_handler("source", "thing_happened")
    def handle(self, payload):
        Strict.attempts.append(payload.get("event_id"))
        return payload["missing"]["id"]


def test_a_transient_failure_is_retried_past_the_retry_count_until_it_passes(container_factory, rabbit_config):
    Flaky.attempts, Flaky.failures_left = [], 4
    config = {**rabbit_config, "EVENT_MAX_RETRIES": 1, "EVENT_RETRY_DELAY_MS": 20, "EVENT_RETRY_MAX_DELAY_MS": 100}
    container = container_factory(Flaky, config)
    container.start()
    payload = event()
    event_dispatcher(rabbit_config)("source", "thing_happened", payload)
    assert wait_for(lambda: len(Flaky.attempts) == 5, 20)
    assert dlq.peek("evt-source-thing_happened--flaky.handle", rabbit_config["AMQP_URI"]) == []
    handler = next(e for e in container.entrypoints if e.method_name == "handle")
    assert handler.parked == 0


def test_an_event_that_can_never_apply_is_parked_at_once(container_factory, rabbit_config, amqp_uri):
    Strict.attempts = []
    container = container_factory(Strict, {**rabbit_config, "EVENT_MAX_RETRIES": 3, "EVENT_RETRY_DELAY_MS": 20})
    container.start()
    payload = event()
    event_dispatcher(rabbit_config)("source", "thing_happened", payload)
    parked = _wait_for_parked("evt-source-thing_happened--strict.handle", amqp_uri)
    assert Strict.attempts == [payload["event_id"]]
    assert "KeyError" in parked[0]["headers"]["x-error"]


def test_undecodable_events_are_parked_not_dropped(container_factory, rabbit_config, amqp_uri):
    Strict.attempts = []
    container = container_factory(Strict, rabbit_config)
    container.start()
    queue = "evt-source-thing_happened--strict.handle"
    with kombu.Connection(amqp_uri) as connection:
        producer = kombu.Producer(connection)
        for body, content_type in ((b"{not json", "application/json"), (b"hello", "text/plain"), (b"[1]", None)):
            producer.publish(body, exchange="", routing_key=queue, content_type=content_type, content_encoding="utf-8")
    found = {}

    def all_parked():
        found["messages"] = dlq.peek(queue, amqp_uri)
        return len(found["messages"]) == 3

    assert wait_for(all_parked, 10)
    assert sorted(str(m["body"]) for m in found["messages"]) == ["[1]", "hello", "{not json"]
    assert Strict.attempts == []


def test_dlq_show_reads_messages_rabbitmq_dead_lettered(amqp_uri, capsys):
    queue = f"q-{uuid.uuid4().hex[:8]}"
    with kombu.Connection(amqp_uri) as connection:
        channel = connection.default_channel
        kombu.Queue(f"{queue}.dead", durable=True)(channel).declare()
        expiring = kombu.Queue(
            f"{queue}.expiring",
            durable=True,
            queue_arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": f"{queue}.dead"},
        )(channel)
        expiring.declare()
        kombu.Producer(connection).publish(
            {"event_id": "e1"}, exchange="", routing_key=expiring.name, serializer="json", expiration=0.01
        )
    assert wait_for(lambda: dlq.peek(queue, amqp_uri), 10)
    assert dlq.main(["--amqp-uri", amqp_uri, "show", queue]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown[0]["body"] == {"event_id": "e1"}
    assert shown[0]["headers"]["x-death"][0]["reason"] == "expired"


def test_a_copy_set_aside_gives_up_on_a_connection_gone_silent_and_goes_on_another(amqp_uri, monkeypatch):
    """A failed event's copy for its retry queue is written on a connection of its own; when that connection
    goes silent before the broker confirms the copy, the handler gives up on it and sends the copy again on a
    new one, instead of holding its worker until the process ends."""
    monkeypatch.setattr(events, "SET_ASIDE_TIMEOUT", 1.0)
    marker = f"copy-{uuid.uuid4().hex}".encode()
    network = SilentNetwork(amqp_uri, silence_after=marker)
    target = kombu.Queue(f"set-aside-{uuid.uuid4().hex}", exchange="", routing_key="", auto_delete=False)
    handler = events.ReliableEventHandler.__new__(events.ReliableEventHandler)
    handler.amqp_uri = network.uri
    handler.queue = SimpleNamespace(name="the-handlers-queue")
    acked, requeued = [], []
    handler.queue_consumer = SimpleNamespace(ack_message=acked.append, requeue_message=requeued.append)
    message = SimpleNamespace(content_type="application/json", content_encoding="utf-8")
    try:
        with kombu.Connection(amqp_uri) as connection:
            bound = target(connection)
            bound.declare()
            worker = threading.Thread(
                target=handler._set_aside, args=(message, marker, target.name, {}, 60.0), daemon=True
            )
            worker.start()
            worker.join(timeout=60)
            assert not worker.is_alive(), "the handler still waits for a confirm that cannot come"
            assert network.silenced >= 1 and acked == [message] and requeued == []
            copy = bound.get(no_ack=True)
            assert copy is not None and copy.body == marker.decode()
            bound.delete()
    finally:
        network.close()
