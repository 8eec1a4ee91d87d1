"""``CommitBroadcast``: what a service's commits changed, told to every process that keeps a copy of it.

A service's kept answers are dropped by its own processes when PostgreSQL announces a commit
(``svclib.kept``); a client process that keeps some of those answers too (the gateway keeps
communities' summaries of subwikis) hears nothing of PostgreSQL. After each of this process's
announced transactions commits, this dependency publishes a message made from the tags it touched on a
fanout exchange; every listener drops what the message names. A message that cannot be published
(the broker away) is logged and lost: listeners bound how long they keep anything, and keep nothing
while they cannot hear the exchange.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import eventlet
from kombu import Exchange
from nameko.amqp.publish import Publisher
from nameko.extensions import DependencyProvider

from svclib.db import Database

log = logging.getLogger(__name__)

Message = Callable[[frozenset[str] | None], dict | None]


def tags_message(touched: frozenset[str] | None, left_out: str | None = None) -> dict | None:
    """The message telling what a commit touched: ``{"tags": [...]}`` (sorted; those starting with ``left_out``,
    which no listener keeps anything by, left out), ``{"tags": None}`` when it may have touched anything; None
    when it touched nothing a listener keeps."""
    if touched is None:
        return {"tags": None}
    tags = sorted(tag for tag in touched if left_out is None or not tag.startswith(left_out))
    return {"tags": tags} if tags else None


def with_xacts(message: dict, xacts: list[int] | None) -> dict:
    """``message`` naming the transactions it tells, when every one is known."""
    return {**message, "xacts": sorted(xacts)} if xacts else message


class CommitBroadcast(DependencyProvider):
    """After each announced commit of the ``database`` dependency (its attribute name) in this process,
    ``message(touched)`` (``touched``: the tags, or None for everything) published on the fanout
    ``exchange``, unless it is None (nothing the listeners keep changed).

    With ``gather`` (seconds), the commits of that long are told in one message, made from every tag they
    touched: a service that commits many times a second (the feed, each event it applies) sends a few messages
    a second instead, off its workers' path; a listener hears of a change that much later at most.

    On PostgreSQL a message also names the transactions it tells (``"xacts"``: their ids, ``pg_current_xact_id``):
    a listener holding an answer read with a snapshot that saw them all (``svclib.snapshots``) knows the answer
    holds the change, and keeps it (``gateway.pagetags``)."""

    def __init__(self, database: str, exchange: str, message: Message, gather: float = 0.0):
        self.database = database
        self.exchange = Exchange(exchange, type="fanout", durable=True, auto_delete=False)
        self.message = message
        self.gather = gather
        self._lock = threading.Lock()
        self._gathered: set[str] | None = set()  # None: a commit may have touched anything
        self._xacts: list[int] | None = []  # the gathered commits' ids; None once one is not known
        self._due = False  # a message of what was gathered is on its way

    def setup(self) -> None:
        database = next(d for d in self.container.dependencies if d.attr_name == self.database)
        if not isinstance(database, Database):
            raise TypeError(f"{self.database} must be a Database")
        self.publisher = Publisher(
            self.container.config["AMQP_URI"], serializer="json", declare=[self.exchange], retry=False
        )
        database.on_commit(self.committed, xact=True)

    def committed(self, touched: frozenset[str] | None, xact: int | None = None) -> None:
        message = self.message(touched)
        if message is None:
            return
        if self.gather <= 0:
            self._send(with_xacts(message, None if xact is None else [xact]))
            return
        with self._lock:
            self._gathered = None if touched is None or self._gathered is None else self._gathered | touched
            self._xacts = None if xact is None or self._xacts is None else [*self._xacts, xact]
            if self._due:
                return
            self._due = True
        self.container.spawn_managed_thread(self._publish_gathered, identifier=f"broadcast {self.exchange.name}")

    def _publish_gathered(self) -> None:
        eventlet.sleep(self.gather)
        with self._lock:
            touched = None if self._gathered is None else frozenset(self._gathered)
            xacts = self._xacts
            self._gathered, self._xacts, self._due = set(), [], False
        message = self.message(touched)
        if message is not None:
            self._send(with_xacts(message, xacts))

    def _send(self, message: dict) -> None:
        try:
            self.publisher.publish(message, exchange=self.exchange, routing_key="")
        except Exception as exc:  # noqa: BLE001 - the commit stands; listeners keep nothing past their bound
            log.warning("could not broadcast a change on %s: %s", self.exchange.name, exc)

    def get_dependency(self, worker_ctx) -> CommitBroadcast:
        return self
