"""The feed service in a real nameko container on the real broker and PostgreSQL: kept answers (pages)
are answered without reading, and every change, from any process, drops them at once."""

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from feed.service import FeedService
from svclib.db import isoformat, utcnow
from svclib.testing import wait_until


def post_created(post_id: str) -> dict:
    return {
        "event_id": f"created-{post_id}",
        "post": {
            "id": post_id,
            "author_id": "a" * 32,
            "subwiki_id": "s" * 32,
            "subwiki": "physics",
            "kind": "text",
            "title": f"Post {post_id}",
            "created_at": isoformat(utcnow()),
            "revision": 1,
        },
    }


def front_page(container) -> list[str]:
    with entrypoint_hook(container, "public_feed") as public_feed:
        return [item["post_id"] for item in public_feed(sort="new", window="all")["items"]]


@pytest.fixture
def config(service_config):
    return service_config("feed")


def test_pages_are_kept_until_an_event_changes_the_feed(container_factory, config):
    container = container_factory(FeedService, config)
    container.start()
    kept_answers = next(d for d in container.dependencies if d.attr_name == "kept")
    assert wait_until(lambda: kept_answers.kept.listening)
    dispatch = event_dispatcher(config)
    with entrypoint_waiter(container, "handle_post_created", timeout=10):
        dispatch("content", "post_created", post_created("p1"))
    assert front_page(container) == ["p1"]

    def answered_without_reading() -> bool:
        # The event's own notification may still arrive and drop the first page kept.
        front_page(container)
        hits = kept_answers.kept.stats()["hits"]
        return front_page(container) == ["p1"] and kept_answers.kept.stats()["hits"] == hits + 1

    assert wait_until(answered_without_reading)

    with entrypoint_waiter(container, "handle_post_created", timeout=10):
        dispatch("content", "post_created", post_created("p2"))
    assert wait_until(lambda: front_page(container) == ["p2", "p1"], timeout=2)

    with entrypoint_waiter(container, "handle_post_removed", timeout=10):
        dispatch("content", "post_removed", {"event_id": "removed-p2", "post": {"id": "p2"}})
    assert wait_until(lambda: front_page(container) == ["p1"], timeout=2)


def test_a_change_committed_by_another_process_drops_kept_answers(container_factory, config):
    reader = container_factory(FeedService, config)
    reader.start()
    kept_answers = next(d for d in reader.dependencies if d.attr_name == "kept")
    assert wait_until(lambda: kept_answers.kept.listening)
    assert front_page(reader) == []
    assert front_page(reader) == []
    assert kept_answers.kept.stats()["hits"] >= 1

    from feed import handlers
    from feed.kept import CHANNEL
    from feed.models import Base
    from svclib.db import StandaloneDatabase

    elsewhere = StandaloneDatabase(Base.metadata, config["FEED_DATABASE_URL"], changes_channel=CHANNEL)
    try:
        with elsewhere.transaction() as tx:
            handlers.post_created(tx, post_created("p9")["post"], utcnow())
    finally:
        elsewhere.dispose()
    assert wait_until(lambda: front_page(reader) == ["p9"], timeout=2)
