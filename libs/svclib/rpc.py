"""nameko's ``rpc`` entrypoint with a faster reply path.

nameko 2 answers every call through a new ``Publisher`` that takes a pooled
connection and waits for a publisher confirm before the worker ends. Replies
are transient (their caller waits with a deadline and gives up after it), so
here each service container keeps one connection for replies and publishes
them without confirms. Replies go to nameko's RPC exchange under the caller's
reply key, as nameko expects, or to the default exchange when the caller asked
for RabbitMQ's direct reply-to. The protocol is nameko's; any nameko client works.

Every ``@rpc`` of a service must come from here: two kinds of RPC consumer on
one service would share its queue without sharing its methods.
"""

from __future__ import annotations

import inspect
import json
import logging
import threading

import amqp
from kombu.utils.url import parse_url
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.exceptions import IncorrectSignature, UnserializableValueError, serialize
from nameko.extensions import SharedExtension
from nameko.rpc import Rpc, RpcConsumer, get_rpc_exchange

log = logging.getLogger(__name__)

DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"


class ReplyPublisher(SharedExtension):
    """One long-lived connection per container for RPC replies."""

    def setup(self) -> None:
        url = parse_url(self.container.config[AMQP_URI_CONFIG_KEY])
        self._params = {
            "host": f"{url.get('hostname') or '127.0.0.1'}:{url.get('port') or 5672}",
            "userid": url.get("userid") or "guest",
            "password": url.get("password") or "guest",
            "virtual_host": url.get("virtual_host") or "/",
            "connect_timeout": 5,
            "heartbeat": 0,
        }
        self.exchange = get_rpc_exchange(self.container.config).name
        self._lock = threading.Lock()
        self._connection: amqp.Connection | None = None
        self._channel = None

    def publish(self, body: str, reply_to: str, correlation_id: str | None) -> None:
        exchange = "" if reply_to.startswith(DIRECT_REPLY_TO) else self.exchange
        message = amqp.Message(
            body, content_type="application/json", content_encoding="utf-8", correlation_id=correlation_id
        )
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._channel is None:
                        self._connection = amqp.Connection(**self._params)
                        self._connection.connect()
                        self._channel = self._connection.channel()
                    self._channel.basic_publish(message, exchange=exchange, routing_key=reply_to)
                    return
                except Exception:
                    self._close()
                    if attempt == 2:
                        raise

    def _close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            try:
                connection.collect()
            except Exception:  # already broken
                log.debug("reply connection dropped")

    def stop(self) -> None:
        self._close()

    def kill(self) -> None:
        self._close()


class ReplyingRpcConsumer(RpcConsumer):
    replies = ReplyPublisher()

    def get_provider_for_method(self, routing_key):
        # nameko formats every method's key on every call to find this one; one lookup will do.
        providers = getattr(self, "_by_routing_key", None)
        if providers is None or len(providers) != len(self._providers):
            name = self.container.service_name
            providers = self._by_routing_key = {f"{name}.{p.method_name}": p for p in self._providers}
        provider = providers.get(routing_key)
        if provider is None:
            return super().get_provider_for_method(routing_key)
        return provider

    def handle_result(self, message, result, exc_info):
        if message.content_type != "application/json":
            return super().handle_result(message, result, exc_info)
        error = serialize(exc_info[1]) if exc_info is not None else None
        try:
            body = json.dumps({"result": result, "error": error})
        except (TypeError, ValueError):
            result, error = None, serialize(UnserializableValueError(result))
            body = json.dumps({"result": None, "error": error})
        self.replies.publish(body, message.properties["reply_to"], message.properties.get("correlation_id"))
        self.queue_consumer.ack_message(message)
        return result, exc_info


class ReplyingRpc(Rpc):
    rpc_consumer = ReplyingRpcConsumer()

    def setup(self) -> None:
        super().setup()
        self._signature = inspect.signature(getattr(self.container.service_cls, self.method_name))

    def check_signature(self, args, kwargs) -> None:
        # nameko rebuilds the signature on every call; it never changes.
        try:
            self._signature.bind(None, *args, **kwargs)
        except TypeError as exc:
            raise IncorrectSignature(str(exc)) from None


rpc = ReplyingRpc.decorator
