"""Communities keeps subwikis' summaries and pages per process (``communities.kept``): asked again, one is
answered without reading until a change to that subwiki commits, in the committing process at once and in
another replica when PostgreSQL tells it; a change to another subwiki leaves it kept."""

import uuid

import pytest
from sqlalchemy import update

from communities.kept import CHANNEL, touches
from communities.models import Base, Subwiki
from communities.service import CommunitiesService
from svclib.db import StandaloneDatabase
from svclib.testing import call, listening_kept, wait_until


@pytest.fixture
def config(service_config):
    return service_config("communities")


@pytest.fixture
def replicas(container_factory, config):
    """Two started communities containers on the same database and broker, as two replicas, each with its
    kept answers once they listen for changes."""
    started = []
    for _ in range(2):
        container = container_factory(CommunitiesService, config)
        container.start()
        started.append((container, listening_kept(container)))
    return started


def register(container, username: str) -> str:
    """A person as identity announces them (the handler called directly: either replica may take an event
    from the broker)."""
    user_id = uuid.uuid4().hex
    user = {"id": user_id, "username": username}
    call(container, "handle_user_registered", {"event_id": uuid.uuid4().hex, "user": user})
    return user_id


def post_counted(container, subwiki_id: str, delta: int = 1) -> None:
    """Content's event of a post created (or removed, ``delta`` -1) in the subwiki, as communities handles it."""
    post = {"id": uuid.uuid4().hex, "subwiki_id": subwiki_id, "subwiki": "", "removed_by": None}
    handler = "handle_post_created" if delta > 0 else "handle_post_removed"
    call(container, handler, {"event_id": uuid.uuid4().hex, "post": post})


def kept_answer(container, kept, method: str, *args) -> dict:
    """The answer once it is answered without reading (a commit's own notification may still arrive and
    drop the first one kept)."""
    found: dict = {}

    def answered_without_reading() -> bool:
        call(container, method, *args)
        hits = kept.stats()["hits"]
        found["answer"] = call(container, method, *args)
        return kept.stats()["hits"] == hits + 1

    assert wait_until(answered_without_reading)
    return found["answer"]


def test_summaries_are_kept_until_a_change_to_their_subwiki_commits(replicas):
    (container, kept), _ = replicas
    ann, bob = register(container, "ann"), register(container, "bob")
    rivers = call(container, "create_subwiki", ann, "rivers", "Rivers", "Water that moves.")
    call(container, "create_subwiki", ann, "lakes", "Lakes", "Water that stays.")
    slugs = ["lakes", "rivers", "seas"]

    first = kept_answer(container, kept, "get_subwikis", slugs)
    assert (first["rivers"]["member_count"], first["rivers"]["post_count"]) == (1, 0) and "seas" not in first
    # Asked again: the same answer, not read again.
    assert wait_until(lambda: call(container, "get_subwikis", slugs) is call(container, "get_subwikis", slugs))

    call(container, "join_subwiki", bob, "rivers")
    assert call(container, "get_subwikis", slugs)["rivers"]["member_count"] == 2

    kept_answer(container, kept, "get_subwikis", slugs)
    call(container, "leave_subwiki", bob, "rivers")
    assert call(container, "get_subwikis", slugs)["rivers"]["member_count"] == 1

    kept_answer(container, kept, "get_subwikis", slugs)
    post_counted(container, rivers["id"])
    assert call(container, "get_subwikis", slugs)["rivers"]["post_count"] == 1

    kept_answer(container, kept, "get_subwikis", slugs)
    post_counted(container, rivers["id"], -1)
    assert call(container, "get_subwikis", slugs)["rivers"]["post_count"] == 0

    kept_answer(container, kept, "get_subwikis", slugs)
    call(container, "edit_subwiki", ann, "rivers", 1, "clearer", summary="Water that flows.")
    assert call(container, "get_subwikis", slugs)["rivers"]["summary"] == "Water that flows."

    # A subwiki asked for before it existed shows once created.
    kept_answer(container, kept, "get_subwikis", slugs)
    call(container, "create_subwiki", bob, "seas", "Seas")
    assert call(container, "get_subwikis", slugs)["seas"]["name"] == "Seas"

    # A change to another subwiki, or one its summary does not show (a comment's activity), leaves it kept.
    kept_answer(container, kept, "get_subwikis", ["rivers"])
    call(container, "join_subwiki", bob, "lakes")
    call(container, "handle_comment_created", {"event_id": uuid.uuid4().hex, "comment": {"subwiki_id": rivers["id"]}})
    hits = kept.stats()["hits"]
    assert call(container, "get_subwikis", ["rivers"])["rivers"]["member_count"] == 1
    assert kept.stats()["hits"] == hits + 1


def test_a_subwiki_page_is_kept_and_read_as_each_viewer_sees_it(replicas):
    (container, kept), _ = replicas
    ann, bob = register(container, "ann"), register(container, "bob")
    rivers = call(container, "create_subwiki", ann, "rivers", "Rivers", "Water that moves.")

    page = kept_answer(container, kept, "get_subwiki", "rivers")
    assert page["moderator_ids"] == [ann] and "is_member" not in page
    seen = call(container, "get_subwiki", "rivers", bob)
    assert (seen["is_member"], seen["is_moderator"]) == (False, False)
    assert call(container, "get_subwiki", "rivers", ann)["is_moderator"] is True
    assert "is_member" not in call(container, "get_subwiki", "rivers")  # the kept page is never changed

    call(container, "join_subwiki", bob, "rivers")
    seen = call(container, "get_subwiki", "rivers", bob)
    assert (seen["is_member"], seen["member_count"]) == (True, 2)

    kept_answer(container, kept, "get_subwiki", "rivers")
    call(container, "add_moderator", ann, "rivers", bob)  # only a membership's row changes
    assert call(container, "get_subwiki", "rivers")["moderator_ids"] == [ann, bob]
    assert call(container, "get_subwiki", "rivers", bob)["is_moderator"] is True

    kept_answer(container, kept, "get_subwiki", "rivers")
    call(container, "edit_subwiki", bob, "rivers", 1, "more", description="## About\nRivers.")
    page = call(container, "get_subwiki", "rivers")
    assert (page["description"], page["revision"]) == ("## About\nRivers.", 2)

    kept_answer(container, kept, "get_subwiki", "rivers")
    post_counted(container, rivers["id"])
    assert call(container, "get_subwiki", "rivers")["post_count"] == 1


def test_a_change_committed_by_one_replica_drops_the_others_answers(replicas):
    (one, _), (other, kept) = replicas
    ann, bob = register(one, "ann"), register(one, "bob")
    rivers = call(one, "create_subwiki", ann, "rivers", "Rivers", "Water that moves.")
    for method, argument in (("get_subwikis", ["rivers"]), ("get_subwiki", "rivers")):
        kept_answer(other, kept, method, argument)

    call(one, "join_subwiki", bob, "rivers")
    assert wait_until(lambda: call(other, "get_subwikis", ["rivers"])["rivers"]["member_count"] == 2)
    assert wait_until(lambda: call(other, "get_subwiki", "rivers")["member_count"] == 2)

    for change, shown in (
        (lambda: post_counted(one, rivers["id"]), lambda summary: summary["post_count"] == 1),
        (lambda: call(one, "leave_subwiki", bob, "rivers"), lambda summary: summary["member_count"] == 1),
        (
            lambda: call(one, "edit_subwiki", ann, "rivers", 1, "", summary="Water that flows."),
            lambda summary: summary["summary"] == "Water that flows.",
        ),
    ):
        kept_answer(other, kept, "get_subwikis", ["rivers"])
        change()
        assert wait_until(lambda: shown(call(other, "get_subwikis", ["rivers"])["rivers"]))  # noqa: B023


def test_a_statement_on_a_connection_elsewhere_drops_every_replicas_answers(replicas, config):
    """A change written as a statement on a transaction's connection (not a flush of rows), by a process that
    is neither replica, drops the answers both keep."""
    (one, kept_one), (other, kept_other) = replicas
    ann = register(one, "ann")
    call(one, "create_subwiki", ann, "rivers", "Rivers", "Water that moves.")
    kept_answer(one, kept_one, "get_subwikis", ["rivers"])
    kept_answer(other, kept_other, "get_subwiki", "rivers")
    elsewhere = StandaloneDatabase(
        Base.metadata, config["COMMUNITIES_DATABASE_URL"], changes_channel=CHANNEL, touches=touches
    )
    try:
        with elsewhere.transaction() as tx:
            tx.connection.execute(update(Subwiki).where(Subwiki.slug == "rivers").values(summary="Moving water."))
    finally:
        elsewhere.dispose()
    assert wait_until(lambda: call(one, "get_subwikis", ["rivers"])["rivers"]["summary"] == "Moving water.")
    assert wait_until(lambda: call(other, "get_subwiki", "rivers")["summary"] == "Moving water.")
