"""One RPC client per gateway process, shared by all its threads.

It speaks nameko's RPC protocol (requests on the ``nameko-rpc`` exchange,
replies routed back to a queue bound there under the client's own key) over
two long-lived AMQP connections: one publishes, one consumes replies and any
broadcasts the gateway subscribes to. Calls are futures, so a request can
issue independent calls at once and wait for all of them. Every call has a
deadline; the request message expires with it, so a service that comes back
later does not act on a request whose caller was already told it failed.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import amqp

log = logging.getLogger(__name__)

RPC_EXCHANGE = "nameko-rpc"


class ServiceUnavailable(Exception):
    def __init__(self, service: str, reason: str = "no answer in time"):
        super().__init__(f"{service}: {reason}")
        self.service = service


class RemoteServiceError(Exception):
    """An exception raised inside a service, as nameko serialises it."""

    def __init__(self, service: str, exc_type: str, message: str, details: dict, exc_path: str = ""):
        super().__init__(f"{service}: {exc_type}: {message}")
        self.service = service
        self.exc_type = exc_type
        self.message = message
        self.details = details
        self.exc_path = exc_path

    @classmethod
    def from_reply(cls, service: str, error: dict) -> RemoteServiceError:
        args = error.get("exc_args") or []
        message = args[0] if args and isinstance(args[0], str) else str(error.get("value", ""))
        details = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
        return cls(service, error.get("exc_type", "Exception"), message, details, error.get("exc_path", ""))


class Call:
    """A call in flight."""

    __slots__ = ("service", "method", "future", "deadline", "correlation_id")

    def __init__(self, service: str, method: str, future: Future, deadline: float, correlation_id: str):
        self.service = service
        self.method = method
        self.future = future
        self.deadline = deadline
        self.correlation_id = correlation_id


Subscription = tuple[str, str, Callable[[dict], None]]  # exchange, type, callback


class RpcClient:
    def __init__(self, amqp_uri: str, timeout: float = 5.0, subscriptions: list[Subscription] | None = None):
        parts = urllib.parse.urlparse(amqp_uri)
        self._params = {
            "host": f"{parts.hostname or '127.0.0.1'}:{parts.port or 5672}",
            "userid": urllib.parse.unquote(parts.username or "guest"),
            "password": urllib.parse.unquote(parts.password or "guest"),
            "virtual_host": urllib.parse.unquote(parts.path[1:]) if len(parts.path) > 1 else "/",
            "connect_timeout": 2,
        }
        self.timeout = timeout
        self.reply_key = f"rpc.reply-gateway-{uuid.uuid4().hex}"
        self._subscriptions = list(subscriptions or [])
        self._pending: dict[str, Call] = {}
        self._publish_lock = threading.Lock()
        self._publisher: amqp.Connection | None = None
        self._publish_channel = None
        self._ready = threading.Event()
        self._stopped = False
        self._consumer: amqp.Connection | None = None
        self._thread = threading.Thread(target=self._consume_forever, name="rpc-replies", daemon=True)
        self._thread.start()

    # -- calls -----------------------------------------------------------------------

    def call_async(
        self,
        service: str,
        method: str,
        *args: Any,
        _context: dict | None = None,
        _timeout: float | None = None,
        **kwargs,
    ) -> Call:
        timeout = self.timeout if _timeout is None else _timeout
        deadline = time.monotonic() + timeout
        if not self._ready.wait(timeout=min(timeout, 2.0)):
            raise ServiceUnavailable(service, "message broker unreachable")
        correlation_id = uuid.uuid4().hex
        call = Call(service, method, Future(), deadline, correlation_id)
        headers = {"nameko.call_id_stack": [f"gateway.{service}.{method}.{correlation_id}"]}
        for key, value in (_context or {}).items():
            headers[f"nameko.{key}"] = value
        message = amqp.Message(
            json.dumps({"args": list(args), "kwargs": kwargs}),
            content_type="application/json",
            content_encoding="utf-8",
            correlation_id=correlation_id,
            reply_to=self.reply_key,
            expiration=str(max(1, int(timeout * 1000))),
            application_headers=headers,
        )
        self._pending[correlation_id] = call
        try:
            self._publish(message, f"{service}.{method}")
        except Exception as exc:
            self._pending.pop(correlation_id, None)
            raise ServiceUnavailable(service, "message broker unreachable") from exc
        return call

    def result(self, call: Call) -> Any:
        try:
            reply = call.future.result(timeout=max(0.0, call.deadline - time.monotonic()))
        except FutureTimeout:
            raise ServiceUnavailable(call.service) from None
        finally:
            self._pending.pop(call.correlation_id, None)
        if reply.get("error"):
            raise RemoteServiceError.from_reply(call.service, reply["error"])
        return reply.get("result")

    def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.result(self.call_async(service, method, *args, **kwargs))

    def gather(self, *calls: Call) -> list[Any]:
        """Results of calls already in flight, in order; the first failure is raised."""
        results, first_error = [], None
        for call in calls:
            try:
                results.append(self.result(call))
            except Exception as exc:
                results.append(None)
                first_error = first_error or exc
        if first_error:
            raise first_error
        return results

    # -- publishing ----------------------------------------------------------------

    def _publish(self, message: amqp.Message, routing_key: str) -> None:
        with self._publish_lock:
            for attempt in (1, 2):
                try:
                    if self._publish_channel is None:
                        self._publisher = self._connect()
                        self._publish_channel = self._publisher.channel()
                    self._publish_channel.basic_publish(message, exchange=RPC_EXCHANGE, routing_key=routing_key)
                    return
                except Exception:
                    self._drop_publisher()
                    if attempt == 2:
                        raise

    def _drop_publisher(self) -> None:
        connection, self._publisher, self._publish_channel = self._publisher, None, None
        if connection is not None:
            try:
                connection.collect()
            except Exception:  # already broken; nothing more to release
                log.debug("publisher connection dropped")

    def _connect(self) -> amqp.Connection:
        connection = amqp.Connection(heartbeat=0, **self._params)
        connection.connect()
        return connection

    # -- consuming -----------------------------------------------------------------

    def _on_reply(self, message: amqp.Message) -> None:
        call = self._pending.get(message.properties.get("correlation_id"))
        if call is not None and not call.future.done():
            call.future.set_result(json.loads(message.body))

    def _consume_forever(self) -> None:
        backoff = 0.1
        while not self._stopped:
            try:
                self._consumer = connection = self._connect()
                channel = connection.channel()
                channel.exchange_declare(RPC_EXCHANGE, "topic", durable=True, auto_delete=False)
                channel.queue_declare(self.reply_key, exclusive=True, auto_delete=True)
                channel.queue_bind(self.reply_key, RPC_EXCHANGE, routing_key=self.reply_key)
                channel.basic_consume(self.reply_key, callback=self._on_reply, no_ack=True)
                for exchange, kind, callback in self._subscriptions:
                    channel.exchange_declare(exchange, kind, durable=True, auto_delete=False)
                    queue, _, _ = channel.queue_declare("", exclusive=True, auto_delete=True)
                    channel.queue_bind(queue, exchange, routing_key="#")
                    channel.basic_consume(queue, callback=_json_callback(callback), no_ack=True)
                self._ready.set()
                backoff = 0.1
                while not self._stopped:
                    try:
                        connection.drain_events(timeout=1)
                    except TimeoutError:
                        continue
            except Exception as exc:
                self._ready.clear()
                if self._stopped:
                    break
                log.warning("RPC reply connection lost (%s); reconnecting in %.1fs", exc, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 2.0)

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    def close(self) -> None:
        self._stopped = True
        for connection in (self._consumer, self._publisher):
            if connection is not None:
                try:
                    connection.collect()
                except Exception:  # closing anyway
                    log.debug("connection already closed")


def _json_callback(callback: Callable[[dict], None]) -> Callable[[amqp.Message], None]:
    def handle(message: amqp.Message) -> None:
        try:
            callback(json.loads(message.body))
        except Exception:
            log.exception("broadcast handler failed")

    return handle
