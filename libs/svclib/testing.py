"""Helpers for tests: a real database in memory, and waiting for what happens elsewhere."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import MetaData

from svclib.db import StandaloneDatabase


def memory_database(metadata: MetaData) -> StandaloneDatabase:
    """A service's schema in an in-memory SQLite database, with a worker's ``db`` API."""
    return StandaloneDatabase(metadata, "sqlite://")


def wait_until(check: Callable[[], object], timeout: float = 5.0, interval: float = 0.02) -> bool:
    """True as soon as ``check()`` is true, False when ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return False
