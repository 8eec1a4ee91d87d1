"""The outbox relay: publishes committed events with publisher confirms.

Events are written to the outbox table in the same transaction as the change
they describe. The relay reads unpublished rows in order, publishes each to the
service's nameko events exchange with confirms, and only then marks it
published. A process that dies between commit and publish loses nothing: the
rows are still unpublished when it (or another replica) starts again.

Between batches the relay keeps its broker connection's heartbeats (reading
what the broker sent, answering and checking its beats), so a connection the
broker closed or stopped answering on is noticed within a heartbeat or two and
replaced before the next event, not discovered by the next publish.

A publish waits at most ``confirm_timeout`` seconds to be written and confirmed
(``OUTBOX_CONFIRM_TIMEOUT``, 30 by default). Without a bound, a connection that
went silent mid-batch (a network that drops packets instead of refusing them, a
broker that stops reading) would hold the relay, and the locks of its batch's
rows that another replica's relay skips, until the process ends: no event of the
service would go out. Past the bound the batch is rolled back, the connection
dropped without the closing handshake a silent broker would never answer, and
the batch sent again on a new connection; consumers apply an event once
whatever the copies.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from datetime import timedelta

import kombu
from kombu import Exchange
from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.engine import Engine

from svclib import jsontext
from svclib.times import utcnow

log = logging.getLogger(__name__)

BATCH_SIZE = 200
PRUNE_EVERY_SECONDS = 600


class OutboxRelay:
    def __init__(
        self,
        engine: Engine,
        outbox: Table,
        amqp_uri: str,
        exchange_name: str,
        enabled: bool = True,
        poll_interval: float = 1.0,
        processed: Table | None = None,
        retention: timedelta = timedelta(days=7),
        heartbeat: int = 60,
        published=None,
        confirm_timeout: float = 30.0,
    ):
        self.engine = engine
        self.outbox = outbox
        self.amqp_uri = amqp_uri
        self.exchange = Exchange(exchange_name, type="topic", durable=True, delivery_mode=2)
        self.enabled = enabled
        self.poll_interval = poll_interval
        self._wake = threading.Event()
        self._running = True
        self._connection: kombu.Connection | None = None
        self._producer: kombu.Producer | None = None
        self.processed = processed
        self.retention = retention
        self.heartbeat = heartbeat
        self.published = published  # a counter of events published (svclib.metrics), or None
        self.confirm_timeout = confirm_timeout
        self._next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
        self._looping = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Stop the loop; it closes its connection itself as it ends (a connection is never used by two threads
        at once: a close from here could meet the loop's own read of it). Outside the loop, closed here."""
        self._running = False
        self._wake.set()
        if not self._looping:
            self._close()

    def run(self) -> None:
        if not self.enabled:
            log.warning("outbox publishing is disabled; events stay in the outbox")
            return
        failures = 0
        self._looping = True
        try:
            while self._running:
                try:
                    while self._running and self.publish_pending() == BATCH_SIZE:
                        pass
                    if time.monotonic() >= self._next_prune:
                        self.prune()
                    failures = 0
                except Exception:
                    failures += 1
                    log.exception("outbox relay failed; retrying")
                    self._drop()
                delay = min(30.0, self.poll_interval * (2**failures)) if failures else self.poll_interval
                self._wake.wait(timeout=delay)
                self._wake.clear()
                if self._running:
                    self.keep_alive()
        finally:
            self._looping = False
            self._close()

    def keep_alive(self) -> None:
        """Read what the broker sent and check heartbeats; drop the connection if it is gone."""
        connection = self._connection
        if connection is None or not self.heartbeat:
            return
        try:
            try:
                connection.drain_events(timeout=0.01)
            except TimeoutError:
                pass
            connection.heartbeat_check()
        except Exception as exc:
            log.warning("outbox relay: broker connection lost (%s); reconnecting at the next event", exc)
            self._drop()

    def publish_pending(self) -> int:
        """Publish one batch of unpublished events; returns how many were sent."""
        from svclib.db import driver  # here: svclib.db's package imports this module

        with self.engine.begin() as connection:
            pending, published = _relay_statements(self.outbox, connection.dialect.name)
            rows = connection.execute(pending).all()
            if not rows:
                return 0
            producer = self._get_producer()
            for row in rows:
                producer.publish(
                    jsontext.dumps(row.payload),
                    exchange=self.exchange,
                    routing_key=row.event_type,
                    content_type="application/json",
                    content_encoding="utf-8",
                    delivery_mode=2,
                    headers=dict(row.headers or {}),
                    message_id=row.event_id,
                    declare=[self.exchange],
                    retry=False,
                    timeout=self.confirm_timeout,
                    confirm_timeout=self.confirm_timeout,
                )
            driver.execute(connection, published, {"ids": [row.id for row in rows], "now": utcnow()})
        if self.published is not None:
            self.published.inc(len(rows))
        return len(rows)

    def prune(self) -> None:
        """Forget published events and applied-event records older than the retention.

        The retention outlasts any redelivery (retries back off for minutes, not days),
        so a duplicate still finds its record.
        """
        self._next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
        cutoff = utcnow() - self.retention
        with self.engine.begin() as connection:
            connection.execute(delete(self.outbox).where(self.outbox.c.published_at < cutoff))
            if self.processed is not None:
                connection.execute(delete(self.processed).where(self.processed.c.processed_at < cutoff))

    def _get_producer(self) -> kombu.Producer:
        if self._producer is None:
            self._connection = kombu.Connection(
                self.amqp_uri, transport_options={"confirm_publish": True}, heartbeat=self.heartbeat
            )
            self._connection.ensure_connection(max_retries=1)
            self._producer = kombu.Producer(self._connection)
        return self._producer

    def _drop(self) -> None:
        """Forget a connection that failed without closing it with the broker: a close waits for the broker's
        answer, which a silent connection never gives."""
        self._close(graceful=False)

    def _close(self, graceful: bool = True) -> None:
        if self._connection is not None:
            try:
                if graceful:
                    self._connection.release()
                else:
                    self._connection.collect()
            except Exception:  # the connection is being dropped anyway
                pass
        self._connection = None
        self._producer = None


@functools.cache
def _relay_statements(table: Table, dialect: str):
    """The relay's two statements, built once per outbox and dialect: a batch of unpublished rows (locked, skipping
    those another relay holds, on PostgreSQL), and the rows bound as ``:ids`` marked published at ``:now`` (on
    psycopg there: ``svclib.db.driver``)."""
    pending = select(table).where(table.c.published_at.is_(None)).order_by(table.c.id).limit(BATCH_SIZE)
    if dialect == "postgresql":
        pending = pending.with_for_update(skip_locked=True)
    from svclib.db import driver  # svclib.db's package imports this module

    now = bindparam("now")
    published = update(table).where(driver.one_of(table.c.id, "ids", dialect)).values(published_at=now)
    return pending, published
