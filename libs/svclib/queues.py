"""Event queues as RabbitMQ quorum queues, and the move of existing queues to them without losing a message.

Every event handler has three queues (see :mod:`svclib.events`): its own, bound to the
source's exchange; ``<queue>.retry``, where a failed event waits out its back-off; and
``<queue>.dead``, where parked events wait for an operator. All three are quorum queues
(``x-queue-type: quorum``): replicated on a majority of the cluster's nodes, so a broker
node that dies takes no event with it, and their messages are written to disk before
the publisher is confirmed. The handler's queue also has a delivery limit
(``DELIVERY_LIMIT``): an event delivered that many times without an answer (a message
that kills its consumer every time, so the handler's own retries never run) is
dead-lettered to ``<queue>.dead`` by RabbitMQ itself, at least once. Dead-lettering out
of the retry queue when a back-off ends is at least once as well.

RPC queues stay classic: nameko's reply queues are exclusive and auto-deleted, which
quorum queues cannot be, and a request that is lost with a node is answered by the
caller's timeout (the gateway's 503, retryable) rather than waited for.

A queue's arguments cannot change once it exists (RabbitMQ answers 406
PRECONDITION_FAILED), so queues declared before (classic, or another delivery limit) are
moved by :func:`migrate`, which ``python -m svclib.topology`` runs while the consumers are
stopped (before the services start, as ``make run``, compose and the Kubernetes job do):

1. a temporary quorum queue ``<queue>.migrating`` is bound as the handler's queue is, and
   the old queue unbound, so events published meanwhile wait there;
2. the retry queue's messages go to the temporary queue (their back-off ends early) and the
   old retry queue is replaced; then the handler's own messages, and the old queue is
   replaced, deleted only when empty and without consumers;
3. the new queue is bound, the temporary one unbound and emptied into it, and deleted.

Each message is published with a confirm before it is acknowledged in the queue it leaves:
a migration stopped half way loses nothing, and running it again finishes it. An event
published in the instant both the new and the temporary queue are bound arrives twice,
which consumers absorb (each applies an event once, by its id).
"""

from __future__ import annotations

import logging

import kombu
from amqp.exceptions import NotFound, PreconditionFailed
from kombu import Queue

log = logging.getLogger(__name__)

# Deliveries of one event to the handler's queue before RabbitMQ parks it. A handler's own
# failures never count (they are acknowledged and set aside to the retry queue): only a
# consumer that died or lost its connection while holding the event does.
DELIVERY_LIMIT = 20

QUORUM = {"x-queue-type": "quorum"}
# At-least-once dead-lettering needs the queue to refuse publishes rather than drop its head when full.
AT_LEAST_ONCE = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}


def event_queue(name: str, exchange: kombu.Exchange | None = None, routing_key: str | None = None) -> Queue:
    """A handler's own queue: quorum, with the delivery limit, dead-lettering to ``<name>.dead``."""
    arguments = {
        **QUORUM,
        **AT_LEAST_ONCE,
        "x-delivery-limit": DELIVERY_LIMIT,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": f"{name}.dead",
    }
    return Queue(name, exchange=exchange, routing_key=routing_key, durable=True, queue_arguments=arguments)


def retry_queue(name: str) -> Queue:
    """Where ``name``'s failed events wait out their back-off (per-message TTL), then return to ``name``."""
    arguments = {**QUORUM, **AT_LEAST_ONCE, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": name}
    return Queue(f"{name}.retry", durable=True, queue_arguments=arguments)


def dead_queue(name: str) -> Queue:
    return Queue(f"{name}.dead", durable=True, queue_arguments=dict(QUORUM))


def _temporary(name: str) -> Queue:
    return Queue(f"{name}.migrating", durable=True, queue_arguments=dict(QUORUM))


def declare_queue(connection: kombu.Connection, queue: Queue) -> bool:
    """Declare ``queue`` (not its bindings) on a channel of its own; False when it exists with other arguments."""
    channel = connection.channel()
    try:
        queue(channel).queue_declare()
        return True
    except PreconditionFailed:
        return False
    finally:
        _close(channel)


def _consumers(connection: kombu.Connection, name: str) -> int | None:
    """How many consumers ``name`` has; None when there is no such queue."""
    channel = connection.channel()
    try:
        return Queue(name)(channel).queue_declare(passive=True).consumer_count
    except NotFound:
        return None
    finally:
        _close(channel)


def _close(channel) -> None:
    try:
        channel.close()
    except Exception:  # already closed by the broker's error
        pass


def move(connection: kombu.Connection, source: str, target: str, keep_expiration: bool = True) -> int:
    """Every message of ``source`` into ``target``, each confirmed there before it leaves ``source``."""
    moved = 0
    channel = connection.channel()
    producer_channel = connection.channel()
    try:
        while True:
            message = channel.basic_get(source, no_ack=False)
            if message is None:
                return moved
            properties = dict(message.properties)
            headers = properties.pop("application_headers", None) or {}
            content_type = properties.pop("content_type", None)
            content_encoding = properties.pop("content_encoding", None)
            priority = properties.pop("priority", None)
            properties["delivery_mode"] = 2
            if not keep_expiration:
                properties.pop("expiration", None)
            producer_channel.basic_publish_confirm(
                producer_channel.prepare_message(
                    message.body,
                    priority=priority,
                    content_type=content_type,
                    content_encoding=content_encoding,
                    headers=dict(headers),
                    properties=properties,
                ),
                exchange="",
                routing_key=target,
            )
            channel.basic_ack(message.delivery_tag)
            moved += 1
    finally:
        _close(channel)
        _close(producer_channel)


def _delete_empty(connection: kombu.Connection, name: str) -> None:
    """Delete ``name`` when it holds no message and has no consumer (quorum queues take no if-empty flag)."""
    channel = connection.channel()
    try:
        declared = Queue(name)(channel).queue_declare(passive=True)
        if declared.message_count or declared.consumer_count:
            raise RuntimeError(
                f"queue {name} still has consumers or received messages: stop its consumers and run the migration again"
            )
        channel.queue_delete(name)
    finally:
        _close(channel)


def _replace(connection: kombu.Connection, old: str, wanted: Queue, into: str) -> int:
    """Empty ``old`` into ``into``, delete it (only empty and unused), declare ``wanted`` in its place."""
    moved = move(connection, old, into, keep_expiration=False)
    _delete_empty(connection, old)
    if not declare_queue(connection, wanted):
        raise RuntimeError(f"queue {wanted.name} could not be declared after its migration")
    return moved


def ensure(connection: kombu.Connection, queue: Queue, migrate_existing: bool = False) -> int:
    """Declare a handler's exchange, its queue (bound), retry and dead queues as this module says.

    A queue already there with other arguments (classic, from before) is moved when
    ``migrate_existing`` (the topology job, consumers stopped); otherwise it is an error naming the
    command that moves it. Returns how many messages were moved.
    """
    name = queue.name
    channel = connection.default_channel
    queue.exchange(channel).declare()
    wanted_main, wanted_retry, wanted_dead = queue, retry_queue(name), dead_queue(name)
    main_ok = declare_queue(connection, wanted_main)
    retry_ok = declare_queue(connection, wanted_retry)
    dead_ok = declare_queue(connection, wanted_dead)
    leftover = _consumers(connection, _temporary(name).name) is not None  # a migration stopped half way
    if (not (main_ok and retry_ok and dead_ok) or leftover) and not migrate_existing:
        raise RuntimeError(
            f"queue {name} or its retry or dead queue exists with other arguments (a classic queue from before): "
            "run `python -m svclib.topology <service modules>` with the consumers stopped to migrate it"
        )
    if not main_ok and _consumers(connection, name):
        raise RuntimeError(f"queue {name} has consumers: stop them before migrating it to a quorum queue")
    moved = 0
    if not (main_ok and retry_ok) or leftover:
        moved += _migrate_main(connection, wanted_main, wanted_retry, main_ok, retry_ok)
    if not dead_ok:
        temporary = _temporary(wanted_dead.name)
        declare_queue(connection, temporary)
        moved += _replace(connection, wanted_dead.name, wanted_dead, temporary.name)
        move(connection, temporary.name, wanted_dead.name)
        _delete_empty(connection, temporary.name)
        log.info("moved %s to a quorum queue", wanted_dead.name)
    if wanted_main.exchange is not None and wanted_main.exchange.name:
        wanted_main(connection.default_channel).queue_bind()
    return moved


def _migrate_main(connection, wanted_main: Queue, wanted_retry: Queue, main_ok: bool, retry_ok: bool) -> int:
    name = wanted_main.name
    channel = connection.default_channel
    temporary = Queue(
        _temporary(name).name,
        exchange=wanted_main.exchange,
        routing_key=wanted_main.routing_key,
        durable=True,
        queue_arguments=dict(QUORUM),
    )
    declare_queue(connection, temporary)
    temporary(channel).queue_bind()
    channel.queue_unbind(name, exchange=wanted_main.exchange.name, routing_key=wanted_main.routing_key)
    # The retry queue first: its messages would otherwise expire into the queue being replaced.
    if retry_ok:
        moved = move(connection, wanted_retry.name, temporary.name, keep_expiration=False)
    else:
        moved = _replace(connection, wanted_retry.name, wanted_retry, temporary.name)
    if main_ok:
        moved += move(connection, name, temporary.name)
    else:
        moved += _replace(connection, name, wanted_main, temporary.name)
    wanted_main(connection.default_channel).queue_bind()
    channel = connection.default_channel
    channel.queue_unbind(temporary.name, exchange=wanted_main.exchange.name, routing_key=wanted_main.routing_key)
    move(connection, temporary.name, name)
    _delete_empty(connection, temporary.name)
    log.info("moved %s and its retry queue to quorum queues (%d messages kept)", name, moved)
    return moved
