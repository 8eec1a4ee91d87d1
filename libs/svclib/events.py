"""Event handlers that never drop a message silently.

nameko acks an event after its handler even when the handler raised. Here a
failed event is published to ``<queue>.retry``, a queue without consumers whose
messages return to ``<queue>`` when their per-message TTL expires; after
``EVENT_MAX_RETRIES`` failed attempts it is parked in ``<queue>.dead`` with the
error, where an operator can inspect and replay it (``python -m svclib.dlq``).
The queues are declared when the handler starts and by ``python -m
svclib.topology``, which runs before any publisher, so an event sent while its
consumer is down waits for it.
"""

from __future__ import annotations

import logging
import traceback

import kombu
from kombu import Queue
from nameko.events import EventHandler

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-attempts"
DEFAULT_MAX_RETRIES = 5
DEFAULT_RETRY_DELAY_MS = 1000


def retry_queue(queue: Queue) -> Queue:
    return Queue(
        f"{queue.name}.retry",
        durable=True,
        queue_arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue.name},
    )


def dead_queue(queue: Queue) -> Queue:
    return Queue(f"{queue.name}.dead", durable=True)


class ReliableEventHandler(EventHandler):
    """nameko's ``event_handler`` with bounded retries and a dead-letter queue."""

    def setup(self) -> None:
        super().setup()
        config = self.container.config
        self.max_retries = int(config.get("EVENT_MAX_RETRIES", DEFAULT_MAX_RETRIES))
        self.retry_delay_ms = int(config.get("EVENT_RETRY_DELAY_MS", DEFAULT_RETRY_DELAY_MS))
        self.amqp_uri = config["AMQP_URI"]

    def start(self) -> None:
        with kombu.Connection(self.amqp_uri) as connection:
            self.declare(connection)
        super().start()

    def declare(self, connection: kombu.Connection) -> None:
        """Declare the exchange, this handler's queue, its retry and dead queues."""
        channel = connection.default_channel
        self.queue.exchange(channel).declare()
        self.queue(channel).declare()
        retry_queue(self.queue)(channel).declare()
        dead_queue(self.queue)(channel).declare()

    def handle_message_processed(self, message, result=None, exc_info=None) -> None:
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        attempts = int((message.headers or {}).get(ATTEMPTS_HEADER, 0)) + 1
        headers = dict(message.headers or {})
        headers[ATTEMPTS_HEADER] = attempts
        if attempts <= self.max_retries:
            target = retry_queue(self.queue).name
            expiration = self.retry_delay_ms * (2 ** (attempts - 1)) / 1000.0
            log.warning("event on %s failed (attempt %s), retrying in %.1fs", self.queue.name, attempts, expiration)
        else:
            target = dead_queue(self.queue).name
            expiration = None
            headers["x-error"] = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()[:2000]
            headers["x-original-queue"] = self.queue.name
            log.error("event on %s failed %s times; parked in %s", self.queue.name, attempts, target)
        try:
            with kombu.Connection(self.amqp_uri, transport_options={"confirm_publish": True}) as connection:
                kombu.Producer(connection).publish(
                    message.body,
                    exchange="",
                    routing_key=target,
                    content_type=message.content_type,
                    content_encoding=message.content_encoding,
                    headers=headers,
                    delivery_mode=2,
                    expiration=expiration,
                    retry=True,
                    retry_policy={"max_retries": 3},
                )
        except Exception:
            log.exception("could not set event aside for retry; returning it to %s", self.queue.name)
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)


event_handler = ReliableEventHandler.decorator
