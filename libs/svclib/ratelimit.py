"""Rate limits as fixed-window counters in the service's own database, one statement per hit.

A service adds the table to its metadata and creates it in a migration::

    RATE_LIMITS = rate_limits_table(Base.metadata)        # models.py
    create_rate_limits_table(op.get_bind())               # a migration

and checks a limit where the action happens::

    POSTS = RateLimit.from_env("POSTS", limit=30, window_seconds=3600)   # RATE_LIMIT_POSTS_LIMIT, ..._WINDOW_SECONDS
    POSTS.hit(tx, RATE_LIMITS, user_id)                  # raises RateLimited(retry_after=...) when over

``hit`` counts and checks in one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``: racing
requests of one subject are counted one after another by the row's lock, so no more than
``limit`` pass in a window, on every replica. The count commits with the transaction it runs
in: inside the action's transaction, an action that fails is not counted; to count failures
(failed logins), hit in a transaction of its own. Each subject keeps one row, reused window
after window; ``prune`` forgets those idle for a day.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, case, delete
from sqlalchemy.dialects import postgresql, sqlite

from svclib import settings
from svclib.db import Transaction, UTCDateTime, utcnow
from svclib.exceptions import RateLimited


def rate_limits_table(metadata: MetaData) -> Table:
    return Table(
        "rate_limits",
        metadata,
        Column("key", String(200), primary_key=True),
        Column("window", BigInteger, nullable=False),
        Column("count", Integer, nullable=False),
        Column("updated_at", UTCDateTime(), nullable=False, index=True),
    )


def create_rate_limits_table(bind) -> None:
    metadata = MetaData()
    rate_limits_table(metadata)
    metadata.create_all(bind)


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` hits per subject in each window of ``window_seconds``."""

    name: str
    limit: int
    window_seconds: int
    message: str = "Too many requests; try again later."

    @classmethod
    def from_env(cls, name: str, limit: int, window_seconds: int, message: str | None = None) -> RateLimit:
        """``RATE_LIMIT_<NAME>_LIMIT`` and ``RATE_LIMIT_<NAME>_WINDOW_SECONDS`` override the defaults."""
        prefix = f"RATE_LIMIT_{name.upper()}"
        return cls(
            name,
            settings.env_int(f"{prefix}_LIMIT", limit),
            settings.env_int(f"{prefix}_WINDOW_SECONDS", window_seconds),
            message or cls.message,
        )

    def hit(self, tx: Transaction, table: Table, subject: str, now: float | None = None) -> int:
        """Count one hit for ``subject``; its count in this window, or RateLimited when over the limit."""
        now = time.time() if now is None else now
        window = int(now // self.window_seconds)
        dialect = tx.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(table).values(key=f"{self.name}:{subject}", window=window, count=1, updated_at=utcnow())
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": case((table.c.window == window, table.c.count + 1), else_=1),
                "window": statement.excluded.window,
                "updated_at": statement.excluded.updated_at,
            },
        ).returning(table.c.count)
        count = tx.session.execute(statement).scalar_one()
        if count > self.limit:
            retry_after = math.ceil((window + 1) * self.window_seconds - now)
            raise RateLimited(self.message, retry_after=max(1, retry_after))
        return count


def prune(tx: Transaction, table: Table, idle: timedelta = timedelta(days=1)) -> int:
    """Forget subjects not seen for ``idle``; returns how many."""
    return tx.session.execute(delete(table).where(table.c.updated_at < utcnow() - idle)).rowcount


def forget(tx: Transaction, table: Table, subject: str) -> int:
    """Forget every count kept for ``subject`` (an erased account): its rows under every limit's name."""
    return tx.session.execute(delete(table).where(table.c.key.endswith(f":{subject}", autoescape=True))).rowcount
