"""The feed announces each post's new quality (post_quality_changed, through its outbox) with a version that
only grows: once per event that changed it, never for one that did not, and again after a rebuild when the
rebuilt quality differs from the one announced."""

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select

from feed import handlers
from feed.models import OUTBOX, Base, FeedPost
from feed.service import FeedService
from svclib.kept import Kept
from svclib.testing import memory_database

from .test_ranking import Events


@pytest.fixture
def db():
    database = memory_database(Base.metadata)
    yield database
    database.dispose()


@pytest.fixture
def service(db):
    return worker_factory(FeedService, db=db, kept=Kept(max_entries=0, max_age=0))


@pytest.fixture
def events(service):
    return Events(service)


def announced(db):
    with db.reading() as tx:
        rows = tx.session.execute(select(OUTBOX.c.event_type, OUTBOX.c.payload).order_by(OUTBOX.c.id)).all()
    return [row.payload["post"] for row in rows if row.event_type == "post_quality_changed"]


def test_a_vote_that_changes_a_quality_announces_it_with_a_growing_version(db, events):
    events.trust("v1", 1.0)
    events.trust("v2", 1.0)
    events.post("p1")
    assert announced(db) == []  # a new post's quality is 0, as content assumes
    events.vote("p1", "v1")
    events.vote("p1", "v2")
    first, second = announced(db)
    assert first["id"] == second["id"] == "p1"
    assert 0 < first["quality"] < second["quality"] and first["version"] < second["version"]
    with db.reading() as tx:
        post = tx.session.get(FeedPost, "p1")
        assert (post.quality, post.quality_version) == (second["quality"], second["version"])


def test_an_event_that_leaves_the_quality_as_it_was_announces_nothing(db, events):
    events.post("p1", author="a1")
    events.vote("p1", "a1")  # the author's own vote weighs nothing
    events.comment("p1", "a1")  # nor does the author's own comment
    assert announced(db) == []
    events.comment("p1", "someone")
    assert [post["id"] for post in announced(db)] == ["p1"]


def test_a_rebuild_announces_what_differs_from_what_was_announced_with_a_later_version(db, events):
    events.trust("v1", 1.0)
    for post_id in ("same", "changed", "new"):
        events.post(post_id)
    events.vote("same", "v1")
    events.vote("changed", "v1")
    before = {post["id"]: post for post in announced(db)}
    with db.transaction() as tx:
        was = {
            "same": (before["same"]["quality"], before["same"]["version"]),
            "changed": (0.0, before["changed"]["version"]),  # as if the rebuilt facts no longer held the vote
        }
        assert handlers.announce_rebuilt(tx, was) == 2
    again = announced(db)[len(before) :]
    assert [post["id"] for post in again] == ["changed", "new"]
    assert again[0]["version"] > before["changed"]["version"] and again[1]["quality"] == 0.0
    with db.reading() as tx:
        assert tx.session.get(FeedPost, "same").quality_version == before["same"]["version"]
