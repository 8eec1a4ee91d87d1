"""The outbox relay notices a broker connection that went away while it had nothing to publish."""

import threading
import urllib.parse

from sqlalchemy import MetaData, func, select

from devstack.infra import wait_for
from svclib.db import plumbing_tables
from svclib.outbox import OutboxRelay
from svclib.testing import memory_database

metadata = MetaData()
OUTBOX, PROCESSED = plumbing_tables(metadata)


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
        tx.emit("thing_done", "thing", {"n": 1})
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
