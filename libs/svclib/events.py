"""Event handlers that never drop a message silently, and never park one for a passing fault.

nameko acks an event after its handler even when the handler raised. Here a
failed event is published to ``<queue>.retry``, a queue without consumers whose
messages return to ``<queue>`` when their per-message TTL expires, or parked in
``<queue>.dead`` with the error, where an operator can inspect and replay it
(``python -m svclib.dlq``). What happens depends on the failure (``classify``):

- transient (the database or broker connection lost, a deadlock, a
  serialisation failure, too many clients, a service unavailable, what the
  event is about not arrived yet: ``NotYet``): retried
  with jittered exponential back-off (``EVENT_RETRY_DELAY_MS`` doubling up to
  ``EVENT_RETRY_MAX_DELAY_MS``) for up to ``EVENT_RETRY_WINDOW_SECONDS`` (an
  hour) after its first failure, then parked;
- permanent (the payload lacks a key or has the wrong shape, a validation
  error): parked at once, retrying cannot help;
- anything else: retried ``EVENT_MAX_RETRIES`` times, then parked.

A message that cannot be decoded at all (not JSON, a foreign content type) is
parked too, not dropped. Each handler counts what it parked (``parked``).
The queues are quorum queues (:mod:`svclib.queues`: replicated, with a delivery
limit that parks an event whose consumer keeps dying on it), declared when the
handler starts and by ``python -m svclib.topology``, which runs before any
publisher, so an event sent while its consumer is down waits for it.

Each delivery is counted (``svclib.metrics``: handled, failed, retried, parked, handling
time, lag from the event's ``occurred_at``), the messages waiting in the dead-letter
queues are read when metrics are scraped, and each handler runs in a span continuing the
trace of the work that emitted the event, from its headers (``svclib.tracing``).

At most ``EVENT_WORKERS`` event handlers of a process run at once (default: half its
``max_workers``, at most 5, half the default database pool): a burst of events that wait on
one another's row locks (many votes for one author) would otherwise take every worker and
every database connection, and sign-ins and reads, served by the same workers, would queue
behind them. Deliveries beyond it wait, unacknowledged, for a handler to finish.

Those slots are a lane's: a handler declared with ``lane="<name>"`` shares only its lane's slots
(``EVENT_WORKERS_<NAME>``, 2 by default), so that the events whose effect people wait to see never wait
for a slot behind a burst of slower, less awaited ones on the default lane. A lane changes no guarantee:
each handler still reads its own queue, applies each event once (``apply_once``) and, for a state, only
a newer version under its key's lock; lanes only decide which handlers wait for which slots. Each
delivery's wait for a slot and its handler's run are measured per handler (``svc_event_wait_seconds``,
``svc_event_run_seconds``), and with ``EVENT_CPU_SECONDS=1`` its handler's CPU time
(``svc_event_cpu_seconds``, :mod:`svclib.greencpu`).

One retry queue per handler holds messages with different delays; RabbitMQ
expires only the message at its head, so during a long outage a message due
sooner may wait behind one due later, never longer than the longest delay.
"""

from __future__ import annotations

import logging
import random
import time
import traceback
from functools import partial

import kombu
from amqp.exceptions import AMQPError
from amqp.exceptions import InternalError as BrokerInternalError
from eventlet.semaphore import Semaphore
from kombu import Queue
from nameko.events import EventHandler
from nameko.exceptions import ContainerBeingKilled, RpcTimeout, UnknownService
from nameko.messaging import QueueConsumer
from sqlalchemy import exc as sa_exc

from svclib import greencpu, logs, metrics, queues, tracing
from svclib.exceptions import Invalid
from svclib.settings import configured
from svclib.startup import with_backoff
from svclib.times import parse_time, utcnow

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-attempts"
FIRST_FAILED_HEADER = "x-first-failed-at"
DEFAULT_EVENT_WORKERS = 5
DEFAULT_LANE = "default"
DEFAULT_LANE_WORKERS = 2
DEFAULT_MAX_RETRIES = 5
DEFAULT_RETRY_DELAY_MS = 1000
DEFAULT_RETRY_MAX_DELAY_MS = 5 * 60 * 1000
DEFAULT_RETRY_WINDOW_SECONDS = 3600
SET_ASIDE_TIMEOUT = 30.0  # seconds a retried or parked copy may take to be written and confirmed

TRANSIENT, PERMANENT, UNKNOWN = "transient", "permanent", "unknown"


class MalformedEvent(Exception):
    """An event whose body is not an event: it will never be applied, whatever is retried."""


class NotYet(Exception):
    """An event about something whose own event has not been applied yet (it travels on another queue, or
    was retried): it is tried again later, as after a passing fault, rather than applied to nothing."""


def classify(exc: BaseException) -> str:
    """Whether a handler's failure may pass (``transient``), never will (``permanent``), or is ``unknown``."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return TRANSIENT
    # OperationalError covers lost connections, deadlocks, serialisation failures and
    # "too many clients"; a pool that stays exhausted raises TimeoutError.
    if isinstance(exc, sa_exc.OperationalError | sa_exc.DisconnectionError | sa_exc.TimeoutError):
        return TRANSIENT
    if isinstance(exc, ConnectionError | TimeoutError | RpcTimeout | UnknownService | NotYet):
        return TRANSIENT
    # 541 INTERNAL_ERROR: the broker could not finish in time (a quorum queue whose members a busy node did not
    # start within its channel operation timeout); asked again, it does.
    if isinstance(exc, BrokerInternalError):
        return TRANSIENT
    if type(exc).__name__ in ("OperationalError", "ServiceUnavailable") or getattr(exc, "exc_type", None) in (
        "ServiceUnavailable",
        "Unavailable",
    ):
        return TRANSIENT  # psycopg's, kombu's and amqp's; a neighbour answering it is unavailable
    if isinstance(exc, KeyError | TypeError | MalformedEvent | Invalid) or type(exc).__name__ == "ValidationError":
        return PERMANENT
    return UNKNOWN


def retry_queue(queue: Queue) -> Queue:
    return queues.retry_queue(queue.name)


def dead_queue(queue: Queue) -> Queue:
    return queues.dead_queue(queue.name)


class ParkingQueueConsumer(QueueConsumer):
    """nameko's queue consumer, except that a message it cannot decode is parked by its handler, not
    dropped, and that its handlers share the slots of their lane: how many of them may run at once."""

    def setup(self) -> None:
        super().setup()
        self.lanes: dict[str, Semaphore] = {}

    def slots(self, lane: str = DEFAULT_LANE) -> Semaphore:
        """The slots of ``lane``, made on first use (see :func:`lane_workers`)."""
        held = self.lanes.get(lane)
        if held is None:
            held = self.lanes[lane] = Semaphore(lane_workers(self.container.config, self.container.max_workers, lane))
        return held

    # A handler that ends after the broker went away answers on a channel of the lost connection: its ack or
    # requeue fails on the socket (nameko only passes over amqp's own ConnectionError), and raised there the
    # failure ended the container and the whole service with it (seen in the chaos suite's broker restart). The
    # broker has taken the unacknowledged message back and delivers it again once the consumer reconnects,
    # and handlers apply an event at least once, idempotently: the failure is logged, never raised.
    def ack_message(self, message) -> None:
        self._answer(super().ack_message, message, "acknowledge")

    def requeue_message(self, message) -> None:
        self._answer(super().requeue_message, message, "return")

    @staticmethod
    def _answer(send, message, what: str) -> None:
        try:
            send(message)
        except (OSError, AMQPError) as exc:
            log.warning("could not %s a delivery on a lost connection (%r); the broker delivers it again", what, exc)

    def on_decode_error(self, message, exc) -> None:
        tag = message.delivery_info.get("consumer_tag")
        for provider, consumer in list(self._consumers.items()):
            if tag in getattr(consumer, "_active_tags", {}).values() and isinstance(provider, ReliableEventHandler):
                provider.park_undecodable(message, exc)
                return
        super().on_decode_error(message, exc)


def lane_workers(config: dict, max_workers: int, lane: str = DEFAULT_LANE) -> int:
    """How many handlers of ``lane`` may run at once: ``EVENT_WORKERS`` for the default lane (by default half
    of ``max_workers``, at most 5), ``EVENT_WORKERS_<LANE>`` for another (by default 2, at most half of
    ``max_workers``); from the container's config, else the environment."""

    if lane == DEFAULT_LANE:
        given, default = configured(config, "EVENT_WORKERS"), min(max_workers // 2, DEFAULT_EVENT_WORKERS)
    else:
        given = configured(config, f"EVENT_WORKERS_{lane.upper()}")
        default = min(max_workers // 2, DEFAULT_LANE_WORKERS)
    return max(1, int(given) if given.isdigit() else default)


class ReliableEventHandler(EventHandler):
    """nameko's ``event_handler`` with retries by kind of failure and a dead-letter queue; ``lane`` names the
    slots it shares (its lane's, see :func:`lane_workers`), so that what people wait to see never queues
    behind a burst of slower work."""

    queue_consumer = ParkingQueueConsumer()

    def __init__(self, source_service: str, event_type: str, lane: str = DEFAULT_LANE, **kwargs) -> None:
        super().__init__(source_service, event_type, **kwargs)
        self.lane = lane

    def setup(self) -> None:
        super().setup()
        # A quorum queue with a delivery limit (svclib.queues) instead of nameko's classic one.
        self.queue = queues.event_queue(self.queue.name, self.queue.exchange, self.queue.routing_key)
        config = self.container.config
        self.max_retries = int(config.get("EVENT_MAX_RETRIES", DEFAULT_MAX_RETRIES))
        self.retry_delay_ms = int(config.get("EVENT_RETRY_DELAY_MS", DEFAULT_RETRY_DELAY_MS))
        self.retry_max_delay_ms = int(config.get("EVENT_RETRY_MAX_DELAY_MS", DEFAULT_RETRY_MAX_DELAY_MS))
        self.retry_window = float(config.get("EVENT_RETRY_WINDOW_SECONDS", DEFAULT_RETRY_WINDOW_SECONDS))
        self.amqp_uri = config["AMQP_URI"]
        self.parked = 0
        labels = (self.container.service_name, self.source_service, self.event_type)
        self._series = tuple(
            family.labels(*labels)
            for family in (
                metrics.EVENTS_HANDLED,
                metrics.EVENTS_FAILED,
                metrics.EVENTS_RETRIED,
                metrics.EVENTS_PARKED,
                metrics.EVENT_SECONDS,
                metrics.EVENT_LAG,
            )
        )
        labels = (*labels, self.method_name, self.lane)
        self._series += tuple(
            family.labels(*labels) for family in (metrics.EVENT_WAIT, metrics.EVENT_RUN, metrics.EVENT_CPU)
        )
        if configured(config, "EVENT_CPU_SECONDS").lower() in ("1", "true"):
            greencpu.enable()
        metrics.serve_from(config)
        tracing.configure(self.container.service_name)
        self.service = self.container.service_name

    def start(self) -> None:
        def declare() -> None:
            with kombu.Connection(self.amqp_uri) as connection:
                connection.ensure_connection(max_retries=1)
                self.declare(connection)

        with_backoff(declare, "broker", lambda exc: classify(exc) == TRANSIENT)
        super().start()
        metrics.register("dead", self)

    def stop(self) -> None:
        metrics.unregister(self)
        super().stop()

    def kill(self) -> None:
        metrics.unregister(self)
        super().kill()

    def dead_letters(self, channel) -> int:
        """Messages waiting in this handler's dead-letter queue (read at scrape time, on ``channel``)."""
        _, count, _ = dead_queue(self.queue)(channel).queue_declare(passive=True)
        return count

    def declare(self, connection: kombu.Connection, migrate_existing: bool = False) -> int:
        """Declare the exchange, this handler's queue, its retry and dead queues (quorum queues, see
        svclib.queues); ``migrate_existing`` moves queues declared otherwise before, keeping their messages."""
        return queues.ensure(connection, self.queue, migrate_existing=migrate_existing)

    def handle_message(self, body, message) -> None:
        handled, failed = self._series[0], self._series[1]
        if not isinstance(body, dict):
            handled.inc()
            failed.inc()
            self.handle_message_processed(message, exc_info=_exc_info(MalformedEvent("the event is not an object")))
            return
        started = time.perf_counter()
        occurred = body.get("occurred_at")
        if isinstance(occurred, str):
            try:
                self._series[5].observe(max(0.0, (utcnow() - parse_time(occurred)).total_seconds()))
            except ValueError:
                pass  # not a time: the handler will say what it makes of it
        context_data = self.unpack_message_headers(message)
        span = None
        if tracing.enabled():
            name = f"{self.source_service}.{self.event_type} -> {self.service}.{self.method_name}"
            span = tracing.start_worker_span(name, "consumer", context_data, {"messaging.destination": self.queue.name})
        slots = self.queue_consumer.slots(self.lane)
        slots.acquire()  # in this delivery's own green thread: the others, RPCs included, go on
        slotted = time.perf_counter()
        self._series[6].observe(slotted - started)
        try:
            handle_result = partial(self._handled, message, started, slotted, span)
            worker_ctx = self.container.spawn_worker(
                self, (body,), {}, context_data=context_data, handle_result=handle_result
            )
        except ContainerBeingKilled:
            slots.release()
            tracing.end_span(span)
            self.queue_consumer.requeue_message(message)
            return
        except BaseException:
            slots.release()
            raise
        logs.bind_greenlet(
            self.container._worker_threads.get(worker_ctx), context_data.get("request_id"), tracing.trace_id_of(span)
        )

    def _handled(self, message, started: float, slotted: float, span, worker_ctx, result=None, exc_info=None):
        self.queue_consumer.slots(self.lane).release()
        self._series[0].inc()
        ended = time.perf_counter()
        self._series[4].observe(ended - started)
        self._series[7].observe(ended - slotted)
        cpu = greencpu.spent()  # this worker's green thread: the handler's own CPU, when accounted
        if cpu is not None:
            self._series[8].observe(cpu)
        if exc_info is not None:
            self._series[1].inc()
        tracing.end_span(span, exc_info)
        self.handle_message_processed(message, result, exc_info)
        return result, exc_info

    def retry_delay(self, attempts: int) -> float:
        """Seconds before the next attempt: exponential, capped, with jitter so retries do not arrive together."""
        ceiling = min(self.retry_max_delay_ms, self.retry_delay_ms * 2 ** min(attempts - 1, 30)) / 1000.0
        return random.uniform(ceiling / 2, ceiling)

    def handle_message_processed(self, message, result=None, exc_info=None) -> None:
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        headers = dict(message.headers or {})
        headers.pop("x-death", None)  # RabbitMQ's record of the retry queue's expiries; it only grows
        attempts = int(headers.get(ATTEMPTS_HEADER, 0)) + 1
        headers[ATTEMPTS_HEADER] = attempts
        now = time.time()
        first_failed = float(headers.setdefault(FIRST_FAILED_HEADER, now))
        kind = classify(exc_info[1])
        if kind == TRANSIENT:
            retry = now - first_failed < self.retry_window
        else:
            retry = kind == UNKNOWN and attempts <= self.max_retries
        if retry:
            target = retry_queue(self.queue).name
            expiration = self.retry_delay(attempts)
            self._series[2].inc()
            log.warning(
                "event on %s failed (%s, attempt %s), retrying in %.1fs", self.queue.name, kind, attempts, expiration
            )
        else:
            target = dead_queue(self.queue).name
            expiration = None
            headers["x-error"] = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()[:2000]
            headers["x-original-queue"] = self.queue.name
            log.error("event on %s failed (%s, %s attempts); parked in %s", self.queue.name, kind, attempts, target)
        self._set_aside(message, message.body, target, headers, expiration)

    def park_undecodable(self, message, exc: Exception) -> None:
        """Park a message whose body could not be decoded, exactly as it arrived."""
        headers = dict(message.headers or {})
        headers["x-error"] = f"undecodable ({message.content_type}): {exc}"[:2000]
        headers["x-original-queue"] = self.queue.name
        log.error("undecodable event on %s (%s); parked", self.queue.name, message.content_type)
        self._set_aside(message, message.body, dead_queue(self.queue).name, headers, None)

    def _set_aside(self, message, body, target: str, headers: dict, expiration: float | None) -> None:
        connection = kombu.Connection(self.amqp_uri, transport_options={"confirm_publish": True})
        try:
            kombu.Producer(connection).publish(
                body,
                exchange="",
                routing_key=target,
                content_type=message.content_type or "application/octet-stream",
                content_encoding=message.content_encoding or "binary",
                headers=headers,
                delivery_mode=2,
                expiration=expiration,
                retry=True,
                retry_policy={"max_retries": 3},
                # A connection gone silent fails here, and the copy is sent again on a new one (kombu's retry),
                # instead of holding this worker and its delivery until the process ends (see svclib.outbox).
                timeout=SET_ASIDE_TIMEOUT,
                confirm_timeout=SET_ASIDE_TIMEOUT,
            )
        except Exception:
            connection.collect()  # no closing handshake: a silent broker would never answer it
            log.exception("could not set event aside; returning it to %s", self.queue.name)
            self.queue_consumer.requeue_message(message)
            return
        connection.release()
        if expiration is None:
            self.parked += 1
            self._series[3].inc()
        self.queue_consumer.ack_message(message)


def _exc_info(exc: BaseException):
    return type(exc), exc, None


event_handler = ReliableEventHandler.decorator
