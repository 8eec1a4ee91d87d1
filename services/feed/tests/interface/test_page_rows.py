"""A page's statements run straight on psycopg on PostgreSQL (feed.pages.rows): the rows SQLAlchemy would
give, statements it must process itself left to it, and a connection found broken not handed out again."""

import pytest
from sqlalchemy import bindparam, exc, insert, literal, select

from feed.models import Base, FeedPost
from feed.pages import rows
from feed.pages.keyset import POST, shown_columns
from svclib.db import StandaloneDatabase, utcnow

NOW = utcnow()


@pytest.fixture(params=["postgresql", "sqlite"])
def database(request):
    url = request.getfixturevalue("database_url")("feed") if request.param == "postgresql" else "sqlite://"
    yield from _seeded(url)


@pytest.fixture
def postgres_database(database_url):
    """For what only happens on PostgreSQL (statements straight on psycopg)."""
    yield from _seeded(database_url("feed"))


def _seeded(url: str):
    database = StandaloneDatabase(Base.metadata, url)
    with database.transaction() as tx:
        tx.connection.execute(
            insert(FeedPost),
            [
                {
                    "id": f"p{n}",
                    "subwiki_id": "s",
                    "subwiki_slug": "slug",
                    "author_id": None if n == 2 else "a",
                    "kind": "text",
                    "title": f"post {n}",
                    "posted_at": NOW,
                    "visible": True,
                    "rank": n / 3,
                    "commenters": n,
                    "refreshed_at": NOW,
                    "refresh_due": NOW,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for n in range(4)
            ],
        )
    yield database
    database.dispose()


STATEMENT = shown_columns().where(POST.rank >= bindparam("low")).order_by(POST.rank.desc())


def test_rows_are_those_sqlalchemy_gives(database):
    with database.reading() as tx:
        expected = [tuple(row) for row in tx.connection.execute(STATEMENT, {"low": 0.5}).all()]
        found = rows.all_rows(tx.connection, STATEMENT, {"low": 0.5})
        first = rows.first_row(tx.connection, STATEMENT, {"low": 0.5})
        assert rows.first_row(tx.connection, STATEMENT, {"low": 9.0}) is None
        on_driver = rows.driver_sql(STATEMENT, tx.connection) is not None
    assert [tuple(row) for row in found] == expected and len(expected) == 2
    assert [row.id for row in found] == ["p3", "p2"] and found[1].author_id is None
    assert tuple(first) == expected[0] and first.posted_at == NOW and first.commenters == 3
    assert on_driver == (database.engine.dialect.name == "postgresql")


def test_statements_sqlalchemy_must_process_go_through_it(database):
    expanding = select(POST.id).where(POST.id.in_(bindparam("ids", expanding=True))).order_by(POST.id)
    valued = select(POST.id, literal("x").label("x")).where(POST.id == bindparam("id"))
    with database.reading() as tx:
        assert rows.driver_sql(expanding, tx.connection) is None
        assert rows.driver_sql(valued, tx.connection) is None
        assert [row.id for row in rows.all_rows(tx.connection, expanding, {"ids": ["p1", "p3"]})] == ["p1", "p3"]
        assert tuple(rows.first_row(tx.connection, valued, {"id": "p0"})) == ("p0", "x")


def test_a_connection_found_broken_is_not_handed_out_again(postgres_database):
    database = postgres_database
    with database.reading() as tx:
        pid = tx.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with database.reading() as other:
            other.connection.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
        with pytest.raises(exc.OperationalError) as raised:
            rows.all_rows(tx.connection, STATEMENT, {"low": 0.5})
        assert tx.connection.invalidated and raised.value.connection_invalidated
    with database.reading() as tx:  # a new connection, not the broken one
        assert len(rows.all_rows(tx.connection, STATEMENT, {"low": 0.5})) == 2


def test_a_value_the_database_refuses_is_raised_as_sqlalchemy_raises_it(postgres_database):
    """As through SQLAlchemy (the service answers it as Invalid: svclib.rpc.answers.answerable)."""
    database = postgres_database
    statement = select(POST.id).where(POST.id == bindparam("id"))
    with database.reading() as tx, pytest.raises(exc.DataError):
        rows.all_rows(tx.connection, statement, {"id": "p\x001"})
