"""Inspect and replay events parked in dead-letter queues.

    python -m svclib.dlq list   identity.service content.service ...
    python -m svclib.dlq show   <queue>            # peek, leaves messages in place
    python -m svclib.dlq replay <queue> [--limit N]

``<queue>`` is a handler's queue name (``evt-identity-user_registered--feed.handle_user_registered``);
its parked messages live in ``<queue>.dead``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable

import kombu
from kombu import Queue

from svclib import settings
from svclib.events import ATTEMPTS_HEADER, FIRST_FAILED_HEADER
from svclib.topology import event_handlers, service_classes

# Headers a replayed message leaves behind: it starts again with a fresh retry budget.
FRESH = (ATTEMPTS_HEADER, FIRST_FAILED_HEADER, "x-error", "x-death", "x-original-queue")


def counts(module_names: Iterable[str], amqp_uri: str) -> dict[str, int]:
    result = {}
    with kombu.Connection(amqp_uri) as connection:
        channel = connection.channel()
        for handler in event_handlers(service_classes(module_names), {"AMQP_URI": amqp_uri}):
            name = f"{handler.queue.name}.dead"
            _, count, _ = Queue(name, durable=True)(channel).queue_declare(passive=True)
            result[name] = count
    return result


def peek(queue: str, amqp_uri: str, limit: int = 20) -> list[dict]:
    """The parked messages of ``queue``, left where they are."""
    messages = []
    with kombu.Connection(amqp_uri) as connection:
        channel = connection.channel()
        dead = Queue(f"{queue}.dead", durable=True)(channel)
        fetched = []
        for _ in range(limit):
            message = dead.get(no_ack=False)
            if message is None:
                break
            fetched.append(message)
            messages.append({"headers": message.headers or {}, "body": _body(message.body)})
        for message in fetched:
            message.requeue()
    return messages


def _body(raw: bytes | str):
    """A parked body as JSON when it is JSON, else as text (a parked message may be undecodable)."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    try:
        return json.loads(text)
    except ValueError:
        return text


def replay(queue: str, amqp_uri: str, limit: int | None = None) -> int:
    """Move parked messages back to their queue with a fresh retry budget."""
    moved = 0
    with kombu.Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        dead = Queue(f"{queue}.dead", durable=True)(channel)
        producer = kombu.Producer(connection)
        while limit is None or moved < limit:
            message = dead.get(no_ack=False)
            if message is None:
                break
            headers = {k: v for k, v in (message.headers or {}).items() if k not in FRESH}
            producer.publish(
                message.body,
                exchange="",
                routing_key=queue,
                content_type=message.content_type or "application/octet-stream",
                content_encoding=message.content_encoding or "binary",
                headers=headers,
                delivery_mode=2,
            )
            message.ack()
            moved += 1
    return moved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--amqp-uri", default=settings.amqp_uri())
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list").add_argument("modules", nargs="+")
    sub.add_parser("show").add_argument("queue")
    replay_parser = sub.add_parser("replay")
    replay_parser.add_argument("queue")
    replay_parser.add_argument("--limit", type=int)
    args = parser.parse_args(argv)
    if args.command == "list":
        for name, count in counts(args.modules, args.amqp_uri).items():
            print(f"{count:8d}  {name}")
    elif args.command == "show":
        # RabbitMQ's x-death header holds times, which JSON has no type for.
        print(json.dumps(peek(args.queue, args.amqp_uri), indent=2, default=str))
    else:
        print(f"replayed {replay(args.queue, args.amqp_uri, args.limit)} messages to {args.queue}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
