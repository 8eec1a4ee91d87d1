"""Running a page's prebuilt statements: on PostgreSQL straight on the connection's psycopg connection.

A page runs one to four statements, each built once per shape (``functools.cache``) and run with new
parameters. Through SQLAlchemy's execution (its context, cache key, bind processing and result) each
costs the service about as much CPU as the whole of psycopg's work for it; so on PostgreSQL the SQL
SQLAlchemy compiles for the statement is kept and run on the transaction's own psycopg connection
(the same session, inside the same unit of work when there is one), and rows come back as named
tuples of the values psycopg loads, which are the ones SQLAlchemy hands over for these columns; in
binary, which both PostgreSQL and psycopg write and read with less work than text (floats most). The
parameters must need no processing on the way: plain values and lists bound as arrays. A statement with
an expanding ``IN`` (its SQL depends on its list's length), and any statement elsewhere (SQLite), goes
through the connection as any other.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import namedtuple_row, tuple_row
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

# id(statement) -> (statement, its SQL or None when it cannot run on the driver); the statement is kept
# beside its SQL so that its id stays its own. Statements are built once per shape: this stays small.
_compiled: dict[int, tuple[Any, str | None]] = {}
MAX_KEPT = 500  # statements whose SQL is kept; more (statements built per call) start the list again


def driver_sql(statement, connection: Connection) -> str | None:
    """The SQL to run ``statement`` straight on ``connection``'s psycopg connection, or None when it
    must go through SQLAlchemy (not PostgreSQL with psycopg, or an expanding ``IN``)."""
    if connection.dialect.name != "postgresql" or connection.dialect.driver != "psycopg":
        return None
    found = _compiled.get(id(statement))
    if found is None or found[0] is not statement:
        if len(_compiled) >= MAX_KEPT:
            _compiled.clear()
        compiled = statement.compile(dialect=connection.dialect)
        # Values are the caller's alone: a statement with an expanding IN or a value of its own (literal())
        # needs SQLAlchemy's processing.
        own = compiled.post_compile_params or any(bind.value is not None for bind in compiled.binds.values())
        found = _compiled[id(statement)] = (statement, None if own else compiled.string)
    return found[1]


def all_rows(connection: Connection, statement, params: dict, named: bool = True) -> list:
    """Every row of ``statement`` run with ``params``; as plain tuples when not ``named`` (rows only unpacked,
    such as a reader's 150 sources: a named tuple costs as much again to make)."""
    return _run(connection, statement, params, all_of=True, named=named)


def first_row(connection: Connection, statement, params: dict):
    """The first row of ``statement`` run with ``params``, or None."""
    return _run(connection, statement, params, all_of=False)


def _run(connection: Connection, statement, params: dict, all_of: bool, named: bool = True):
    sql = driver_sql(statement, connection)
    if sql is None:
        result = connection.execute(statement, params)
        return result.all() if all_of else result.first()
    with _cursor(connection, sql, params, namedtuple_row if named else tuple_row) as cursor:
        cursor.execute(sql, params, binary=True)
        return cursor.fetchall() if all_of else cursor.fetchone()


@contextmanager
def _cursor(connection: Connection, sql: str, params: dict, rows=namedtuple_row) -> Iterator[psycopg.Cursor]:
    """A cursor of ``connection``'s psycopg connection. A failure is raised as SQLAlchemy raises it
    (``sqlalchemy.exc.DBAPIError``'s kinds: a value the database refuses a ``DataError``, a lost
    connection an ``OperationalError``), so that callers tell faults apart as for any other statement;
    a connection found broken is invalidated, as SQLAlchemy does, so that the pool does not hand it out again."""
    driver = connection.connection.driver_connection
    try:
        with driver.cursor(row_factory=rows) as cursor:
            yield cursor
    except psycopg.Error as exc:
        broken = driver.broken or driver.closed
        if broken:
            connection.invalidate()
        raise DBAPIError.instance(
            sql, params, exc, psycopg.Error, connection_invalidated=broken, dialect=connection.dialect
        ) from exc
