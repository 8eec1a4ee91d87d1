"""SQLAlchemy 2 for nameko services: engines, migrations, transactions, outbox.

A service declares ``db = Database(metadata, migrations_dir)``. Its workers get
a :class:`DatabaseHandle`; ``with self.db.transaction() as tx:`` opens one
transaction in which the change, the events describing it (``tx.emit``) and the
record that an incoming event was applied (``tx.once``) commit together.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# psycopg 3 must wait with select() so that eventlet's hub keeps running.
os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

import psycopg
from alembic import command
from alembic.config import Config
from nameko.extensions import DependencyProvider
from psycopg.rows import dict_row
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from svclib import settings

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(value: str) -> datetime:
    """A time written by ``isoformat`` (or any ISO 8601 time with an offset), aware, in UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def normalise_url(url: str) -> str:
    """Plain ``postgresql://`` URLs use psycopg 3, the driver this stack pins."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1] if ":///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        else:
            kwargs.setdefault("poolclass", StaticPool)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine)
    return engine


IDLE_BEFORE_PING = 10.0


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only when it sat idle a while.

    ``pool_pre_ping`` costs a round trip on every checkout; a connection handed
    back moments ago is alive, and one that broke since is replaced.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        if time.monotonic() - record.info.get("checked_in", 0.0) < IDLE_BEFORE_PING:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()
        except Exception as exc:
            raise DisconnectionError() from exc


class UTCDateTime(TypeDecorator):
    """A timestamp that comes back timezone-aware in UTC from every backend (SQLite keeps none)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Timestamps:
    """``created_at`` and ``updated_at`` on every model of a service's ``Base``."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


def plumbing_tables(metadata: MetaData) -> tuple[Table, Table]:
    """The outbox and processed-events tables, attached to a service's metadata."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("payload", JSON, nullable=False),
        Column("headers", JSON, nullable=False, default=dict),
        Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
        Column("published_at", UTCDateTime(), nullable=True, index=True),
    )
    processed = Table(
        "processed_events",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("handler", String(200), primary_key=True),
        Column("processed_at", UTCDateTime(), nullable=False, default=utcnow),
    )
    return outbox, processed


_MIGRATING = threading.Lock()


def migrate(engine: Engine, migrations_dir: Path | str) -> None:
    """Apply the service's alembic migrations up to head.

    On PostgreSQL an advisory lock keeps replicas that start together from
    migrating at the same time; within one process, alembic's global context
    allows one migration at a time.
    """
    with _MIGRATING:
        _migrate(engine, migrations_dir)


def _migrate(engine: Engine, migrations_dir: Path | str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            key = zlib.crc32(str(migrations_dir).encode()) & 0x7FFFFFFF
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({key})")
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


class Read:
    """A select built once and run on nearly every request: profiles, callers.

    Through SQLAlchemy's Connection, its execution context and its result, such a
    read costs the service about twice what psycopg itself spends on it. On
    PostgreSQL, in a reading transaction, it runs straight on a pooled psycopg
    connection with the SQL SQLAlchemy compiled once, and rows come back as dicts
    of the values psycopg loads (the same ones SQLAlchemy would hand over for
    these column types). Elsewhere, or inside a unit of work, it goes through
    the transaction's connection. Parameters reach psycopg as they are: plain
    values with no bind processing, and no lists expanded into ``IN``.
    """

    def __init__(self, statement: Any):
        self.statement = statement
        self._sql: str | None = None

    def runs_on(self, engine: Engine) -> bool:
        return engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"

    def first_on_driver(self, engine: Engine, params: dict) -> dict | None:
        if self._sql is None:
            bound = self.statement.params({name: None for name in params})
            self._sql = bound.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True}).string
        pooled = engine.raw_connection()
        try:
            driver = pooled.driver_connection
            driver.autocommit = True
            try:
                with driver.cursor(row_factory=dict_row) as cursor:
                    cursor.execute(self._sql, params)
                    return cursor.fetchone()
            finally:
                driver.autocommit = False
        except (psycopg.OperationalError, psycopg.InterfaceError):
            pooled.invalidate()
            raise
        finally:
            pooled.close()


class Transaction:
    """One unit of work: the session, the events it emits, the events it applied.

    ``connection`` runs Core statements (selects of columns) without the ORM
    session's bookkeeping; in a reading transaction the session is only made
    when something asks for it.
    """

    def __init__(
        self,
        session: Session | None,
        database: Database,
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

    def emit(self, event_type: str, entity: str, data: dict) -> str:
        """Record an event in the outbox, committed with everything else here."""
        event_id = str(uuid.uuid4())
        payload = {"event_id": event_id, "occurred_at": isoformat(utcnow()), entity: data}
        headers = {f"nameko.{k}": v for k, v in self._context.items() if k == "request_id"}
        self.session.execute(
            insert(self._database.outbox).values(
                event_id=event_id,
                event_type=event_type,
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


def configured_url(container) -> str:
    """A service container's database URL: its config, else the environment, else its SQLite file."""
    config, service = container.config, container.service_name
    return config.get(f"{service.upper()}_DATABASE_URL") or config.get("DATABASE_URL") or settings.database_url(service)


class Database(DependencyProvider):
    """Engine, migrations and outbox relay for one service's own database."""

    def __init__(self, metadata: MetaData, migrations_dir: Path | str | None, changes_channel: str | None = None):
        """``changes_channel``: every transaction announces its commit there (``NOTIFY``, on PostgreSQL),
        for processes that keep answers read from this database (``svclib.kept``)."""
        self.metadata = metadata
        self.migrations_dir = Path(migrations_dir) if migrations_dir is not None else None
        self.outbox, self.processed = metadata.tables["outbox"], metadata.tables["processed_events"]
        self.engine: Engine | None = None
        self.relay = None
        self.changes_channel = changes_channel
        self._committed: list[Callable[[], None]] = []

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after each transaction of this process commits."""
        self._committed.append(callback)

    def setup(self) -> None:
        from svclib.outbox import OutboxRelay

        config = self.container.config
        service = self.container.service_name
        self.engine = make_engine(configured_url(self.container))
        if self.migrations_dir is None:
            self.metadata.create_all(self.engine)
        elif _truthy(config.get("MIGRATE_ON_START", True)):
            migrate(self.engine, self.migrations_dir)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self.relay = OutboxRelay(
            engine=self.engine,
            outbox=self.outbox,
            amqp_uri=config["AMQP_URI"],
            exchange_name=f"{service}.events",
            enabled=_truthy(config.get("OUTBOX_PUBLISH", True)),
            poll_interval=float(config.get("OUTBOX_POLL_INTERVAL", 1.0)),
            processed=self.processed,
            retention=timedelta(hours=float(config.get("EVENT_RETENTION_HOURS", 24 * 7))),
        )

    def start(self) -> None:
        self.container.spawn_managed_thread(self.relay.run)

    def stop(self) -> None:
        if self.relay:
            self.relay.stop()
        if self.engine:
            self.engine.dispose()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx) -> DatabaseHandle:
        return DatabaseHandle(self, worker_ctx.context_data)

    @contextmanager
    def transaction(self, context: dict | None = None) -> Iterator[Transaction]:
        with self.sessionmaker.begin() as session:
            tx = Transaction(session, self, context)
            yield tx
            if self.changes_channel:
                tx.notify(self.changes_channel)
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


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() not in ("0", "false", "no", "off", "")
    return bool(value)


class DatabaseHandle:
    """What a worker sees as ``self.db``."""

    def __init__(self, database: Database, context: dict):
        self._database = database
        self._context = context

    def transaction(self):
        return self._database.transaction(self._context)

    def apply_once(self, payload: dict, handler: str, apply, *args, **kwargs):
        """Apply an incoming event once: ``apply(tx, ...)`` and its record commit together."""
        return _apply_once(self.transaction, payload, handler, apply, *args, **kwargs)

    def reading(self):
        return self._database.reading(self._context)

    @property
    def dialect(self) -> str:
        return self._database.engine.dialect.name


class StandaloneDatabase:
    """The same transaction interface without a container: tools, tests, seeding."""

    def __init__(self, metadata: MetaData, url: str, migrations_dir: Path | str | None = None):
        self.outbox, self.processed = metadata.tables["outbox"], metadata.tables["processed_events"]
        self.engine = make_engine(url)
        if migrations_dir is not None:
            migrate(self.engine, migrations_dir)
        else:
            metadata.create_all(self.engine)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self.relay = None
        self.changes_channel = None
        self._committed: list[Callable[[], None]] = []

    transaction = Database.transaction
    reading = Database.reading

    def apply_once(self, payload: dict, handler: str, apply, *args, **kwargs):
        return _apply_once(self.transaction, payload, handler, apply, *args, **kwargs)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()


def _apply_once(transaction, payload: dict, handler: str, apply, *args, **kwargs):
    with transaction() as tx:
        if tx.once(payload["event_id"], handler):
            return apply(tx, *args, **kwargs)
    return None
