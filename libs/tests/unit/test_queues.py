"""The queues an event handler declares: quorum, with a delivery limit that dead-letters to its dead queue."""

from svclib import queues, topology
from svclib.events import event_handler


class Listener:
    name = "listener"

    @event_handler("source", "thing_happened")
    def handle(self, payload):
        pass


def test_an_event_handlers_queue_is_a_quorum_queue_with_a_delivery_limit():
    handler = next(topology.event_handlers([Listener], {"AMQP_URI": "memory://"}))
    arguments = handler.queue.queue_arguments
    assert handler.queue.name == "evt-source-thing_happened--listener.handle"
    assert handler.queue.durable
    assert arguments["x-queue-type"] == "quorum"
    assert arguments["x-delivery-limit"] == queues.DELIVERY_LIMIT
    assert (arguments["x-dead-letter-exchange"], arguments["x-dead-letter-routing-key"]) == (
        "",
        f"{handler.queue.name}.dead",
    )
    assert arguments["x-dead-letter-strategy"] == "at-least-once"
    assert handler.queue.exchange.name == "source.events" and handler.queue.routing_key == "thing_happened"


def test_its_retry_queue_expires_back_into_it_and_its_dead_queue_is_quorum_too():
    retry, dead = queues.retry_queue("q"), queues.dead_queue("q")
    assert (retry.name, dead.name) == ("q.retry", "q.dead")
    assert retry.queue_arguments["x-queue-type"] == dead.queue_arguments["x-queue-type"] == "quorum"
    assert retry.queue_arguments["x-dead-letter-routing-key"] == "q"
    assert retry.queue_arguments["x-dead-letter-strategy"] == "at-least-once"
