"""Applying a service's alembic migrations when it starts (or from a tool)."""

from __future__ import annotations

import threading
import zlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, OperationalError

from svclib.startup import with_backoff

_MIGRATING = threading.Lock()


def migrate(engine: Engine, migrations_dir: Path | str) -> None:
    """Apply the service's alembic migrations up to head.

    On PostgreSQL an advisory lock keeps replicas that start together from
    migrating at the same time; within one process, alembic's global context
    allows one migration at a time. While the database does not answer, it
    waits and tries again (``svclib.startup``); a migration is one transaction,
    so a try cut short leaves nothing behind.
    """
    with _MIGRATING:
        with_backoff(lambda: _migrate(engine, migrations_dir), "database", unreachable)


def unreachable(exc: Exception) -> bool:
    """The database is not answering (yet): starting, restarting, or out of connections."""
    return isinstance(exc, OperationalError | DisconnectionError)


def _migrate(engine: Engine, migrations_dir: Path | str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            key = zlib.crc32(str(migrations_dir).encode()) & 0x7FFFFFFF
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({key})")
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
