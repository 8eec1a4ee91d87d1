"""One RPC client per gateway process; each thread calls over its own connection.

It speaks nameko's RPC protocol: a request goes to the ``nameko-rpc`` exchange
under ``<service>.<method>``; the reply comes back through RabbitMQ's direct
reply-to (``amq.rabbitmq.reply-to``), which services answer on the default
exchange (``svclib.rpc``), so no reply queue is declared, bound or routed
through. Each thread of the process gets one long-lived AMQP connection and
reads its own replies, so a call costs one publish and one read with no
hand-off between threads. A thread can
have several calls in flight at once (``call_async`` then ``gather``) to run a
request's independent calls concurrently.

Every call has a deadline; its request message expires with it, so a service
that comes back later does not act on a request whose caller was already told
it failed. Broadcasts the gateway subscribes to (token revocations) are read
by one background thread on a connection of their own.

A call may ask for its answer presented (``_present``: a function of the result, such as a
feed page's response body): the presented form is kept per process by the reply's text
(``Presented``), so an answer that comes back the same as before (a page the service kept)
is neither decoded nor presented again. A call may instead ask for one part of its answer
presented (``_part``): an answer of parts (``svclib.rpc.Parts``) whose last part is a kept
page beside parts that differ from caller to caller (a post's page: the post as its reader sees
it, then its discussion's page). The other parts are decoded; the last is presented and kept
by its own text, so the page is neither decoded nor presented again while it is the same.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import amqp

from svclib import jsontext
from svclib.transport import Connection, connection_params

log = logging.getLogger(__name__)

RPC_EXCHANGE = "nameko-rpc"
DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"


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
    """A call in flight on one thread's channel."""

    __slots__ = ("service", "method", "deadline", "correlation_id", "channel", "present", "part")

    def __init__(
        self,
        service: str,
        method: str,
        deadline: float,
        correlation_id: str,
        channel: ReplyChannel,
        present: Callable[[Any], Any] | None = None,
        part: str | None = None,
    ):
        self.service = service
        self.method = method
        self.deadline = deadline
        self.correlation_id = correlation_id
        self.channel = channel
        self.present = present
        self.part = part


class Presented:
    """Presented answers by (presenter, reply text or a part's text), the least recently used dropped first.

    A presenter must be a pure function of the result and a long-lived object (a module's
    function): the same reply text then always presents the same way.
    """

    def __init__(self, max_entries: int = 64):
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            presented = self._entries.get(key)
            if presented is not None:
                self._entries.move_to_end(key)
            return presented

    def put(self, key: Hashable, presented: Any) -> None:
        with self._lock:
            self._entries[key] = presented
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


class ReplyChannel:
    """One thread's connection: it publishes requests and reads their replies."""

    def __init__(self, params: dict):
        self.connection = Connection(**params)
        self.connection.connect()
        self.channel = self.connection.channel()
        self.channel.exchange_declare(RPC_EXCHANGE, "topic", durable=True, auto_delete=False)
        # RabbitMQ's direct reply-to: replies reach this channel without a queue to route to and keep.
        self.reply_key = DIRECT_REPLY_TO
        self.channel.basic_consume(DIRECT_REPLY_TO, callback=self._on_reply, no_ack=True)
        self.waiting: set[str] = set()
        self.replies: dict[str, str] = {}
        self.broken = False

    def _on_reply(self, message: amqp.Message) -> None:
        correlation_id = message.properties.get("correlation_id")
        if correlation_id in self.waiting:
            self.replies[correlation_id] = message.body  # decoded by RpcClient.result

    def publish(self, message: amqp.Message, routing_key: str, correlation_id: str) -> None:
        self.waiting.add(correlation_id)
        self.channel.basic_publish(message, exchange=RPC_EXCHANGE, routing_key=routing_key)

    def wait(self, correlation_id: str, deadline: float) -> str | None:
        """The reply's body, or None when the deadline passes first."""
        try:
            while correlation_id not in self.replies:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                try:
                    self.connection.drain_events(timeout=remaining)
                except TimeoutError:
                    return None
            return self.replies.pop(correlation_id)
        finally:
            self.waiting.discard(correlation_id)
            self.replies.pop(correlation_id, None)

    def close(self) -> None:
        try:
            self.connection.collect()
        except Exception:  # already broken; nothing more to release
            log.debug("reply connection dropped")


Subscription = tuple[str, str, Callable[[dict], None]]  # exchange, type, callback


class Known:
    """An answer this process holds already, gathered as it is (``gather``) without a call."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


class Keeping:
    """A call whose answer, once gathered, is handed to ``keep`` (the process's copy of such answers)."""

    __slots__ = ("call", "keep")

    def __init__(self, call: Any, keep: Callable[[Any], None]):
        self.call, self.keep = call, keep


def settled(call: Any, result_of: Callable[[Any], Any]) -> Any:
    """A gathered call's answer: a ``Known``'s value, a ``Keeping`` call's answer (kept), or ``result_of(call)``."""
    if isinstance(call, Known):
        return call.value
    if isinstance(call, Keeping):
        answer = result_of(call.call)
        call.keep(answer)
        return answer
    return result_of(call)


class RpcClient:
    def __init__(
        self,
        amqp_uri: str,
        timeout: float = 5.0,
        subscriptions: list[Subscription] | None = None,
        hearing: Callable[[bool], None] | None = None,
    ):
        self._params = connection_params(amqp_uri)
        self.timeout = timeout
        self._local = threading.local()
        self._presented = Presented()
        self._channels: list[ReplyChannel] = []
        self._channels_lock = threading.Lock()
        self._stopped = False
        self._subscriptions = list(subscriptions or [])
        self._hearing = hearing or (lambda listening: None)  # told when the broadcasts' connection is up or lost
        self._subscriber: Connection | None = None
        if self._subscriptions:
            threading.Thread(target=self._subscribe_forever, name="rpc-broadcasts", daemon=True).start()

    # -- calls -----------------------------------------------------------------------

    def _channel(self) -> ReplyChannel:
        channel = getattr(self._local, "channel", None)
        if channel is None or channel.broken:
            if channel is not None:
                channel.close()
            channel = ReplyChannel(self._params)
            self._local.channel = channel
            with self._channels_lock:
                self._channels.append(channel)
        return channel

    def _forget(self, channel: ReplyChannel) -> None:
        channel.broken = True
        channel.close()
        with self._channels_lock:
            if channel in self._channels:
                self._channels.remove(channel)

    def call_async(
        self,
        service: str,
        method: str,
        *args: Any,
        _context: dict | None = None,
        _timeout: float | None = None,
        _present: Callable[[Any], Any] | None = None,
        _part: str | None = None,
        **kwargs: Any,
    ) -> Call:
        """The call, sent. ``_present``: a presenter of the result (or, with ``_part``, of the result's last
        part, named ``_part``), its presented form kept by the reply's (or the part's) text."""
        timeout = self.timeout if _timeout is None else _timeout
        correlation_id = uuid.uuid4().hex
        # The deadline travels with the request: the broker drops it unread after ``expiration``,
        # and the service drops it unrun if it reaches a worker after ``nameko.deadline``.
        headers = {
            "nameko.call_id_stack": [f"gateway.{service}.{method}.{correlation_id}"],
            "nameko.deadline": time.time() + timeout,
        }
        for key, value in (_context or {}).items():
            headers[f"nameko.{key}"] = value
        for attempt in (1, 2):
            try:
                channel = self._channel()
                message = amqp.Message(
                    jsontext.dumps({"args": list(args), "kwargs": kwargs}),
                    content_type="application/json",
                    content_encoding="utf-8",
                    correlation_id=correlation_id,
                    reply_to=channel.reply_key,
                    expiration=str(max(1, int(timeout * 1000))),
                    application_headers=headers,
                )
                channel.publish(message, f"{service}.{method}", correlation_id)
                deadline = time.monotonic() + timeout
                return Call(service, method, deadline, correlation_id, channel, _present, _part)
            except Exception as exc:
                if channel := getattr(self._local, "channel", None):
                    self._forget(channel)
                if attempt == 2:
                    raise ServiceUnavailable(service, "message broker unreachable") from exc
        raise AssertionError("unreachable")

    def result(self, call: Call) -> Any:
        """The call's result (presented, when the call asked for it), or the service's error raised."""
        try:
            body = call.channel.wait(call.correlation_id, call.deadline)
        except Exception as exc:
            self._forget(call.channel)
            raise ServiceUnavailable(call.service, "message broker connection lost") from exc
        if body is None:
            # No answer in time: the service may be down, or this connection may be one the
            # broker no longer hears (a broker moved or restarted without closing it). The
            # thread's next call starts on a new connection either way.
            self._forget(call.channel)
            raise ServiceUnavailable(call.service)
        if call.part is not None:
            return self._parts(call, body)
        if call.present is not None:
            # Only answers (never errors) are kept, so a reply seen before is an answer.
            presented = self._presented.get((call.present, body))
            if presented is not None:
                return presented
        result = self._decoded(call, body)
        if call.present is None:
            return result
        presented = call.present(result)
        self._presented.put((call.present, body), presented)
        return presented

    def _decoded(self, call: Call, body: str) -> Any:
        """The reply's result, or the service's error raised."""
        try:
            reply = jsontext.loads(body)
        except ValueError as exc:
            self._forget(call.channel)
            raise ServiceUnavailable(call.service, "message broker connection lost") from exc
        if reply.get("error"):
            raise RemoteServiceError.from_reply(call.service, reply["error"])
        return reply.get("result")

    def _parts(self, call: Call, body: str) -> dict:
        """An answer of parts with its last part (``call.part``) presented, kept by that part's text."""
        split = _last_part(body, call.part)
        if split is None:  # an error, or an answer written otherwise
            return self._parts_decoded(call, body)
        parts, text = split
        key = (call.present, text)
        presented = self._presented.get(key)
        if presented is None:
            try:
                value = jsontext.loads(text)
            except ValueError:  # more parts after it: an answer written otherwise
                return self._parts_decoded(call, body)
            presented = call.present(value)
            self._presented.put(key, presented)
        parts[call.part] = presented
        return parts

    def _parts_decoded(self, call: Call, body: str) -> dict:
        """An answer of parts not read apart: decoded whole, its part presented anew (not kept)."""
        parts = self._decoded(call, body)
        parts[call.part] = call.present(parts[call.part])
        return parts

    def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.result(self.call_async(service, method, *args, **kwargs))

    def gather(self, *calls: Call | Known | Keeping) -> list[Any]:
        """Results of calls already in flight (or answers held, ``Known``), in order; the first failure is
        raised."""
        results, first_error = [], None
        for call in calls:
            try:
                results.append(settled(call, self.result))
            except Exception as exc:
                results.append(None)
                first_error = first_error or exc
        if first_error:
            raise first_error
        return results

    def wait_ready(self, timeout: float) -> bool:
        """True when this thread can reach the broker."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._channel()
                return True
            except Exception:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.2)

    # -- broadcasts ------------------------------------------------------------------

    def _subscribe_forever(self) -> None:
        backoff = 0.1
        while not self._stopped:
            try:
                self._subscriber = connection = Connection(**self._params)
                connection.connect()
                channel = connection.channel()
                for exchange, kind, callback in self._subscriptions:
                    channel.exchange_declare(exchange, kind, durable=True, auto_delete=False)
                    queue, _, _ = channel.queue_declare("", exclusive=True, auto_delete=True)
                    channel.queue_bind(queue, exchange, routing_key="#")
                    channel.basic_consume(queue, callback=_json_callback(callback), no_ack=True)
                self._hearing(True)
                backoff = 0.1
                while not self._stopped:
                    try:
                        connection.drain_events(timeout=1)
                    except TimeoutError:
                        continue
            except Exception as exc:
                self._hearing(False)
                if self._stopped:
                    break
                log.warning("broadcast connection lost (%s); reconnecting in %.1fs", exc, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 2.0)

    def close(self) -> None:
        self._stopped = True
        with self._channels_lock:
            channels, self._channels = self._channels, []
        for channel in channels:
            channel.close()
        if self._subscriber is not None:
            try:
                self._subscriber.collect()
            except Exception:  # closing anyway
                log.debug("broadcast connection already closed")


# An answer of parts as ``svclib.rpc.Parts`` writes it: '{"result": {"<name>": <json>, ...}, "error": null}'.
_PARTS_HEAD, _PARTS_TAIL = '{"result": {', '}, "error": null}'
_DECODER = json.JSONDecoder()


def _last_part(body: str, name: str) -> tuple[dict, str] | None:
    """An answer of parts read up to its part ``name``: the parts before it, decoded, and the text from there
    to the answer's end (``name``'s when it is the last part, as it must be), not decoded; None for any other
    reply (an error, another shape)."""
    if not (isinstance(body, str) and body.startswith(_PARTS_HEAD) and body.endswith(_PARTS_TAIL)):
        return None
    named, parts, at = f"{json.dumps(name)}: ", {}, len(_PARTS_HEAD)
    try:
        while not body.startswith(named, at):
            key, at = _DECODER.raw_decode(body, at)
            if not isinstance(key, str) or not body.startswith(": ", at):
                return None
            parts[key], at = _DECODER.raw_decode(body, at + 2)
            if not body.startswith(", ", at):
                return None
            at += 2
    except ValueError:
        return None
    return parts, body[at + len(named) : -len(_PARTS_TAIL)]


def _json_callback(callback: Callable[[dict], None]) -> Callable[[amqp.Message], None]:
    def handle(message: amqp.Message) -> None:
        try:
            callback(json.loads(message.body))
        except Exception:
            log.exception("broadcast handler failed")

    return handle
