"""Notifications in a real feed container on the real broker and PostgreSQL: a comment's event
becomes its post author's notification, on a queue of its own, without dropping the kept pages."""

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from feed.service import FeedService
from svclib.testing import call, wait_until


@pytest.fixture
def config(service_config):
    return service_config("feed")


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

    # A notification's transaction touches only its recipient's unread count: the front page kept before it
    # is answered still.
    assert wait_until(lambda: front_page_kept(container, kept_answers))
    hits = kept_answers.kept.stats()["hits"]
    with entrypoint_waiter(container, "notify_user_badge_awarded", timeout=10):
        event_dispatcher(config)("identity", "user_badge_awarded", {"event_id": "e2", "user": {"id": "ann"}})
    assert [n["kind"] for n in call(container, "notifications", "ann")["items"]][0] == "badge"
    call(container, "public_feed", "new", "all")
    assert kept_answers.kept.stats()["hits"] == hits + 1


def test_an_unread_count_is_kept_until_a_change_of_that_reader_s_notifications_settings_or_mutes(
    container_factory, config
):
    container = container_factory(FeedService, config)
    container.start()
    cache = next(d for d in container.dependencies if d.attr_name == "kept")
    assert wait_until(lambda: cache.kept.listening)
    dispatch, n = event_dispatcher(config), [0]

    def comment(post_author, subwiki="s1", mentions=(), post="p1"):
        n[0] += 1
        comment = {
            "id": f"c{n[0]}",
            "post_id": post,
            "subwiki_id": subwiki,
            "author_id": "bob",
            "parent_id": None,
            "length": 12,
            "post_author_id": post_author,
            "parent_author_id": None,
            "mentions": list(mentions),
        }
        with entrypoint_waiter(container, "notify_comment_created", timeout=10):
            dispatch("content", "comment_created", {"event_id": f"e{n[0]}", "comment": comment})

    def mute(kind, **target):
        n[0] += 1
        handler = "handle_user_muted" if kind == "muted" else "handle_user_unmuted"
        mute = {"user_id": "ann", "target_type": "subwiki", "target_id": "s2", "version": n[0]}
        with entrypoint_waiter(container, handler, timeout=10):
            dispatch("identity", f"user_{kind}", {"event_id": f"e{n[0]}", "mute": mute})

    def counted(reader: str) -> tuple[int, bool]:
        """The count answered, and whether it was kept (answered without reading)."""
        hits = cache.kept.stats()["hits"]
        answer = call(container, "unread_notifications", reader)
        return answer, cache.kept.stats()["hits"] == hits + 1

    # A change's own announcement may reach this process after it answered afresh: kept again by the next.
    assert counted("ann") == (0, False) and counted("cat") == (0, False)
    assert wait_until(lambda: counted("ann") == (0, True)) and counted("cat") == (0, True)
    comment("ann")
    assert wait_until(lambda: counted("ann") == (1, True))
    assert counted("cat") == (0, True)  # another reader's count stays kept
    comment("ann")  # grouped with the first: one notification still
    assert wait_until(lambda: counted("ann") == (1, True))
    comment("ann", subwiki="s2", mentions=["cat"], post="p2")
    assert wait_until(lambda: counted("ann")[0] == 2) and wait_until(lambda: counted("cat")[0] == 1)
    mute("muted")  # what happened in a muted subwiki is not counted
    assert wait_until(lambda: counted("ann")[0] == 1)
    mute("unmuted")
    assert wait_until(lambda: counted("ann")[0] == 2)
    call(container, "change_notification_settings", "ann", {"reply_to_post": False})
    assert counted("ann") == (0, False)
    call(container, "change_notification_settings", "ann", {"reply_to_post": True})
    assert counted("ann") == (2, False) and wait_until(lambda: counted("ann") == (2, True))
    call(container, "mark_notifications_read", "ann")
    assert counted("ann") == (0, False)
    assert counted("cat") == (1, True)
