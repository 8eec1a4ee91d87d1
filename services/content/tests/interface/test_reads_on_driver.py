"""A post's page and its discussion are read on psycopg on PostgreSQL, none of their statements through
SQLAlchemy's execution (svclib.db.driver): each holds the caller's values alone, and columns psycopg gives as
SQLAlchemy would. Through SQLAlchemy each statement cost the service about as much CPU again."""

from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from content.handlers import discussion, posts, votes
from content.models import KNOWN_USERS, Base, Comment, PersonName, Post, VoteVersion
from svclib.db import StandaloneDatabase, utcnow
from svclib.testing import statements_run

NOW = utcnow()


@pytest.fixture
def database(database_url):
    db = StandaloneDatabase(Base.metadata, database_url("content"))
    with db.transaction() as tx:
        tx.connection.execute(
            insert(Post).values(id="p1", subwiki_id="s1", subwiki_slug="rivers", author_id="a", kind="text", title="T")
        )
        tx.connection.execute(
            insert(PersonName),
            [
                {"id": "a", "username": "ann", "display_name": "Ann"},
                {"id": "b", "username": "bo", "display_name": "Bo"},
            ],
        )
        comment = {"post_id": "p1", "body": "x", "body_html": "<p>x</p>", "up_count": 0, "parent_id": None}
        comment.update(root_id=None, depth=0, created_at=NOW)
        tx.connection.execute(
            insert(Comment),
            [
                {**comment, "id": "c1", "author_id": "b", "created_at": NOW - timedelta(minutes=3), "up_count": 2},
                {**comment, "id": "c2", "author_id": "a", "created_at": NOW - timedelta(minutes=2)},
                {**comment, "id": "r1", "author_id": "a", "parent_id": "c1", "root_id": "c1", "depth": 1},
            ],
        )
    yield db
    db.dispose()


@pytest.mark.parametrize("sort", ["new", "quality"])
def test_a_posts_page_runs_no_statement_through_sqlalchemy(database, sort):
    with statements_run(database.engine, "") as seen, database.reading() as tx:
        post = posts.get_post(tx, "p1", "reader")
        anonymous = posts.get_post(tx, "p1")
        names = discussion.author_names(tx, "a")
        first = discussion.list_comments(tx, "p1", sort, limit=1)
        named = discussion.name_authors(tx, first)
        second = discussion.list_comments(tx, "p1", sort, limit=1, cursor=first["next_cursor"])
    assert seen == []
    assert post["title"] == anonymous["title"] == "T" and post["my_vote"] == 0 and post["held_edits"] == 0
    assert post["created_at"] == anonymous["created_at"] and names == {"username": "ann", "display_name": "Ann"}
    shown = [first["items"][0]["id"], second["items"][0]["id"]]
    assert shown == (["c2", "c1"] if sort == "new" else ["c1", "c2"])
    replied = first if sort == "quality" else second
    assert [reply["id"] for reply in replied["items"][0]["children"]] == ["r1"]
    assert sorted(named) == (["a", "b"] if sort == "quality" else ["a"]) and first["people"]["a"]["username"] == "ann"


def test_a_vote_runs_no_statement_but_its_events_through_sqlalchemy(database):
    """A vote (the busiest write) locks its target, reads, writes and counts on psycopg; only the outbox's row,
    whose JSON SQLAlchemy writes, goes through it."""
    with database.transaction() as tx:
        tx.connection.execute(insert(KNOWN_USERS).values(id="v", username="vi", registered_at=NOW))
    with statements_run(database.engine, "") as seen:
        for value in (1, -1, None):
            with database.transaction() as tx:
                answer = votes.vote(tx, "v", "post", "p1", value)
    assert [statement.split("(")[0].strip() for statement, _ in seen] == ["INSERT INTO outbox"] * 3
    assert answer == {"up": 0, "down": 0, "my_vote": 0}
    with database.reading() as tx:
        assert posts.get_post(tx, "p1", "v")["my_vote"] == 0
        versions = tx.connection.execute(select(VoteVersion.version)).scalars().all()
    assert versions == [3]
