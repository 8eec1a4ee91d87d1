"""Notifications in a real feed container on the real broker and PostgreSQL: a comment's event
becomes its post author's notification, on a queue of its own, without dropping the kept pages."""

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from feed.service import FeedService
from svclib.testing import wait_until


@pytest.fixture
def config(service_config):
    return service_config("feed")


def call(container, method, *args):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args)


def front_page_kept(container, kept_answers) -> bool:
    """The front page answered from what the process keeps (built again first if it was dropped)."""
    call(container, "public_feed", "new", "all")
    hits = kept_answers.kept.stats()["hits"]
    call(container, "public_feed", "new", "all")
    return kept_answers.kept.stats()["hits"] == hits + 1


def test_a_comment_notifies_the_post_author_and_keeps_the_feed_pages(container_factory, config):
    container = container_factory(FeedService, config)
    container.start()
    kept_answers = next(d for d in container.dependencies if d.attr_name == "kept")
    assert wait_until(lambda: kept_answers.kept.listening)

    comment = {
        "id": "c1",
        "post_id": "p1",
        "subwiki_id": "s1",
        "author_id": "bob",
        "parent_id": None,
        "length": 12,
        "post_author_id": "ann",
        "parent_author_id": None,
        "mentions": ["cat"],
    }
    with entrypoint_waiter(container, "notify_comment_created", timeout=10):
        event_dispatcher(config)("content", "comment_created", {"event_id": "e1", "comment": comment})
    (reply,) = call(container, "notifications", "ann")["items"]
    assert (reply["kind"], reply["actor_ids"], reply["comment_id"]) == ("reply_to_post", ["bob"], "c1")
    assert [n["kind"] for n in call(container, "notifications", "cat")["items"]] == ["mention"]
    assert call(container, "unread_notifications", "ann") == 1
    assert call(container, "mark_notifications_read", "ann", reply["id"]) == 1
    assert call(container, "unread_notifications", "ann") == 0

    # A notification's transaction is not announced: the front page kept before it is answered still.
    assert wait_until(lambda: front_page_kept(container, kept_answers))
    hits = kept_answers.kept.stats()["hits"]
    with entrypoint_waiter(container, "notify_user_badge_awarded", timeout=10):
        event_dispatcher(config)("identity", "user_badge_awarded", {"event_id": "e2", "user": {"id": "ann"}})
    assert [n["kind"] for n in call(container, "notifications", "ann")["items"]][0] == "badge"
    call(container, "public_feed", "new", "all")
    assert kept_answers.kept.stats()["hits"] == hits + 1
