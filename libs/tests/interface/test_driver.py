"""Prebuilt statements run straight on psycopg on PostgreSQL (svclib.db.driver): the rows SQLAlchemy would give,
statements it must process itself left to it, and a connection found broken not handed out again."""

import enum
import uuid

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Enum,
    Float,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    bindparam,
    exc,
    insert,
    literal,
    select,
)

from svclib.db import StandaloneDatabase, UTCDateTime, driver, plumbing_tables, utcnow
from svclib.testing import statements_run

NOW = utcnow()
METADATA = MetaData()
plumbing_tables(METADATA)  # a database of svclib's: its outbox and record of events applied
ITEMS = Table(
    "driver_items",
    METADATA,
    Column("id", String(32), primary_key=True),
    Column("author_id", String(32), nullable=True),
    Column("rank", Float, nullable=False),
    Column("count", Integer, nullable=False),
    Column("shown", Boolean, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("price", Numeric(10, 2), nullable=True),
    Column("facts", JSON, nullable=True),
)
C = ITEMS.c


class Colour(enum.Enum):
    red = "red"


@pytest.fixture(params=["postgresql", "sqlite"])
def database(request):
    if request.param == "postgresql":
        postgres = request.getfixturevalue("postgres")
        name = f"t_driver_{uuid.uuid4().hex[:10]}"
        url = postgres.create(name)
        yield from _seeded(url)
        postgres.drop(name)
    else:
        yield from _seeded("sqlite://")


@pytest.fixture
def postgres_database(postgres):
    """For what only happens on PostgreSQL (statements straight on psycopg)."""
    name = f"t_driver_{uuid.uuid4().hex[:10]}"
    yield from _seeded(postgres.create(name))
    postgres.drop(name)


def _seeded(url: str):
    database = StandaloneDatabase(METADATA, url)
    METADATA.create_all(database.engine)
    with database.transaction() as tx:
        tx.connection.execute(
            insert(ITEMS),
            [
                {
                    "id": f"p{n}",
                    "author_id": None if n == 2 else "a",
                    "rank": n / 3,
                    "count": n,
                    "shown": n % 2 == 0,
                    "at": NOW,
                    "price": n,
                    "facts": {"n": n},
                }
                for n in range(4)
            ],
        )
    yield database
    database.dispose()


STATEMENT = select(C.id, C.author_id, C.rank, C.count, C.shown, C.at).where(C.rank >= bindparam("low"))
STATEMENT = STATEMENT.order_by(C.rank.desc())


def test_rows_are_those_sqlalchemy_gives(database):
    with database.reading() as tx:
        expected = [tuple(row) for row in tx.connection.execute(STATEMENT, {"low": 0.5}).all()]
        found = driver.all_rows(tx.connection, STATEMENT, {"low": 0.5})
        first = driver.first_row(tx.connection, STATEMENT, {"low": 0.5})
        assert driver.first_row(tx.connection, STATEMENT, {"low": 9.0}) is None
        on_driver = driver.driver_sql(STATEMENT, tx.connection) is not None
    assert [tuple(row) for row in found] == expected and len(expected) == 2
    assert [row.id for row in found] == ["p3", "p2"] and found[1].author_id is None
    assert tuple(first) == expected[0] and first.at == NOW and first.at.utcoffset().total_seconds() == 0
    assert first.count == 3 and first.shown is False
    assert on_driver == (database.engine.dialect.name == "postgresql")


def test_one_of_binds_a_list_whatever_its_length(database):
    """``one_of``: one array on PostgreSQL (on the driver), an expanding IN elsewhere; the same rows."""
    dialect = database.engine.dialect.name
    statement = select(C.id).where(driver.one_of(C.id, "ids", dialect)).order_by(C.id)
    with database.reading() as tx:
        assert [row.id for row in driver.all_rows(tx.connection, statement, {"ids": ["p1", "p3", "x"]})] == [
            "p1",
            "p3",
        ]
        assert driver.all_rows(tx.connection, statement, {"ids": []}) == []
        assert (driver.driver_sql(statement, tx.connection) is not None) == (dialect == "postgresql")


def test_statements_sqlalchemy_must_process_go_through_it(database):
    expanding = select(C.id).where(C.id.in_(bindparam("ids", expanding=True))).order_by(C.id)
    valued = select(C.id, literal("x").label("x")).where(C.id == bindparam("id"))
    with database.reading() as tx:
        assert driver.driver_sql(expanding, tx.connection) is None
        assert driver.driver_sql(valued, tx.connection) is None
        assert [row.id for row in driver.all_rows(tx.connection, expanding, {"ids": ["p1", "p3"]})] == ["p1", "p3"]
        assert tuple(driver.first_row(tx.connection, valued, {"id": "p0"})) == ("p0", "x")


@pytest.mark.parametrize(
    "column",
    [C.price, C.facts, bindparam("colour", type_=Enum(Colour)).label("colour")],
    ids=["numeric", "json", "enum"],
)
def test_values_of_types_sqlalchemy_processes_go_through_it(postgres_database, column):
    """A Numeric comes back as SQLAlchemy's Decimal, JSON as SQLAlchemy loads it, an enum as its member: these
    are never run on the driver, whose values may differ."""
    statement = select(C.id, column).where(C.id == bindparam("id"))
    with postgres_database.reading() as tx:
        assert driver.driver_sql(statement, tx.connection) is None
        params = {"id": "p1", "colour": Colour.red}
        expected = tuple(tx.connection.execute(statement, params).first())
        assert tuple(driver.first_row(tx.connection, statement, params)) == expected


def test_a_connection_found_broken_is_not_handed_out_again(postgres_database):
    database = postgres_database
    with database.reading() as tx:
        pid = tx.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with database.reading() as other:
            other.connection.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
        with pytest.raises(exc.OperationalError) as raised:
            driver.all_rows(tx.connection, STATEMENT, {"low": 0.5})
        assert tx.connection.invalidated and raised.value.connection_invalidated
    with database.reading() as tx:  # a new connection, not the broken one
        assert len(driver.all_rows(tx.connection, STATEMENT, {"low": 0.5})) == 2


def test_a_value_the_database_refuses_is_raised_as_sqlalchemy_raises_it(postgres_database):
    """As through SQLAlchemy (a service answers it as Invalid: svclib.rpc.answers.answerable)."""
    database = postgres_database
    statement = select(C.id).where(C.id == bindparam("id"))
    with database.reading() as tx, pytest.raises(exc.DataError):
        driver.all_rows(tx.connection, statement, {"id": "p\x001"})


def test_an_events_record_and_a_commits_notice_run_on_the_driver(postgres_database):
    """Every event applied records itself (``once``) and every announced commit sends its notice (``notify``):
    both on psycopg, in the transaction's own session, and they commit (or roll back) with it."""
    database = postgres_database
    with statements_run(database.engine, "") as seen:
        with database.transaction() as tx:
            first = tx.once("e1", "handler")
            again = tx.once("e1", "handler")
            xact = tx.notify("driver_items", frozenset({"tag"}))
        with pytest.raises(RuntimeError), database.transaction() as tx:
            tx.once("e2", "handler")
            raise RuntimeError("rolled back")
    assert seen == []
    assert first and not again and isinstance(xact, int)
    with database.transaction() as tx:
        assert not tx.once("e1", "handler") and tx.once("e2", "handler")
