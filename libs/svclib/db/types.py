"""Column types and tables every service's schema shares."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, BigInteger, Column, DateTime, Integer, MetaData, String, Table
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from svclib.times import utcnow


class UTCDateTime(TypeDecorator):
    """A timestamp that comes back timezone-aware in UTC from every backend (SQLite keeps none)."""

    impl = DateTime(timezone=True)
    cache_ok = True
    # On PostgreSQL, psycopg loads a timestamptz aware and the services bind aware times: nothing to process
    # (svclib.db.driver runs statements of it on psycopg).
    same_on_driver = True

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
