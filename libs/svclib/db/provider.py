"""The nameko dependency: a service's own database, migrated at start-up, with its outbox relay.

Its outbox (rows waiting, age of the oldest) and connection pool (in use, waiting) are
read when metrics are scraped (``svclib.metrics``)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from nameko.constants import DEFAULT_HEARTBEAT, HEARTBEAT_CONFIG_KEY
from nameko.extensions import DependencyProvider
from sqlalchemy import MetaData, func, select
from sqlalchemy.orm import sessionmaker

from svclib import metrics, settings
from svclib.db.engine import make_engine
from svclib.db.migrations import migrate, unreachable
from svclib.db.transaction import Transactions, apply_once
from svclib.outbox import OutboxRelay
from svclib.startup import with_backoff
from svclib.times import utcnow


def configured_url(container) -> str:
    """A service container's database URL: its config, else the environment, else its SQLite file."""
    config, service = container.config, container.service_name
    return config.get(f"{service.upper()}_DATABASE_URL") or config.get("DATABASE_URL") or settings.database_url(service)


class Database(Transactions, DependencyProvider):
    """Engine, migrations and outbox relay for one service's own database."""

    def __init__(
        self, metadata: MetaData, migrations_dir: Path | str | None, changes_channel: str | None = None, touches=None
    ):
        """``changes_channel``: every transaction announces its commit there (``NOTIFY``, on PostgreSQL),
        for processes that keep answers read from this database (``svclib.kept``). ``touches``: called
        with the sessionmaker, installs what records which kept answers a transaction's changes touch
        (tags, ``svclib.db.transaction.touch``); without it every change touches every answer."""
        self.metadata = metadata
        self.migrations_dir = Path(migrations_dir) if migrations_dir is not None else None
        self.outbox, self.processed = metadata.tables["outbox"], metadata.tables["processed_events"]
        self.engine = None
        self.relay = None
        self._init_transactions(changes_channel, touches)

    def setup(self) -> None:
        config = self.container.config
        service = self.container.service_name
        self.service = service
        self.engine = make_engine(configured_url(self.container))
        self.waiting = count_waiting(self.engine)
        if self.migrations_dir is None:
            with_backoff(lambda: self.metadata.create_all(self.engine), "database", unreachable)
        elif _truthy(config.get("MIGRATE_ON_START", True)):
            migrate(self.engine, self.migrations_dir)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self._sessions_made()
        self.relay = OutboxRelay(
            engine=self.engine,
            outbox=self.outbox,
            amqp_uri=config["AMQP_URI"],
            exchange_name=f"{service}.events",
            enabled=_truthy(config.get("OUTBOX_PUBLISH", True)),
            poll_interval=float(config.get("OUTBOX_POLL_INTERVAL", 1.0)),
            processed=self.processed,
            retention=timedelta(hours=float(config.get("EVENT_RETENTION_HOURS", 24 * 7))),
            heartbeat=int(config.get(HEARTBEAT_CONFIG_KEY, DEFAULT_HEARTBEAT)),
            published=metrics.OUTBOX_PUBLISHED.labels(service),
            confirm_timeout=float(settings.configured(config, "OUTBOX_CONFIRM_TIMEOUT", "30")),
        )
        metrics.serve_from(config)

    def start(self) -> None:
        self.container.spawn_managed_thread(self.relay.run)
        metrics.register("outbox", self)
        metrics.register("pool", self)

    def outbox_state(self) -> tuple[int, float]:
        """Unpublished outbox rows and the age in seconds of the oldest (0 when none)."""
        table = self.outbox
        query = select(func.count(), func.min(table.c.created_at)).where(table.c.published_at.is_(None))
        with self.engine.connect() as connection:
            count, oldest = connection.execute(query).one()
        return count, (utcnow() - oldest).total_seconds() if oldest is not None else 0.0

    def pool_state(self) -> tuple[int, int, int]:
        """The pool's size, its connections checked out, and the threads waiting for one."""
        pool = self.engine.pool
        size = pool.size() if hasattr(pool, "size") else 1
        in_use = pool.checkedout() if hasattr(pool, "checkedout") else 0
        return size, in_use, self.waiting()

    def stop(self) -> None:
        metrics.unregister(self)
        if self.relay:
            self.relay.stop()
        if self.engine:
            self.engine.dispose()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx) -> DatabaseHandle:
        return DatabaseHandle(self, worker_ctx.context_data)


def count_waiting(engine):
    """Count the threads inside the pool's ``connect`` (waiting for a connection); returns the reader."""
    pool, waiting = engine.pool, [0]
    connect = pool.connect

    def counted_connect():
        waiting[0] += 1
        try:
            return connect()
        finally:
            waiting[0] -= 1

    pool.connect = counted_connect
    return lambda: waiting[0]


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() not in ("0", "false", "no", "off", "")
    return bool(value)


class DatabaseHandle:
    """What a worker sees as ``self.db``: the database's transactions, carrying the worker's context."""

    def __init__(self, database: Database, context: dict):
        self._database = database
        self._context = context

    def transaction(self, announce: bool = True):
        return self._database.transaction(self._context, announce=announce)

    def apply_once(self, payload: dict, handler: str, apply, *args, **kwargs):
        """Apply an incoming event once: ``apply(tx, ...)`` and its record commit together."""
        return apply_once(self.transaction, payload, handler, apply, *args, **kwargs)

    def apply_once_quietly(self, payload: dict, handler: str, apply, *args, **kwargs):
        """``apply_once`` in a transaction whose commit is not announced on the changes channel."""
        return apply_once(lambda: self.transaction(announce=False), payload, handler, apply, *args, **kwargs)

    def reading(self):
        return self._database.reading(self._context)

    @property
    def engine(self):
        """The database's engine, for what runs outside a transaction (``CREATE INDEX CONCURRENTLY``)."""
        return self._database.engine
