"""Declare every consumer queue before any publisher sends.

Events go to topic exchanges; a message that matches no queue is dropped. The
start-up of the whole system (``make run``, the compose ``topology`` job, the
Kubernetes init job) therefore declares the queue of every event handler of
every service first, so that an event published while its consumer is down
waits in the queue.

    python -m svclib.topology identity.service communities.service ...

The event queues are quorum queues (:mod:`svclib.queues`); queues declared before as
classic ones are migrated here, keeping their messages: run it with the consumers
stopped (it runs before the services in ``make run``, compose and Kubernetes).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import logging
import sys
from collections.abc import Iterable, Iterator

import kombu
from nameko.containers import ServiceContainer

from svclib import settings
from svclib.events import TRANSIENT, ReliableEventHandler, classify
from svclib.startup import with_backoff

log = logging.getLogger(__name__)


def service_classes(module_names: Iterable[str]) -> Iterator[type]:
    for module_name in module_names:
        module = importlib.import_module(module_name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ == module.__name__ and isinstance(getattr(obj, "name", None), str):
                yield obj


def event_handlers(classes: Iterable[type], config: dict) -> Iterator[ReliableEventHandler]:
    for cls in classes:
        container = ServiceContainer(cls, config)
        for entrypoint in container.entrypoints:
            if isinstance(entrypoint, ReliableEventHandler):
                entrypoint.setup()
                yield entrypoint


def declare(module_names: Iterable[str], amqp_uri: str) -> list[str]:
    """Declare exchanges and queues for every event handler, moving queues declared otherwise before
    (classic ones) to quorum queues with their messages; returns the queue names."""
    config = {"AMQP_URI": amqp_uri}
    names = []
    with kombu.Connection(amqp_uri) as connection:
        connection.ensure_connection(max_retries=10, interval_start=0.5, interval_step=0.5)
        for handler in event_handlers(service_classes(module_names), config):
            moved = handler.declare(connection, migrate_existing=True)
            if moved:
                log.info("%s: %d messages kept through its migration", handler.queue.name, moved)
            names.append(handler.queue.name)
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="+", help="modules holding nameko service classes")
    parser.add_argument("--amqp-uri", default=settings.amqp_uri())
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # Declaring is idempotent: after a passing fault (the broker restarting, or too busy to start a quorum
    # queue in time) the whole declaration is made again, with back-off, for up to STARTUP_WAIT_SECONDS.
    names = with_backoff(lambda: declare(args.modules, args.amqp_uri), "broker", lambda exc: classify(exc) == TRANSIENT)
    log.info("declared %d event queues", len(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
