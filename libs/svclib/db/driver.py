"""Prebuilt statements run straight on the transaction's psycopg connection, on PostgreSQL.

The reads answered on most requests (a post, its discussion, a feed's page, subwikis' summaries) run a few
statements each, built once per shape and run with new parameters. Through SQLAlchemy's execution (its
context, cache key, bind processing and result) each costs the service about as much CPU as the whole of
psycopg's work for it; so on PostgreSQL the SQL SQLAlchemy compiles for the statement is kept and run on the
transaction's own psycopg connection (the same session, inside the same unit of work when there is one),
and rows come back as named tuples of the values psycopg loads, in binary, which both PostgreSQL and psycopg
write and read with less work than text (floats most).

Only where that changes nothing: a statement runs on the driver when its parameters are all the caller's
(no value of its own, no expanding ``IN``, whose SQL depends on its list's length: ``one_of`` binds a list as
one array instead) and every column and parameter of it is of a type psycopg gives and takes as SQLAlchemy
hands it over (``_as_is``: text, numbers, booleans, times, arrays of them; a type of its own that says so,
``SAME_ON_DRIVER``). Anything else, and any statement elsewhere (SQLite), goes through the
connection as any other; callers see the same rows either way (attributes and positions).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import namedtuple_row, tuple_row
from sqlalchemy import Boolean, DateTime, Enum, Float, Integer, String, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import NullType

# A type of a service's own with this attribute true gives its values on psycopg as they are, and takes them so,
# whatever its processors do elsewhere (svclib.db.types.UTCDateTime: psycopg loads a timestamptz aware, and the
# services' times are all aware).
SAME_ON_DRIVER = "same_on_driver"

# id(statement) -> (statement, its SQL or None when it cannot run on the driver); the statement is kept
# beside its SQL so that its id stays its own. Statements are built once per shape: this stays small.
_compiled: dict[int, tuple[Any, str | None]] = {}
MAX_KEPT = 500  # statements whose SQL is kept; more (statements built per call) start the list again


def one_of(column, name: str, dialect: str):
    """``column`` is one of the list bound as ``name``: ``= ANY(:name)``, one array, on PostgreSQL (the
    statement's SQL stays the same whatever the list's length, and runs on the driver); an expanding ``IN``
    elsewhere. Statements using it are built per dialect."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def driver_sql(statement, connection: Connection) -> str | None:
    """The SQL to run ``statement`` straight on ``connection``'s psycopg connection, or None when it
    must go through SQLAlchemy (not PostgreSQL with psycopg, a value or a type SQLAlchemy must process)."""
    dialect = connection.dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg":
        return None
    found = _compiled.get(id(statement))
    if found is None or found[0] is not statement:
        if len(_compiled) >= MAX_KEPT:
            _compiled.clear()
        compiled = statement.compile(dialect=dialect)
        found = _compiled[id(statement)] = (statement, compiled.string if _plain(compiled) else None)
    return found[1]


def _plain(compiled) -> bool:
    """Whether a compiled statement's values are all the caller's and need no processing either way."""
    if compiled.post_compile_params:  # an expanding IN
        return False
    binds = compiled.binds.values()
    if any(bind.value is not None or bind.callable is not None for bind in binds):  # a value of its own
        return False
    columns = [column.type for column in compiled._result_columns]
    return all(_as_is(type_) for type_ in (*columns, *(bind.type for bind in binds)))


def _as_is(type_) -> bool:
    """Whether psycopg takes and gives values of ``type_`` as SQLAlchemy would hand them over: text, whole
    numbers, booleans, floats, times, arrays of these, untyped parameters, and types saying so."""
    if getattr(type_, SAME_ON_DRIVER, False):
        return True
    if isinstance(type_, ARRAY):
        return _as_is(type_.item_type)
    if isinstance(type_, Float):
        return not type_.asdecimal
    if isinstance(type_, Enum):  # a String that may load into an enum's members
        return False
    return isinstance(type_, String | Integer | Boolean | DateTime | NullType)


def all_rows(connection: Connection, statement, params: dict, named: bool = True) -> list:
    """Every row of ``statement`` run with ``params``; as plain tuples when not ``named`` (rows only unpacked,
    such as a reader's 150 sources: a named tuple costs as much again to make)."""
    return _run(connection, statement, params, all_of=True, named=named)


def first_row(connection: Connection, statement, params: dict):
    """The first row of ``statement`` run with ``params``, or None."""
    return _run(connection, statement, params, all_of=False)


def execute(connection: Connection, statement, params: dict) -> int:
    """Run ``statement`` (a change returning no rows) with ``params``: how many rows it changed."""
    return _run(connection, statement, params, all_of=None)


def _run(connection: Connection, statement, params: dict, all_of: bool | None, named: bool = True):
    sql = driver_sql(statement, connection)
    if sql is None:
        result = connection.execute(statement, params)
        return result.rowcount if all_of is None else result.all() if all_of else result.first()
    with _cursor(connection, sql, params, namedtuple_row if named else tuple_row) as cursor:
        cursor.execute(sql, params, binary=True)
        return cursor.rowcount if all_of is None else cursor.fetchall() if all_of else cursor.fetchone()


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
