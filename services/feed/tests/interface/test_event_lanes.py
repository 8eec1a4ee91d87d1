"""What a member waits to see is applied while votes and trust changes hold every slot of theirs: a burst of
them (here: waiting on their voter's trust row, held by another transaction) delays no post on its subwiki's
page and no reply in its author's unread count (svclib.events lanes)."""

import psycopg
import pytest
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from feed.service import FeedService
from svclib.db import isoformat, utcnow
from svclib.testing import call, wait_until

DEFAULT_SLOTS = 2


@pytest.fixture
def config(service_config):
    return service_config("feed", EVENT_WORKERS=DEFAULT_SLOTS)


def waiting_on_locks(connection) -> int:
    """Backends of this database waiting for a row lock (the feed's handlers, blocked)."""
    return connection.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()[0]


def test_posts_and_replies_are_applied_while_votes_and_trust_changes_hold_their_lanes_slots(container_factory, config):
    container = container_factory(FeedService, config)
    container.start()
    dispatch = event_dispatcher(config)

    def trust(n: int) -> dict:
        return {"event_id": f"t{n}", "user": {"id": "voter", "trust": 0.1 * n, "version": n}}

    with entrypoint_waiter(container, "handle_user_trust_changed", timeout=10):
        dispatch("identity", "user_trust_changed", trust(1))
    url = config["FEED_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as probe, psycopg.connect(url) as holder:
        # Another transaction holds the voter's trust row: their trust changes and votes wait for it.
        holder.execute("SELECT * FROM feed_trust WHERE user_id = 'voter' FOR UPDATE")
        for n in range(2, 6):
            dispatch("identity", "user_trust_changed", trust(n))
        assert wait_until(lambda: waiting_on_locks(probe) == DEFAULT_SLOTS, timeout=10)

        post = {
            "id": "p1",
            "author_id": "ann",
            "subwiki_id": "s1",
            "subwiki": "rivers",
            "kind": "text",
            "title": "Rivers",
            "created_at": isoformat(utcnow()),
        }
        dispatch("content", "post_created", {"event_id": "e1", "post": post})
        comment = {
            "id": "c1",
            "post_id": "p1",
            "subwiki_id": "s1",
            "author_id": "bob",
            "parent_id": None,
            "length": 30,
            "post_author_id": "ann",
            "parent_author_id": None,
            "mentions": [],
        }
        dispatch("content", "comment_created", {"event_id": "e2", "comment": comment})

        def on_its_page() -> bool:
            return [i["post_id"] for i in call(container, "subwiki_feed", "rivers", "new")["items"]] == ["p1"]

        assert wait_until(on_its_page, timeout=10)
        assert wait_until(lambda: call(container, "unread_notifications", "ann") == 1, timeout=10)
        # Still every slot of votes' and trust changes' lane waiting: none of them was taken by the post or reply.
        assert waiting_on_locks(probe) == DEFAULT_SLOTS
        holder.rollback()

    def trust_held() -> float | None:
        with psycopg.connect(url) as connection:
            row = connection.execute("SELECT version FROM feed_trust WHERE user_id = 'voter'").fetchone()
        return row[0]

    assert wait_until(lambda: trust_held() == 5, timeout=20)
