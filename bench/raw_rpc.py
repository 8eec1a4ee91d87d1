"""The floor: AMQP request/reply with RabbitMQ's direct reply-to, pika at both ends.

python -m bench.raw_rpc serve <amqp-uri> <queue>   # the echo server (own process)
"""

from __future__ import annotations

import statistics
import sys
import time
import uuid

import pika


def serve(amqp_uri: str, queue: str) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.queue_declare(queue, auto_delete=True)

    def reply(ch, method, properties, body):
        ch.basic_publish(
            "",
            properties.reply_to,
            b'{"result": {"ok": true}, "error": null}',
            pika.BasicProperties(correlation_id=properties.correlation_id, content_type="application/json"),
        )

    channel.basic_consume(queue, reply, auto_ack=True)
    print("ready", flush=True)
    channel.start_consuming()


def measure(amqp_uri: str, queue: str, calls: int, warmup: int) -> list[float]:
    """Seconds per serial round trip."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    answers: dict[str, bytes] = {}

    def on_reply(ch, method, properties, body):
        answers[properties.correlation_id] = body

    channel.basic_consume("amq.rabbitmq.reply-to", on_reply, auto_ack=True)
    times = []
    for n in range(warmup + calls):
        correlation_id = uuid.uuid4().hex
        started = time.perf_counter()
        channel.basic_publish(
            "",
            queue,
            b'{"args": [], "kwargs": {}}',
            pika.BasicProperties(
                reply_to="amq.rabbitmq.reply-to", correlation_id=correlation_id, content_type="application/json"
            ),
        )
        while correlation_id not in answers:
            connection.process_data_events(time_limit=1)
        answers.pop(correlation_id)
        if n >= warmup:
            times.append(time.perf_counter() - started)
    connection.close()
    return times


if __name__ == "__main__" and sys.argv[1:2] == ["serve"]:
    serve(sys.argv[2], sys.argv[3])
elif __name__ == "__main__":
    print(statistics.median(measure(sys.argv[1], sys.argv[2], 1000, 100)))
