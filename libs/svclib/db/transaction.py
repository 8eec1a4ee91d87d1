"""The unit of work: a change, the events describing it and the record of events applied, committed together."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Table, bindparam, insert, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from svclib.contracts import SCHEMA_VERSION_HEADER, Event
from svclib.db import driver
from svclib.db.read import Read
from svclib.times import isoformat, utcnow

CARRIED = ("request_id", "traceparent")  # context data an event's headers carry on
# A transaction's session.info holds, under TOUCHED, what its changes touched: tags naming the kept
# answers they can change (``svclib.kept``), or EVERYTHING. Tags are announced with the commit.
TOUCHED = "touched"
EVERYTHING = None
NOTIFY_BYTES = 7900  # PostgreSQL's payload limit is 8000 bytes: longer lists are sent in parts
NOTIFY_PARTS = 16  # beyond this many parts, "everything" is shorter and as true


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

    def rows(self, statement, params: dict) -> list:
        """Every row of a prebuilt ``statement`` run with ``params``: on PostgreSQL straight on psycopg where
        nothing needs SQLAlchemy's processing (``svclib.db.driver``), else through the connection."""
        return driver.all_rows(self.connection, statement, params)

    def row(self, statement, params: dict):
        """The first row of a prebuilt ``statement`` run with ``params``, or None (as ``rows``)."""
        return driver.first_row(self.connection, statement, params)

    def run(self, statement, params: dict) -> int:
        """Run a prebuilt change returning no rows (as ``rows``): how many rows it changed."""
        return driver.execute(self.connection, statement, params)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
        if self._connection is not None:
            self._connection.close()

    def emit(self, event: Event) -> str:
        """Record an event (a type declared in its service's events.py, :mod:`svclib.contracts`)
        in the outbox, committed with everything else here."""
        return self.emit_all([event])[0]

    def emit_all(self, events: list[Event]) -> list[str]:
        """Record several events in the outbox, in this order, with one statement (a batch of rows)."""
        rows = []
        # The request's id and trace context travel with its events (svclib.tracing), and so does
        # the version of the event's schema.
        carried = {f"nameko.{k}": v for k, v in self._context.items() if k in CARRIED and v}
        for event in events:
            event_id = str(uuid.uuid4())
            payload = {"event_id": event_id, "occurred_at": isoformat(utcnow()), event.entity: event.wire()}
            headers = {**carried, SCHEMA_VERSION_HEADER: event.schema_version}
            rows.append(
                {
                    "event_id": event_id,
                    "event_type": event.event_type,
                    "payload": payload,
                    "headers": headers,
                    "created_at": utcnow(),
                }
            )
        if rows:
            # On the session's connection, as a prebuilt Core statement: no ORM bookkeeping, compiled once.
            self.connection.execute(_outbox_insert(self._database.outbox), rows if len(rows) > 1 else rows[0])
        self.emitted.extend(row["payload"] for row in rows)
        return [row["event_id"] for row in rows]

    def touch(self, *tags: str) -> None:
        """Tell listeners that this transaction's changes touch the answers tagged ``tags``."""
        touch(self.session, tags)

    def touched(self, tagged: bool) -> frozenset[str] | None:
        """What this transaction's changes touched, once flushed: tags, or EVERYTHING (None). Where
        changes are not ``tagged`` (the database has no ``touches``), they touch everything unless a
        tag was given."""
        self.session.flush()
        default = set() if tagged else EVERYTHING
        touched = self.session.info.get(TOUCHED, default)
        return EVERYTHING if touched is EVERYTHING else frozenset(touched)

    def notify(self, channel: str, touched: frozenset[str] | None = EVERYTHING) -> int | None:
        """``NOTIFY channel`` when this transaction commits (PostgreSQL only): its listeners forget what they keep,
        only the answers tagged ``touched`` when given (the payload: tags separated by spaces; empty: everything).
        Returns the transaction's id (``pg_current_xact_id``, in the same statement): a reader's snapshot
        (``pg_current_snapshot``) tells whether it saw this commit (``svclib.snapshots``). None elsewhere."""
        if self.session.get_bind().dialect.name != "postgresql":
            return None
        xact = None
        connection = self.connection  # the session's: the notice is sent with its commit
        for payload in notification_payloads(touched):
            row = driver.first_row(connection, _NOTIFY, {"channel": channel, "payload": payload})
            xact = int(row[1])
        return xact

    def once(self, event_id: str, handler: str) -> bool:
        """True the first time ``handler`` sees ``event_id``; False on a redelivery.

        One statement, the record inserted unless there: a second delivery arriving while the first
        is being applied waits for the first's commit (on the row's key), then finds it there; if the
        first rolled back, the second applies the event."""
        statement = _record_once(self._database.processed, self.connection.dialect.name)
        params = {"event_id": event_id, "handler": handler, "processed_at": utcnow()}
        return driver.first_row(self.connection, statement, params) is not None


_OUTBOX_INSERT: dict[Table, Any] = {}


def _outbox_insert(table: Table):
    """``INSERT INTO outbox`` with every value a parameter, built once per table."""
    statement = _OUTBOX_INSERT.get(table)
    if statement is None:
        columns = ("event_id", "event_type", "payload", "headers", "created_at")
        statement = _OUTBOX_INSERT[table] = insert(table).values({name: bindparam(name) for name in columns})
    return statement


_RECORD_ONCE: dict[tuple[Table, str], Any] = {}


def _record_once(table: Table, dialect: str):
    """``INSERT INTO processed_events ... ON CONFLICT DO NOTHING RETURNING``, built once per table and dialect
    (the statement is compiled once too, by SQLAlchemy's cache): it returns a row only when it inserted one."""
    statement = _RECORD_ONCE.get((table, dialect))
    if statement is None:
        insert_into = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert_into(table)
            .values(
                event_id=bindparam("event_id"), handler=bindparam("handler"), processed_at=bindparam("processed_at")
            )
            .on_conflict_do_nothing()
            .returning(table.c.event_id)
        )
        _RECORD_ONCE[(table, dialect)] = statement
    return statement


def touch(session: Session, tags) -> None:
    """Record in ``session`` that its transaction touches ``tags`` (EVERYTHING, None, for all answers)."""
    if tags is EVERYTHING:
        session.info[TOUCHED] = EVERYTHING
        return
    touched = session.info.setdefault(TOUCHED, set())
    if touched is not EVERYTHING:
        touched.update(tags)


_NOTIFY = text("SELECT pg_notify(:channel, :payload), pg_current_xact_id()::text")


def notification_payloads(touched: frozenset[str] | None) -> list[str]:
    """The notifications announcing ``touched``: none for no tag, one empty payload for everything."""
    if touched is EVERYTHING:
        return [""]
    payloads: list[str] = []
    part: list[str] = []
    size = 0
    for tag in sorted(touched):
        if part and size + len(tag) + 1 > NOTIFY_BYTES:
            payloads.append(" ".join(part))
            part, size = [], 0
        part.append(tag)
        size += len(tag.encode()) + 1
    if part:
        payloads.append(" ".join(part))
    return payloads if len(payloads) <= NOTIFY_PARTS else [""]


def touched_tags(payload: str) -> frozenset[str] | None:
    """The tags a notification's payload announces (EVERYTHING for an empty one)."""
    tags = frozenset(payload.split())
    return tags or EVERYTHING


class Transactions:
    """What opens transactions on one database: the service's dependency and the standalone database.

    Subclasses set ``engine``, ``sessionmaker``, ``outbox``, ``processed``,
    ``changes_channel`` and ``relay`` (the outbox relay to wake, or None), then call
    ``_init_transactions``; ``touches``, when given, is called with the sessionmaker to install
    what records the tags each transaction touches (``svclib.kept``): without it, every
    announced transaction touches everything.
    """

    engine: Engine
    sessionmaker: sessionmaker
    outbox: Table
    processed: Table
    changes_channel: str | None = None
    relay: Any = None

    def _init_transactions(self, changes_channel: str | None, touches: Callable | None = None) -> None:
        self.changes_channel = changes_channel
        self._committed: list[tuple[Callable[..., None], bool]] = []
        self.tagged = touches is not None
        self._touches = touches

    def _sessions_made(self) -> None:
        """Once ``sessionmaker`` is set: what records the tags its sessions' changes touch."""
        if self._touches is not None:
            self._touches(self.sessionmaker)

    def on_commit(self, callback: Callable[..., None], xact: bool = False) -> None:
        """Call ``callback(touched)`` after each announced transaction of this process commits that touched
        something: ``touched`` its tags, or EVERYTHING (None); with ``xact``, ``callback(touched, xact)``, ``xact``
        the transaction's id on PostgreSQL (``Transaction.notify``), else None."""
        self._committed.append((callback, xact))

    @contextmanager
    def transaction(self, context: dict | None = None, announce: bool = True) -> Iterator[Transaction]:
        """A transaction; unless ``announce`` is False, its commit is announced on ``changes_channel``
        (a change that no kept answer depends on need not make listeners forget them)."""
        touched, xact = frozenset(), None
        with self.sessionmaker.begin() as session:
            tx = Transaction(session, self, context)
            yield tx
            if announce:
                touched = tx.touched(self.tagged)
                if self.changes_channel:
                    xact = tx.notify(self.changes_channel, touched)
        if touched is EVERYTHING or touched:
            for callback, with_xact in self._committed:
                if with_xact:
                    callback(touched, xact)
                else:
                    callback(touched)
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
