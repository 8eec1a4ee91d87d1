"""The service's RPC queue, read and answered on a py-amqp connection of its own (``svclib.rpc``).

Each delivery starts a worker straight away; its answer and the request's acknowledgement leave in
one write, on the link the request came from. A request whose caller has given up (its deadline,
``DEADLINE_HEADER``, passed) is acknowledged and dropped, never run.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from contextlib import nullcontext
from functools import partial

import amqp
import eventlet
from eventlet.event import Event
from eventlet.semaphore import Semaphore
from nameko.constants import AMQP_URI_CONFIG_KEY, DEFAULT_HEARTBEAT, HEARTBEAT_CONFIG_KEY
from nameko.exceptions import MalformedRequest, MethodNotFound, serialize
from nameko.extensions import ProviderCollector, SharedExtension
from nameko.rpc import RPC_QUEUE_TEMPLATE, Rpc, get_rpc_exchange

from svclib import jsontext, metrics, tracing
from svclib.faults import REQUEST_ID, is_fault, log_fault
from svclib.rpc.answers import answerable, encoded_answer, error_kind, unencodable
from svclib.transport import BufferedTransport, Connection, connection_params

log = logging.getLogger(__name__)

DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"
JSON = "application/json"
DEADLINE_HEADER = "nameko.deadline"


class _Link:
    """One consuming connection; deliveries are acknowledged on the link they came from."""

    def __init__(self, connection: amqp.Connection, channel):
        self.connection = connection
        self.channel = channel
        self.open = True
        self.consumer_tag: str | None = None


class Delivery:
    """A request as nameko's ``Rpc`` entrypoint reads it (kombu's names for what it uses)."""

    __slots__ = ("headers", "properties", "content_type", "delivery_info", "delivery_tag", "link", "started")

    def __init__(self, message: amqp.Message, link: _Link):
        self.started = time.perf_counter()
        properties = message.properties
        self.headers = properties.get("application_headers") or {}
        self.properties = properties
        self.content_type = properties.get("content_type")
        self.delivery_info = message.delivery_info
        self.delivery_tag = message.delivery_tag
        self.link = link


class RpcQueueConsumer(SharedExtension, ProviderCollector):
    """Reads the service's RPC queue and starts a worker for each request."""

    RECONNECT_MAX_SECONDS = 5.0

    def __init__(self) -> None:
        super().__init__()
        # Entrypoints may register before this extension's own setup runs.
        self._methods: dict[str, Rpc] = {}
        self._ready = Event()
        self._running = False
        self._accepting = True
        self._link: _Link | None = None
        self._writing = Semaphore(1)
        self.expired = 0

    def setup(self) -> None:
        config = self.container.config
        self._params = connection_params(config[AMQP_URI_CONFIG_KEY], connect_timeout=5)
        self._params["heartbeat"] = int(config.get(HEARTBEAT_CONFIG_KEY, DEFAULT_HEARTBEAT))
        self.exchange = get_rpc_exchange(config).name
        name = self.container.service_name
        self.queue = RPC_QUEUE_TEMPLATE.format(name)
        self.routing_key = f"{name}.*"
        self.prefetch = self.container.max_workers
        self._measured: dict[str, tuple] = {}
        metrics.serve_from(config)
        tracing.configure(name)

    def register_provider(self, provider: Rpc) -> None:
        super().register_provider(provider)
        self._methods[f"{self.container.service_name}.{provider.method_name}"] = provider

    def unregister_provider(self, provider: Rpc) -> None:
        super().unregister_provider(provider)
        if not self._providers and self._accepting:
            # No new requests from here on; those already running still reply and acknowledge.
            self._accepting = False
            link = self._link
            if link is not None and link.open and link.consumer_tag:
                self._write(link, lambda: link.channel.basic_cancel(link.consumer_tag, nowait=True))

    def start(self) -> None:
        if not self._running:
            self._running = True
            self.container.spawn_managed_thread(self._consume, identifier=f"{self.queue} consumer")
        self._ready.wait()

    def _connect(self) -> _Link:
        connection = Connection(**self._params)
        connection.connect()
        channel = connection.channel()
        channel.exchange_declare(self.exchange, "topic", durable=True, auto_delete=False)
        channel.queue_declare(self.queue, durable=True, auto_delete=False)
        channel.queue_bind(self.queue, self.exchange, routing_key=self.routing_key)
        channel.basic_qos(0, self.prefetch, False)
        link = _Link(connection, channel)
        if self._accepting:
            link.consumer_tag = channel.basic_consume(self.queue, callback=partial(self._on_message, link))
        return link

    def _consume(self) -> None:
        backoff = 0.1
        while self._running:
            link = None
            try:
                link = self._link = self._connect()
                if not self._ready.ready():
                    self._ready.send(None)
                backoff = 0.1
                # Heartbeats: a connection the broker no longer answers on is found and replaced.
                tick = min(1.0, self._params["heartbeat"] / 4) if self._params["heartbeat"] else 1.0
                next_tick = time.monotonic() + tick
                while self._running:
                    try:
                        link.connection.drain_events(timeout=tick)
                    except TimeoutError:
                        pass
                    if time.monotonic() >= next_tick:
                        with self._writing:
                            link.connection.heartbeat_tick()
                        next_tick = time.monotonic() + tick
            except Exception as exc:
                if self._running:
                    log.warning("%s: broker connection lost (%s); reconnecting in %.1fs", self.queue, exc, backoff)
            finally:
                self._close(link)
            if self._running:
                eventlet.sleep(backoff)
                backoff = min(backoff * 2, self.RECONNECT_MAX_SECONDS)

    def _on_message(self, link: _Link, message: amqp.Message) -> None:
        if not self._accepting:
            return  # left unacknowledged: the broker gives it to another replica when this link closes
        delivery = Delivery(message, link)
        try:
            if delivery.content_type not in (JSON, None):
                raise MalformedRequest(f"Requests are JSON ({JSON}), not {delivery.content_type}.")
            body = message.body
            try:
                request = jsontext.loads(body)
            except ValueError:
                raise MalformedRequest("The request body is not JSON.") from None
            if not isinstance(request, dict):
                raise MalformedRequest("Message missing `args` or `kwargs`")
            routing_key = delivery.delivery_info["routing_key"]
            provider = self._methods.get(routing_key)
            if provider is None:
                raise MethodNotFound(routing_key.split(".")[-1])
            provider.handle_message(request, delivery)
        except Exception:
            exc_info = sys.exc_info()
            if is_fault(exc_info[1]):  # refused before any worker ran: logged here, as FaultLog logs workers'
                where = f"{self.queue} {delivery.delivery_info.get('routing_key')}"
                log_fault(where, delivery.headers.get(f"nameko.{REQUEST_ID}"), exc_info)
            self.handle_result(delivery, None, exc_info)

    def handle_result(self, delivery: Delivery, result, exc_info):
        """Answer and acknowledge a request; never raises, whatever the result (a raise would end the container)."""
        if exc_info is not None:
            exc_info = answerable(exc_info)
        self._measure(delivery, exc_info)
        try:
            body = encoded_answer(result, exc_info)
        except Exception:  # not JSON, nested too deep (RecursionError), a failing __repr__ ...
            method = delivery.delivery_info.get("routing_key")
            log.exception("%s: could not encode the answer to %s", self.queue, method)
            result, exc_info = None, unencodable(result, exc_info)
            body = json.dumps({"result": None, "error": serialize(exc_info[1])})
        link, reply_to = delivery.link, delivery.properties.get("reply_to")
        reply = None
        if reply_to:
            properties = {"content_type": JSON, "content_encoding": "utf-8"}
            reply = amqp.Message(body, correlation_id=delivery.properties.get("correlation_id"), **properties)
        exchange = "" if reply_to and reply_to.startswith(DIRECT_REPLY_TO) else self.exchange

        def answer() -> None:
            # The reply and the acknowledgement leave in one write, on the link the request came from.
            # If that link is gone, so is the request's claim: the broker hands it out again.
            transport = link.connection.transport
            with transport.together() if isinstance(transport, BufferedTransport) else nullcontext():
                if reply is not None:
                    link.channel.basic_publish(reply, exchange=exchange, routing_key=reply_to)
                link.channel.basic_ack(delivery.delivery_tag)

        self._write(link, answer)
        return result, exc_info

    def _metrics(self, delivery: Delivery) -> tuple:
        """The method's series (calls, latency, expired), looked up once per method."""
        key = delivery.delivery_info.get("routing_key") or ""
        series = self._measured.get(key)
        if series is None:
            service = self.container.service_name
            # Only methods that exist name a series: a caller cannot make new ones at will.
            method = key.split(".", 1)[-1] if key in self._methods else "unknown"
            series = self._measured[key] = (
                metrics.RPC_CALLS.labels(service, method),
                metrics.RPC_SECONDS.labels(service, method),
                metrics.RPC_EXPIRED.labels(service, method),
                method,
            )
        return series

    def _measure(self, delivery: Delivery, exc_info) -> None:
        calls, seconds, _, method = self._metrics(delivery)
        calls.inc()
        seconds.observe(time.perf_counter() - delivery.started)
        if exc_info is not None:
            metrics.RPC_ERRORS.labels(self.container.service_name, method, error_kind(exc_info[1])).inc()

    def drop_expired(self, delivery: Delivery) -> None:
        """Acknowledge a request whose caller has given up, without running it or answering."""
        self.expired += 1
        self._metrics(delivery)[2].inc()
        log.warning(
            "%s: dropped %s, expired %.1fs ago (%s dropped so far)",
            self.queue,
            delivery.delivery_info.get("routing_key"),
            time.time() - delivery.headers[DEADLINE_HEADER],
            self.expired,
        )
        link = delivery.link
        self._write(link, lambda: link.channel.basic_ack(delivery.delivery_tag))

    def requeue_message(self, delivery: Delivery) -> None:
        link = delivery.link
        self._write(link, lambda: link.channel.basic_reject(delivery.delivery_tag, requeue=True))

    def _write(self, link: _Link, send) -> None:
        """Send on a link's channel, one greenthread at a time; a closed link's deliveries go back anyway."""
        if not link.open:
            return
        with self._writing:
            try:
                send()
            except Exception as exc:
                log.warning("%s: could not answer the broker (%s)", self.queue, exc)

    def _close(self, link: _Link | None) -> None:
        if link is None:
            return
        link.open = False
        if self._link is link:
            self._link = None
        try:
            link.connection.collect()
        except Exception:  # already broken
            log.debug("%s: consuming connection dropped", self.queue)

    def stop(self) -> None:
        self.wait_for_providers()
        self._running = False
        self._close(self._link)

    def kill(self) -> None:
        self._accepting = False
        self._running = False
        self._close(self._link)
