"""PostgreSQL: a second GIN index of the posts' search documents, of the recent posts only, read first.

Relevance ranks a query's ``CANDIDATES`` newest matches and the "new" sort shows its newest (content.handlers.
search): when the recent posts alone hold that many matches, they are the newest of all (every post outside
the index is older than every post in it), and a GIN index over a week's posts intersects a quarter of the
posting lists of one over a month's and leads to a quarter of the heap visits. When they hold fewer, the
statement goes on with the older posts, newest first, in the same statement (through the index of all
posts): the answer is the same either way, what changes is its cost.

The index is partial, ``ix_posts_search_since_<YYYYMMDD>`` ``ON posts USING gin (search_document) WHERE
created_at >= '<that day> 00:00 UTC'``. A partial index's predicate cannot move (``now()`` is not allowed
in it), so the bound is a constant and the index is rebuilt as days pass: ``rotate`` (content's timer, every
``ROTATE_SECONDS``; one replica at a time, under an advisory lock) builds the index of the window's new
first day with ``CREATE INDEX CONCURRENTLY`` once the day is past (writes go on meanwhile), drops the
index it superseded at its next run (``DROP INDEX CONCURRENTLY``: readers have moved on by then), and drops
what an interrupted build left behind (an invalid index). No migration makes it: a migration is one
transaction, in which an index can only be built by locking out writes to ``posts`` for the build.

Readers learn the bound of the newest valid index from the catalog (``since``, looked up again every
``RECHECK_SECONDS`` in each process) and write it into the statement as a constant, so that the planner
can match it with the index's predicate. The bound is never more than a hint: the statement splits the
posts at whatever bound it is given (``created_at >= bound`` first, ``created_at < bound`` after), so a
bound whose index was just dropped, or none at all, costs time, never a different answer.
"""

from __future__ import annotations

import re
import time
import zlib
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Engine

from svclib.db import Transaction, utcnow

# The window: the newest WINDOW_DAYS days and the hours of today (7 to 8 days).
WINDOW_DAYS = 7
# How often the timer looks (a build once a day; the superseded index goes at the run after).
ROTATE_SECONDS = 600
# How long a process keeps the bound it read from the catalog (less than ROTATE_SECONDS: when the old index
# goes, every process reads the new bound already).
RECHECK_SECONDS = 60
PREFIX = "ix_posts_search_since_"
PATTERN = PREFIX.replace("_", r"\_") + "%"  # what LIKE finds them by
_NAME = re.compile(re.escape(PREFIX) + r"(\d{8})$")
# One rotation at a time among the service's replicas (a session-level advisory lock).
LOCK_KEY = zlib.crc32(b"content.recent_posts.rotate") & 0x7FFFFFFF

_INDEXES = text(
    "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
    " WHERE i.indrelid = 'posts'::regclass AND c.relname LIKE :pattern"
).bindparams(pattern=PATTERN)

_seen: dict[Engine, tuple[float, datetime | None]] = {}


def index_name(day: date) -> str:
    return f"{PREFIX}{day:%Y%m%d}"


def bound_of(name: str) -> datetime | None:
    """The first moment an index of this module's name holds (None: not one of its names)."""
    found = _NAME.match(name)
    if found is None:
        return None
    return datetime.strptime(found.group(1), "%Y%m%d").replace(tzinfo=UTC)


def _valid_bounds(rows) -> list[datetime]:
    return sorted(bound for name, valid in rows if valid and (bound := bound_of(name)) is not None)


def since(tx: Transaction) -> datetime | None:
    """The bound of the newest valid recent posts' index (None: there is none), as this process last read it
    from the catalog (at most ``RECHECK_SECONDS`` ago)."""
    key = tx.session.get_bind().engine
    now = time.monotonic()
    seen = _seen.get(key)
    if seen is None or seen[0] <= now:
        bounds = _valid_bounds(tx.session.execute(_INDEXES).all())
        seen = _seen[key] = (now + RECHECK_SECONDS, bounds[-1] if bounds else None)
    return seen[1]


def rotate(engine: Engine, now: datetime | None = None) -> dict:
    """Keep the recent posts' index of the window ending at ``now``: drop what an interrupted build left and
    the indexes superseded at an earlier run, then build the window's index if its first day has moved.
    Answers what it did (``{}`` on SQLite, ``{"busy": True}`` when another replica is rotating)."""
    if engine.dialect.name != "postgresql":
        return {}
    first_day = ((now or utcnow()) - timedelta(days=WINDOW_DAYS)).astimezone(UTC).date()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}).scalar_one():
            return {"busy": True}
        try:
            indexes = connection.execute(_INDEXES).all()
            bounds = _valid_bounds(indexes)
            dropped = []
            for name, valid in indexes:
                bound = bound_of(name)
                if bound is not None and (not valid or bound < bounds[-1]):
                    connection.execute(text(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"'))
                    dropped.append(name)
            built = None
            if not bounds or bounds[-1].date() < first_day:
                built = index_name(first_day)
                connection.execute(
                    text(
                        f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{built}" ON posts USING gin (search_document)'
                        f" WHERE created_at >= '{first_day.isoformat()} 00:00:00+00'"
                    )
                )
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
    return {"built": built, "dropped": dropped}
