"""What the feed reads on most requests runs on psycopg on PostgreSQL, none of it through SQLAlchemy's execution
(svclib.db.driver): a subwiki's page and the subwiki found by its slug, the front page and the snapshot it was
read with, whether a reader mutes anyone, the numbers and cards of listed posts."""

from sqlalchemy import insert, select

from feed import pages
from feed.models import Base, FeedPost, FeedSubwiki
from svclib import snapshots
from svclib.db import StandaloneDatabase, utcnow
from svclib.testing import statements_run

NOW = utcnow()


def test_a_pages_reads_run_no_statement_through_sqlalchemy(database_url):
    db = StandaloneDatabase(Base.metadata, database_url("feed"))
    try:
        with db.transaction() as tx:
            tx.connection.execute(insert(FeedSubwiki).values(id="s1", slug="rivers", name="Rivers"))
            post = {"kind": "text", "posted_at": NOW, "visible": True, "refreshed_at": NOW, "refresh_due": NOW}
            post.update(author_id="a", author_username="ann", created_at=NOW, updated_at=NOW)
            tx.connection.execute(
                insert(FeedPost),
                [
                    {**post, "id": "p1", "subwiki_id": "s1", "subwiki_slug": "rivers", "title": "one", "rank": 2.0},
                    {**post, "id": "p2", "subwiki_id": "s2", "subwiki_slug": "lakes", "title": "two", "rank": 1.0},
                ],
            )
        with statements_run(db.engine, "") as seen, db.reading() as tx:
            rivers = pages.subwiki_feed(tx, "Rivers", "quality", 25, None, NOW)
            lakes = pages.subwiki_feed(tx, "lakes", "quality", 25, None, NOW)  # known from its posts alone
            unknown = pages.subwiki_feed(tx, "seas", "quality", 25, None, NOW)
            front = pages.public_feed(tx, "quality", "all", 25, None, NOW)
            snapshot = snapshots.current(tx.connection)
            mutes = pages.mutes_anything(tx, "reader")
            scores = pages.post_scores(tx, ["p1", "p3"])
            cards = pages.post_cards(tx, ["p2"])
        assert seen == []
        assert [item["post_id"] for item in rivers["items"]] == ["p1"] and lakes["items"][0]["post_id"] == "p2"
        assert unknown == {"items": [], "next_cursor": None} and not mutes and snapshots.Snapshot.parse(snapshot)
        assert [item["post_id"] for item in front["items"]] == ["p1", "p2"]
        assert list(scores) == ["p1"] and cards["p2"]["author_username"] == "ann" and cards["p2"]["subwiki"] == "lakes"
    finally:
        db.dispose()


def _one_post(db: StandaloneDatabase) -> None:
    """Post ``p1`` by ``a`` in ``rivers``, held by the feed."""
    with db.transaction() as tx:
        post = {"kind": "text", "posted_at": NOW, "visible": True, "refreshed_at": NOW, "refresh_due": NOW}
        post.update(author_id="a", created_at=NOW, updated_at=NOW, subwiki_id="s1", subwiki_slug="rivers")
        tx.connection.execute(insert(FeedPost).values(**post, id="p1", title="one", rank=0.0))


def test_a_vote_runs_on_the_driver_but_its_posts_row(database_url):
    """A vote applied (the busiest event) shares its voter's trust, holds its version, takes the vote held and puts
    the new one on psycopg; only the post's row, read and written as an ORM object, goes through SQLAlchemy."""
    from feed.handlers import votes

    db = StandaloneDatabase(Base.metadata, database_url("feed"))
    try:
        _one_post(db)
        with statements_run(db.engine, "") as seen:
            for version, value in enumerate((1, -1, 1), start=1):
                with db.transaction() as tx:
                    vote = {"target_type": "post", "target_id": "p1", "voter_id": "v", "value": value}
                    votes.vote_changed(tx, {**vote, "version": version}, NOW)
        assert {statement.split()[0] + " " + statement.split()[1] for statement, _ in seen} <= {
            "SELECT feed_posts.id,",
            "UPDATE feed_posts",
        }
        with db.reading() as tx:
            row = tx.connection.execute(select(FeedPost.up_count, FeedPost.down_count)).one()
        assert tuple(row) == (1, 0)
    finally:
        db.dispose()


def test_a_comments_counts_run_on_the_driver(database_url):
    """A comment applied recounts its post's comments and the people discussing it on psycopg, after the session's
    own changes are written (the driver does not flush the session as SQLAlchemy's execution does)."""
    from feed.handlers import posts

    db = StandaloneDatabase(Base.metadata, database_url("feed"))
    try:
        _one_post(db)
        with statements_run(db.engine, "count(") as seen:
            for n, author in enumerate(("b", "c", "b")):
                with db.transaction() as tx:
                    comment = {"id": f"c{n}", "post_id": "p1", "author_id": author, "length": 200}
                    posts.comment_changed(tx, comment, True, NOW)
        assert seen == []
        with db.reading() as tx:
            row = tx.connection.execute(select(FeedPost.comment_count, FeedPost.commenters)).one()
        assert tuple(row) == (3, 2)
    finally:
        db.dispose()
