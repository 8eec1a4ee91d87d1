"""Event queues are quorum queues with a delivery limit; classic queues declared before are moved to
them by the topology job with every message kept."""

from __future__ import annotations

import kombu
import pytest

from svclib import queues, topology
from svclib.events import event_handler
from svclib.testing import wait_until


class Listener:
    name = "listener"

    @event_handler("source", "thing_happened")
    def handle(self, payload):
        pass


QUEUE = "evt-source-thing_happened--listener.handle"


def handler(amqp_uri):
    return next(topology.event_handlers([Listener], {"AMQP_URI": amqp_uri}))


def queue_type(broker, vhost, name) -> dict:
    response = broker._api("GET", f"queues/{vhost}/{name}")
    response.raise_for_status()
    return response.json()


def publish(connection, routing_key, bodies, exchange="", **properties):
    producer = kombu.Producer(connection)
    for body in bodies:
        producer.publish(body, exchange=exchange, routing_key=routing_key, serializer="json", **properties)


def drain(connection, name) -> list:
    channel = connection.channel()
    bodies = []
    while (message := channel.basic_get(name, no_ack=True)) is not None:
        bodies.append(kombu.serialization.loads(message.body, message.content_type, message.content_encoding))
    return bodies


def test_the_topology_declares_quorum_queues_with_a_delivery_limit(broker, vhost, amqp_uri):
    with kombu.Connection(amqp_uri) as connection:
        handler(amqp_uri).declare(connection, migrate_existing=True)
    main = queue_type(broker, vhost, QUEUE)
    assert main["type"] == "quorum"
    assert main["arguments"]["x-delivery-limit"] == queues.DELIVERY_LIMIT
    assert main["arguments"]["x-dead-letter-routing-key"] == f"{QUEUE}.dead"
    assert queue_type(broker, vhost, f"{QUEUE}.retry")["type"] == "quorum"
    assert queue_type(broker, vhost, f"{QUEUE}.dead")["type"] == "quorum"


def test_an_event_delivered_past_the_limit_is_dead_lettered_by_the_broker(amqp_uri):
    """A consumer that dies holding the event every time (never reaching the handler's own retries)."""
    with kombu.Connection(amqp_uri) as connection:
        handler(amqp_uri).declare(connection)
        publish(connection, QUEUE, [{"event_id": "poison"}])
        channel = connection.channel()
        deliveries = 0

        def given_back_until_parked() -> bool:
            nonlocal deliveries
            message = channel.basic_get(QUEUE, no_ack=False)
            if message is not None:
                deliveries += 1
                channel.basic_reject(message.delivery_tag, requeue=True)
                return False
            return channel.basic_get(f"{QUEUE}.dead", no_ack=True) is not None

        assert wait_until(given_back_until_parked, timeout=20)
        assert deliveries == queues.DELIVERY_LIMIT + 1


def test_classic_queues_are_migrated_with_their_messages(broker, vhost, amqp_uri):
    exchange = kombu.Exchange("source.events", type="topic", durable=True)
    with kombu.Connection(amqp_uri) as connection:
        channel = connection.default_channel
        # The queues as they were declared before: classic, the retry queue expiring into the handler's.
        kombu.Queue(QUEUE, exchange=exchange, routing_key="thing_happened", durable=True)(channel).declare()
        retry_arguments = {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": QUEUE}
        kombu.Queue(f"{QUEUE}.retry", durable=True, queue_arguments=retry_arguments)(channel).declare()
        kombu.Queue(f"{QUEUE}.dead", durable=True)(channel).declare()
        waiting = [{"event_id": f"w{n}"} for n in range(50)]
        retrying = [{"event_id": f"r{n}"} for n in range(10)]
        dead = [{"event_id": f"d{n}"} for n in range(5)]
        publish(connection, "thing_happened", waiting, exchange=exchange.name)
        publish(connection, f"{QUEUE}.retry", retrying, expiration=3600)
        publish(connection, f"{QUEUE}.dead", dead, headers={"x-error": "KeyError"})
        # The handler as it is now refuses to start on them, naming the command that moves them.
        with pytest.raises(RuntimeError, match="svclib.topology"):
            handler(amqp_uri).declare(connection)

    with kombu.Connection(amqp_uri) as connection:
        moved = handler(amqp_uri).declare(connection, migrate_existing=True)
        publish(connection, "thing_happened", [{"event_id": "after"}], exchange=exchange.name)
        assert queue_type(broker, vhost, QUEUE)["type"] == "quorum"
        assert queue_type(broker, vhost, f"{QUEUE}.dead")["type"] == "quorum"
        assert moved == len(waiting) + len(retrying) + len(dead)
        kept = drain(connection, QUEUE)
        parked = drain(connection, f"{QUEUE}.dead")
    # Nothing lost, nothing twice: the retrying events come back at once.
    assert sorted(b["event_id"] for b in kept) == sorted(
        b["event_id"] for b in [*waiting, *retrying, {"event_id": "after"}]
    )
    assert sorted(b["event_id"] for b in parked) == sorted(b["event_id"] for b in dead)
    # Declaring again is a no-op: nothing left to move, no temporary queue left behind.
    with kombu.Connection(amqp_uri) as connection:
        assert handler(amqp_uri).declare(connection, migrate_existing=True) == 0
        with pytest.raises(Exception):  # noqa: B017 (amqp's NotFound closes the channel)
            kombu.Queue(f"{QUEUE}.migrating")(connection.channel()).queue_declare(passive=True)


def test_a_queue_with_consumers_is_not_migrated(amqp_uri):
    with kombu.Connection(amqp_uri) as connection:
        kombu.Queue(QUEUE, durable=True)(connection.default_channel).declare()
        consumer_connection = kombu.Connection(amqp_uri)
        consumer = kombu.Consumer(consumer_connection, [kombu.Queue(QUEUE, durable=True)], callbacks=[])
        consumer.consume()
        try:
            with pytest.raises(RuntimeError, match="consumers"):
                handler(amqp_uri).declare(connection, migrate_existing=True)
        finally:
            consumer_connection.release()
        # Left as it was: still classic, still bound, nothing moved.
        assert not queues.declare_queue(connection, queues.event_queue(QUEUE))
