"""The default pool keeps what it opens: a burst of requests never forks and closes PostgreSQL sessions."""

from __future__ import annotations

from sqlalchemy.pool import QueuePool

from svclib.db import engine as engines


def test_a_burst_of_checkouts_leaves_every_connection_it_opened_in_the_pool(monkeypatch):
    opened, closed = [], []

    class Connection:
        def close(self):
            closed.append(self)

        def rollback(self):
            pass

    def connect():
        opened.append(Connection())
        return opened[-1]

    monkeypatch.delenv("DB_POOL_SIZE", raising=False)
    monkeypatch.delenv("DB_MAX_OVERFLOW", raising=False)
    pool = QueuePool(connect, pool_size=engines.DEFAULT_POOL_SIZE, max_overflow=engines.DEFAULT_MAX_OVERFLOW)
    for _ in range(3):  # bursts as wide as a replica may open at once
        held = [pool.connect() for _ in range(engines.DEFAULT_POOL_SIZE + engines.DEFAULT_MAX_OVERFLOW)]
        for connection in held:
            connection.close()
    assert len(opened) == engines.DEFAULT_POOL_SIZE + engines.DEFAULT_MAX_OVERFLOW
    assert closed == []
    assert pool.checkedin() == len(opened)
