"""Helpers for tests: a real database in memory, waiting for what happens elsewhere, and driving a started
service container (an entrypoint called, an event through the broker, its kept answers)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

from svclib.db import StandaloneDatabase


def memory_database(metadata: MetaData) -> StandaloneDatabase:
    """A service's schema in an in-memory SQLite database, with a worker's ``db`` API."""
    return StandaloneDatabase(metadata, "sqlite://")


@contextmanager
def statements_run(engine: Engine, marker: str) -> Iterator[list[tuple[str, object]]]:
    """The statements ``engine`` runs inside the block whose SQL holds ``marker`` (SQL, parameters)."""
    seen: list[tuple[str, object]] = []

    def capture(_connection, _cursor, statement, parameters, _context, _executemany):
        if marker in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def plan_at_scale(engine: Engine, statement: str, parameters) -> str:
    """PostgreSQL's plan for a statement as it would be on large tables: a test's tables are small, so
    sequential scans are priced out (in this transaction only) and the plan shows the indexes it can use."""
    with engine.connect() as connection:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = connection.exec_driver_sql("EXPLAIN (COSTS OFF) " + statement, parameters).scalars()
        return "\n".join(plan)


def wait_until(check: Callable[[], object], timeout: float = 5.0, interval: float = 0.02) -> bool:
    """True as soon as ``check()`` is true, False when ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return False


def call(container, method: str, *args, **kwargs):
    """Call a started container's entrypoint ``method`` as a worker runs it."""
    with entrypoint_hook(container, method) as hook:
        return hook(*args, **kwargs)


def announce(container, handler: str, service: str, event: str, payload: dict) -> None:
    """An event from another service, through the broker, applied by ``handler`` before this returns."""
    with entrypoint_waiter(container, handler, timeout=10):
        event_dispatcher(container.config)(service, event, {"event_id": uuid.uuid4().hex, **payload})


def listening_kept(container, attr: str = "kept"):
    """A started container's kept answers (its ``attr`` dependency's), once they listen for changes."""
    kept = next(d for d in container.dependencies if d.attr_name == attr).kept
    assert wait_until(lambda: kept.listening)
    return kept


def commits_touched(database) -> list:
    """What each transaction of ``database`` committed from now on touched (``svclib.kept``), in order: those that
    touched something, each its tags or None for everything."""
    seen: list = []
    database.on_commit(seen.append)
    return seen


def touched_since(touched: list, since: int) -> set[str] | None:
    """What the transactions committed after the first ``since`` of ``touched`` touched together (None, everything,
    if any did)."""
    changes = touched[since:]
    if any(change is None for change in changes):
        return None
    return set().union(*changes)
