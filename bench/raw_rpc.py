"""The floor for an RPC round trip: AMQP request/reply with RabbitMQ's direct reply-to, pika at both ends.

Nothing can answer faster over the same broker: the server does no work, the
reply skips queues altogether (``amq.rabbitmq.reply-to``), and the client
consumes replies on the channel it publishes from. The gateway's RPC client is
judged by how far above this floor it sits.

The server runs in its own process, as a service does, so that its Python
work does not share a GIL with the client being timed. It can also take
requests from nameko's RPC exchange (``<queue>.<method>``), so the gateway's
client can be timed against it: that leaves out the service's own cost and
shows the client's alone::

    python -m bench.raw_rpc serve <amqp-uri> <queue> [--rpc-exchange nameko-rpc] [--quorum]  # prints "ready"
    python -m bench.raw_rpc measure <amqp-uri> <queue>      # median round trip, ms
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid

import pika
from pika.adapters.blocking_connection import BlockingChannel
from pika.spec import Basic, BasicProperties

DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"
REQUEST = b'{"args": [], "kwargs": {}}'
REPLY = b'{"result": {"ok": true}, "error": null}'


def serve(amqp_uri: str, queue: str, rpc_exchange: str | None = None, quorum: bool = False) -> None:
    """Answer every request on ``queue`` at once, through the default exchange to its ``reply_to``.

    With ``rpc_exchange``, requests published there as ``<queue>.<method>`` reach the queue too.
    With ``quorum``, the request queue is a quorum queue (replicated, as the event queues are)
    instead of a classic one (as the services' RPC queues are): what that choice costs a call.
    """
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    if quorum:  # durable, never auto-deleted: deleted when the server stops
        channel.queue_declare(queue, durable=True, arguments={"x-queue-type": "quorum"})
    else:
        channel.queue_declare(queue, auto_delete=True)
    if rpc_exchange:
        channel.exchange_declare(rpc_exchange, "topic", durable=True)
        channel.queue_bind(queue, rpc_exchange, routing_key=f"{queue}.*")

    def echo(ch: BlockingChannel, method: Basic.Deliver, properties: BasicProperties, body: bytes) -> None:
        reply = BasicProperties(correlation_id=properties.correlation_id, content_type="application/json")
        ch.basic_publish("", properties.reply_to, REPLY, reply)

    channel.basic_consume(queue, echo, auto_ack=True)
    print("ready", flush=True)
    try:
        channel.start_consuming()
    except KeyboardInterrupt:
        pass
    finally:
        if connection.is_open:
            if quorum:
                channel.queue_delete(queue)
            connection.close()


def measure(amqp_uri: str, queue: str, calls: int, warmup: int, timeout: float = 5.0) -> list[float]:
    """Seconds per serial round trip, ``warmup`` calls first left out."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        replies: dict[str, bytes] = {}

        def on_reply(ch: BlockingChannel, method: Basic.Deliver, properties: BasicProperties, body: bytes) -> None:
            replies[properties.correlation_id] = body

        # Direct reply-to requires consuming the pseudo-queue, no_ack, before publishing on the same channel.
        channel.basic_consume(DIRECT_REPLY_TO, on_reply, auto_ack=True)
        times: list[float] = []
        for n in range(warmup + calls):
            correlation_id = uuid.uuid4().hex
            properties = BasicProperties(
                reply_to=DIRECT_REPLY_TO, correlation_id=correlation_id, content_type="application/json"
            )
            started = time.perf_counter()
            channel.basic_publish("", queue, REQUEST, properties)
            deadline = started + timeout
            while correlation_id not in replies:
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"no reply from the echo server on {queue!r} within {timeout}s")
                connection.process_data_events(time_limit=1)
            elapsed = time.perf_counter() - started
            del replies[correlation_id]
            if n >= warmup:
                times.append(elapsed)
        return times
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("serve", "measure"))
    parser.add_argument("amqp_uri")
    parser.add_argument("queue")
    parser.add_argument("--rpc-exchange", help="also take requests from this (nameko RPC) exchange")
    parser.add_argument("--quorum", action="store_true", help="serve from a quorum queue instead of a classic one")
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=100)
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.amqp_uri, args.queue, args.rpc_exchange, args.quorum)
    else:
        print(f"{statistics.median(measure(args.amqp_uri, args.queue, args.calls, args.warmup)) * 1e3:.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
