"""The outbox relay notices a broker connection that went away while it had nothing to publish, gives up on
one that went silent while it waited for a confirm, and sends a declared event as its entity's dict with its
schema's version in the headers."""

import threading
import time
import urllib.parse
import uuid

import kombu
from sqlalchemy import MetaData, func, select

from devstack.infra import wait_for
from devstack.network import SilentNetwork
from svclib.contracts import Event
from svclib.db import plumbing_tables
from svclib.outbox import OutboxRelay
from svclib.testing import memory_database

metadata = MetaData()
OUTBOX, PROCESSED = plumbing_tables(metadata)


class ThingDone(Event, event_type="thing_done", entity="thing", schema_version=3, producer="relayer"):
    n: int


def connections(broker, vhost):
    response = broker._api("GET", f"vhosts/{urllib.parse.quote(vhost, safe='')}/connections")
    return [c["name"] for c in response.json()] if response.ok else []


def published(db) -> int:
    with db.reading() as tx:
        return tx.connection.execute(select(func.count()).where(OUTBOX.c.published_at.is_not(None))).scalar()


def test_a_closed_broker_connection_is_dropped_without_waiting_for_the_next_event(broker, vhost, amqp_uri):
    db = memory_database(metadata)
    relay = OutboxRelay(db.engine, OUTBOX, amqp_uri, "relayer.events", poll_interval=0.2, heartbeat=2)
    with db.transaction() as tx:
        tx.emit(ThingDone(n=1))
    thread = threading.Thread(target=relay.run, daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: published(db) == 1, 10)
        assert wait_for(lambda: connections(broker, vhost), 20), "the broker never listed the relay's connection"
        for name in connections(broker, vhost):
            broker._api("DELETE", f"connections/{urllib.parse.quote(name, safe='')}")
        assert wait_for(lambda: relay._connection is None, 10)
    finally:
        relay.stop()
        thread.join(timeout=5)
        db.dispose()


def test_a_broker_gone_silent_mid_publish_holds_the_relay_only_until_it_answers_again(amqp_uri):
    """The network drops everything, the relay waiting for the confirms of a batch: past ``confirm_timeout`` it
    gives the batch up, drops the connection (no closing handshake, which would never be answered either) and
    tries again; once the broker answers again the batch goes out."""
    network = SilentNetwork(amqp_uri)
    db = memory_database(metadata)
    relay = OutboxRelay(db.engine, OUTBOX, network.uri, "relayer.events", poll_interval=0.2, confirm_timeout=1.0)
    thread = threading.Thread(target=relay.run, daemon=True)
    try:
        with db.transaction() as tx:
            tx.emit(ThingDone(n=1))
        thread.start()
        assert wait_for(lambda: published(db) == 1, 10)
        network.silent = True
        with db.transaction() as tx:
            tx.emit(ThingDone(n=2))
        relay.wake()
        time.sleep(3)  # the batch's publish waits for its confirm, then gives up
        assert published(db) == 1
        network.silent = False
        assert wait_for(lambda: published(db) == 2, 30), "the relay never sent the batch after the silence"
    finally:
        relay.stop()
        thread.join(timeout=5)
        network.close()
        db.dispose()


def test_a_declared_event_goes_out_as_its_entity_with_its_schema_version_in_the_headers(amqp_uri):
    db = memory_database(metadata)
    relay = OutboxRelay(db.engine, OUTBOX, amqp_uri, "relayer.events")
    exchange = kombu.Exchange("relayer.events", type="topic", durable=True)
    queue = kombu.Queue(f"relayer-{uuid.uuid4().hex}", exchange, routing_key="thing_done", auto_delete=True)
    received = []
    try:
        with kombu.Connection(amqp_uri) as connection:
            bound = queue(connection)
            bound.declare()
            with db.transaction() as tx:
                event_id = tx.emit(ThingDone(n=7))
            assert relay.publish_pending() == 1
            assert wait_for(lambda: received.append(bound.get(no_ack=True)) or received[-1] is not None, 10)
    finally:
        relay.stop()
        db.dispose()
    message = received[-1]
    assert message.headers["schema_version"] == 3
    assert message.delivery_info["routing_key"] == "thing_done"
    assert set(message.payload) == {"event_id", "occurred_at", "thing"}
    assert message.payload["event_id"] == event_id and message.payload["thing"] == {"n": 7}
