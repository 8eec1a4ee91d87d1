"""Helpers for unit tests: a real database in memory, no broker."""

from __future__ import annotations

from sqlalchemy import MetaData

from svclib.db import StandaloneDatabase


def memory_database(metadata: MetaData) -> StandaloneDatabase:
    """A service's schema in an in-memory SQLite database, with a worker's ``db`` API."""
    return StandaloneDatabase(metadata, "sqlite://")
