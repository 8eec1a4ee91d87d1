"""Identity's names reach content's and the feed's copies out of order, on the real broker and PostgreSQL: a
rename delivered ahead of the registration is tried again after it and leaves the newest names; a
registration delivered again, older, changes nothing."""

import uuid
from contextlib import ExitStack

from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from content.models import Base as ContentBase
from content.models import PersonName
from content.service import ContentService
from feed.models import Base as FeedBase
from feed.models import FeedPerson
from feed.service import FeedService
from svclib.db import StandaloneDatabase
from svclib.testing import wait_until

CONSUMERS = ("content", "feed")


def announced(user: dict, **changed) -> dict:
    return {"event_id": uuid.uuid4().hex, "occurred_at": "2026-12-03T00:00:00+00:00", "user": {**user, **changed}}


def test_a_rename_ahead_of_the_registration_leaves_the_newest_names(runner_factory, service_config):
    config = service_config(*CONSUMERS)
    runner = runner_factory(config, ContentService, FeedService)
    runner.start()
    containers = {container.service_name: container for container in runner.containers}
    dispatch = event_dispatcher(config)
    user = {
        "id": uuid.uuid4().hex,
        "username": "una",
        "display_name": "Una",
        "created_at": "2026-12-03T00:00:00+00:00",
        "profile_version": 1,
    }
    copies = {
        "content": (StandaloneDatabase(ContentBase.metadata, config["CONTENT_DATABASE_URL"]), PersonName),
        "feed": (StandaloneDatabase(FeedBase.metadata, config["FEED_DATABASE_URL"]), FeedPerson),
    }

    def names() -> dict:
        held = {}
        for name, (database, model) in copies.items():
            with database.reading() as tx:
                row = tx.session.get(model, user["id"])
                held[name] = None if row is None else (row.display_name, row.version)
        return held

    try:
        # The rename first: each consumer has tried it (the person unknown yet) before the registration leaves.
        with ExitStack() as waits:
            for name in CONSUMERS:
                waits.enter_context(entrypoint_waiter(containers[name], "handle_user_updated", timeout=10))
            dispatch("identity", "user_updated", announced(user, display_name="Una Newest", profile_version=2))
        assert names() == {"content": None, "feed": None}
        with ExitStack() as waits:
            for name in CONSUMERS:
                waits.enter_context(entrypoint_waiter(containers[name], "handle_user_registered", timeout=10))
            dispatch("identity", "user_registered", announced(user))
        newest = {"content": ("Una Newest", 2), "feed": ("Una Newest", 2)}
        assert wait_until(lambda: names() == newest, timeout=30), names()
        with ExitStack() as waits:
            for name in CONSUMERS:
                waits.enter_context(entrypoint_waiter(containers[name], "handle_user_registered", timeout=10))
            dispatch("identity", "user_registered", announced(user))  # announced again, later
        assert names() == newest
    finally:
        for database, _ in copies.values():
            database.dispose()
