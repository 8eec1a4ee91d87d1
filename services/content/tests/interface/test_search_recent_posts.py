"""Search's index of the recent posts on the real PostgreSQL (content.handlers.recent_posts): the pages read
through it are the pages read without it, whatever its bound, and its rotation keeps one valid index of
the window, built and dropped concurrently."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, text

from content.handlers import recent_posts
from content.handlers import search as content_search
from content.models import Base, Post
from svclib.db import StandaloneDatabase

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
WORD = "otters"
SIZE = 4
CANDIDATES = 6


@pytest.fixture
def db(database_url, monkeypatch):
    monkeypatch.setattr(content_search, "CANDIDATES", CANDIDATES)
    monkeypatch.setattr(recent_posts, "RECHECK_SECONDS", 0)  # every search reads the catalog again
    content_search._postgres_posts.cache_clear()
    database = StandaloneDatabase(Base.metadata, database_url("content"))
    yield database
    database.dispose()
    content_search._postgres_posts.cache_clear()


def write(db, count: int, start: datetime, step: timedelta, **columns) -> list[str]:
    """``count`` posts matching WORD, one every ``step`` back from ``start``; every third shares the time of
    the one before, their qualities spread so that relevance is not their age. Answers their ids, newest
    first (ties by id, larger first), as the new sort lists them."""
    ids = []
    with db.transaction() as tx:
        at = start
        for n in range(count):
            if n % 3 != 2:
                at -= step
            post_id = uuid.uuid4().hex
            tx.session.add(
                Post(
                    id=post_id,
                    subwiki_id="s1",
                    subwiki_slug=columns.get("slug", "rivers"),
                    author_id=columns.get("author", "ann"),
                    kind="text",
                    title=f"{WORD} by the weir" if n % 2 else f"{WORD} {WORD} and trout",
                    body="Downstream.",
                    language="en",
                    quality=(n * 7 % 5) / 4,
                    removed_at=columns.get("removed_at"),
                    created_at=at,
                    updated_at=at,
                )
            )
            ids.append((at, post_id))
    return [post_id for _, post_id in sorted(ids, reverse=True)]  # newest first, ties by id


def every_page(db, sort: str, slug: str | None = None) -> list[tuple]:
    """Every page of the search, followed through its cursors: the ids, scores and cursors in order."""
    pages, cursor = [], None
    while True:
        with db.reading() as tx:
            page = content_search.search(tx, WORD, "post", sort, slug, SIZE, cursor)
        pages.append(([(item["post"]["id"], item["score"]) for item in page["items"]], page["next_cursor"]))
        cursor = page["next_cursor"]
        if cursor is None or len(pages) > 50:
            return pages


def rows_of(pages) -> list[str]:
    return [post_id for items, _ in pages for post_id, _ in items]


@pytest.fixture
def posts(db):
    """28 posts of WORD over 28 days (ties among them), a removed one and an erased person's one in the
    last week, and 2 in another subwiki: 10 matches of the last week (the window) shown, 18 older."""
    recent = write(db, 10, NOW, timedelta(hours=15))
    older = write(db, 18, NOW - timedelta(days=7, hours=1), timedelta(hours=20))
    write(db, 1, NOW - timedelta(hours=1, minutes=30), timedelta(0), removed_at=NOW - timedelta(hours=1))
    write(db, 1, NOW - timedelta(hours=2, minutes=30), timedelta(0), author=None)
    write(db, 2, NOW - timedelta(days=3), timedelta(days=1), slug="lakes")
    return recent, older


def explain(db, sql: str, params) -> str:
    with db.engine.connect() as connection:
        # A table of 30 rows, read as a large one is: through its full-text indexes (in this transaction only).
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        connection.exec_driver_sql("DROP INDEX ix_posts_created")
        plan = connection.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params).scalars()
        return "\n".join(plan)


def searched(db):
    """The statements of posts' searches run on ``db`` from now on (SQL and parameters)."""
    seen = []

    def capture(_connection, _cursor, statement, parameters, _context, _executemany):
        if "search_document @@" in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    return seen


@pytest.mark.parametrize("sort", ["relevance", "new"])
@pytest.mark.parametrize("slug", [None, "rivers"])
def test_pages_read_through_the_recent_posts_index_are_the_pages_read_without_it(db, posts, sort, slug):
    """The window holds 10 shown matches: more than relevance's 6 candidates, more than a page of the new
    sort's 4 but not all its pages. Read first through the index, every page of both sorts is the same (ids,
    scores, cursors) as without it, and the removed post and the erased person's never show."""
    recent, older = posts
    assert recent_posts.rotate(db.engine, NOW) == {"built": "ix_posts_search_since_20261126", "dropped": []}
    with db.engine.connect() as connection:  # the index of all posts alone: as without the recent one
        connection.execute(text("ALTER INDEX ix_posts_search_since_20261126 RENAME TO put_aside"))
        connection.commit()
    without = every_page(db, sort, slug)
    with db.engine.connect() as connection:
        connection.execute(text("ALTER INDEX put_aside RENAME TO ix_posts_search_since_20261126"))
        connection.commit()
    statements = searched(db)
    through = every_page(db, sort, slug)
    assert through == without
    assert all("recent_matches" in sql for sql, _ in statements)
    if sort == "new" and slug:
        assert rows_of(through) == recent + older  # newest first, ties by id
    elif sort == "new":
        assert len(rows_of(through)) == 30 and set(recent + older) < set(rows_of(through))
    else:
        assert set(rows_of(through)) == set(recent[:CANDIDATES])
        assert [score for items, _ in through for _, score in items] == sorted(
            (score for items, _ in through for _, score in items), reverse=True
        )
    # The first page: through the recent index alone, the older posts never read.
    plan = explain(db, *statements[0])
    assert "ix_posts_search_since_20261126" in plan
    lines = plan.splitlines()
    older = [n for n, line in enumerate(lines) if "created_at < '" in line]  # the older posts' scan
    assert older, plan
    for n in older:
        node = next(line for line in reversed(lines[:n]) if "->" in line)
        assert "never executed" in node, plan


@pytest.mark.parametrize("sort", ["relevance", "new"])
@pytest.mark.parametrize(
    "bound",
    [
        NOW - timedelta(days=40),  # before every post: the recent posts are all of them
        NOW - timedelta(days=2),  # fewer recent matches than candidates: the older ones make up the rest
        NOW - timedelta(hours=1, minutes=30),  # the removed post's very time: what the bound holds is >=
        NOW - timedelta(hours=15),  # a post's time, the second of a tie pair around it
        NOW + timedelta(days=1),  # after every post: none recent, all read from the older ones
    ],
)
def test_any_bound_gives_the_pages_of_the_search_without_one(db, posts, monkeypatch, sort, bound):
    """The bound a process holds may be any (its index just dropped, a day old, a clock's): the split at it
    changes no page of relevance or the new sort, nor what never shows."""
    without = every_page(db, sort)
    monkeypatch.setattr(recent_posts, "since", lambda tx: bound)
    statements = searched(db)
    assert every_page(db, sort) == without
    assert statements and all("recent_matches" in sql for sql, _ in statements)


def test_the_quality_sort_and_comments_ignore_the_recent_posts(db, posts, monkeypatch):
    monkeypatch.setattr(recent_posts, "since", lambda tx: NOW - timedelta(days=2))
    statements = searched(db)
    pages = every_page(db, "quality")
    assert len(rows_of(pages)) == 30 and not any("recent_matches" in sql for sql, _ in statements)


def test_rotation_keeps_one_index_of_the_window_built_and_dropped_concurrently(db, posts):
    """The window's index is built once its first day moves, the one it supersedes dropped at the next run
    (readers have moved to the newer bound by then), a build cut short (an invalid index) dropped; readers
    only ever see valid indexes."""
    engine = db.engine

    def names():
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT indexname FROM pg_indexes WHERE tablename = 'posts' AND indexname LIKE :p"),
                {"p": recent_posts.PATTERN},
            )
            return sorted(rows.scalars())

    def bound():
        with db.reading() as tx:
            return recent_posts.since(tx)

    assert bound() is None
    assert recent_posts.rotate(engine, NOW) == {"built": "ix_posts_search_since_20261126", "dropped": []}
    assert bound() == datetime(2026, 11, 26, tzinfo=UTC)
    assert recent_posts.rotate(engine, NOW + timedelta(hours=11)) == {"built": None, "dropped": []}
    day_after = NOW + timedelta(days=1)
    assert recent_posts.rotate(engine, day_after) == {"built": "ix_posts_search_since_20261127", "dropped": []}
    assert names() == ["ix_posts_search_since_20261126", "ix_posts_search_since_20261127"]
    assert bound() == datetime(2026, 11, 27, tzinfo=UTC)
    # A build cut short: an invalid index of the next day's name (a unique index that cannot be).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        with pytest.raises(Exception, match="could not create unique index"):
            connection.execute(
                text("CREATE UNIQUE INDEX CONCURRENTLY ix_posts_search_since_20261128 ON posts (subwiki_slug)")
            )
    assert bound() == datetime(2026, 11, 27, tzinfo=UTC)
    done = recent_posts.rotate(engine, day_after)
    assert done["built"] is None
    assert sorted(done["dropped"]) == ["ix_posts_search_since_20261126", "ix_posts_search_since_20261128"]
    assert names() == ["ix_posts_search_since_20261127"]
    with engine.connect() as connection:
        definition = connection.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_posts_search_since_20261127'")
        ).scalar_one()
    assert "USING gin (search_document) WHERE (created_at >= '2026-11-27 00:00:00+00'" in definition


def test_one_replica_rotates_at_a_time(db):
    with db.engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": recent_posts.LOCK_KEY})
        assert recent_posts.rotate(db.engine, NOW) == {"busy": True}
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": recent_posts.LOCK_KEY})
    assert recent_posts.rotate(db.engine, NOW)["built"] == "ix_posts_search_since_20261126"
