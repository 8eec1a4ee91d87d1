"""The raw read path: a prebuilt select run straight on a pooled psycopg connection."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row
from sqlalchemy.engine import Engine


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
