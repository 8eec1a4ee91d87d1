"""The unit of work: a change, the events describing it and the record of events applied, committed together."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Table, insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from svclib.contracts import SCHEMA_VERSION_HEADER, Event
from svclib.db.read import Read
from svclib.times import isoformat, utcnow

CARRIED = ("request_id", "traceparent")  # context data an event's headers carry on


class Transaction:
    """One unit of work: the session, the events it emits, the events it applied.

    ``connection`` runs Core statements (selects of columns) without the ORM
    session's bookkeeping; in a reading transaction the session is only made
    when something asks for it.
    """

    def __init__(
        self,
        session: Session | None,
        database: Transactions,
        context: dict | None = None,
        connection: Connection | None = None,
    ):
        self._session = session
        self._connection = connection
        self._database = database
        self._context = context or {}
        self.emitted: list[dict] = []

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = Session(bind=self.connection, expire_on_commit=False)
        return self._session

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            if self._session is not None:
                self._connection = self._session.connection()
            else:
                self._connection = self._database.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._connection

    def first(self, read: Read, params: dict) -> dict | None:
        """The first row of a prebuilt read, as a dict, or None."""
        if self._connection is None and self._session is None and read.runs_on(self._database.engine):
            return read.first_on_driver(self._database.engine, params)
        row = self.connection.execute(read.statement, params).first()
        return None if row is None else row._asdict()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
        if self._connection is not None:
            self._connection.close()

    def emit(self, event: Event) -> str:
        """Record an event (a type declared in its service's events.py, :mod:`svclib.contracts`)
        in the outbox, committed with everything else here."""
        event_id = str(uuid.uuid4())
        payload = {"event_id": event_id, "occurred_at": isoformat(utcnow()), event.entity: event.wire()}
        # The request's id and trace context travel with its events (svclib.tracing), and so does
        # the version of the event's schema.
        headers = {f"nameko.{k}": v for k, v in self._context.items() if k in CARRIED and v}
        headers[SCHEMA_VERSION_HEADER] = event.schema_version
        self.session.execute(
            insert(self._database.outbox).values(
                event_id=event_id,
                event_type=event.event_type,
                payload=payload,
                headers=headers,
                created_at=utcnow(),
            )
        )
        self.emitted.append(payload)
        return event_id

    def notify(self, channel: str) -> None:
        """``NOTIFY channel`` when this transaction commits (PostgreSQL only): its listeners forget what they keep."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text(f"NOTIFY {channel}"))

    def once(self, event_id: str, handler: str) -> bool:
        """True the first time ``handler`` sees ``event_id``; False on a redelivery."""
        table = self._database.processed
        seen = self.session.execute(
            select(table.c.event_id).where(table.c.event_id == event_id, table.c.handler == handler)
        ).first()
        if seen:
            return False
        self.session.execute(insert(table).values(event_id=event_id, handler=handler, processed_at=utcnow()))
        return True


class Transactions:
    """What opens transactions on one database: the service's dependency and the standalone database.

    Subclasses set ``engine``, ``sessionmaker``, ``outbox``, ``processed``,
    ``changes_channel`` and ``relay`` (the outbox relay to wake, or None).
    """

    engine: Engine
    sessionmaker: sessionmaker
    outbox: Table
    processed: Table
    changes_channel: str | None = None
    relay: Any = None

    def _init_transactions(self, changes_channel: str | None) -> None:
        self.changes_channel = changes_channel
        self._committed: list[Callable[[], None]] = []

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after each announced transaction of this process commits."""
        self._committed.append(callback)

    @contextmanager
    def transaction(self, context: dict | None = None, announce: bool = True) -> Iterator[Transaction]:
        """A transaction; unless ``announce`` is False, its commit is announced on ``changes_channel``
        (a change that no kept answer depends on need not make listeners forget them)."""
        with self.sessionmaker.begin() as session:
            tx = Transaction(session, self, context)
            yield tx
            if self.changes_channel and announce:
                tx.notify(self.changes_channel)
        if announce:
            for callback in self._committed:
                callback()
        if tx.emitted and self.relay:
            self.relay.wake()

    @contextmanager
    def reading(self, context: dict | None = None) -> Iterator[Transaction]:
        """For answers that change nothing: each statement in autocommit, no BEGIN or COMMIT.

        Its connection is taken from the pool when a statement first needs one.
        """
        tx = Transaction(None, self, context)
        try:
            yield tx
        finally:
            tx.close()

    def apply_once(self, payload: dict, handler: str, apply, *args, **kwargs):
        """Apply an incoming event once: ``apply(tx, ...)`` and its record commit together."""
        return apply_once(self.transaction, payload, handler, apply, *args, **kwargs)

    def apply_once_quietly(self, payload: dict, handler: str, apply, *args, **kwargs):
        """``apply_once`` in a transaction whose commit is not announced on ``changes_channel``."""
        return apply_once(lambda: self.transaction(announce=False), payload, handler, apply, *args, **kwargs)


def apply_once(transaction, payload: dict, handler: str, apply, *args, **kwargs):
    with transaction() as tx:
        if tx.once(payload["event_id"], handler):
            return apply(tx, *args, **kwargs)
    return None
