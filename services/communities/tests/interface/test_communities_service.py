"""The communities service in a real nameko container on the real broker and PostgreSQL."""

import uuid

import pytest
from nameko.rpc import rpc
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from communities.exceptions import Conflict, Forbidden, NotFound
from communities.service import CommunitiesService
from svclib.events import ReliableEventHandler
from svclib.testing import call


class Listener:
    """A stand-in consumer of communities' events, on the same broker."""

    name = "listener"
    joined: list = []

    @ReliableEventHandler.decorator("communities", "member_joined")
    def handle_member_joined(self, payload):
        Listener.joined.append(payload["membership"])


class Identity:
    """A stand-in identity on the same broker: the people it has, as ``get_people`` answers."""

    name = "identity"
    people: dict = {}

    @rpc
    def get_people(self, ids, seen_by=None):
        return {i: Identity.people[i] for i in ids if i in Identity.people}


@pytest.fixture
def config(service_config):
    return service_config("communities")


def register(container, username: str) -> str:
    """A person as identity announces them, through the broker."""
    user_id = uuid.uuid4().hex
    with entrypoint_waiter(container, "handle_user_registered", timeout=10):
        event_dispatcher(container.config)(
            "identity", "user_registered", {"event_id": uuid.uuid4().hex, "user": {"id": user_id, "username": username}}
        )
    return user_id


@pytest.fixture
def communities(container_factory, config):
    container = container_factory(CommunitiesService, config)
    container.start()
    return container


def test_a_join_is_published_through_the_outbox(runner_factory, config):
    Listener.joined = []
    runner = runner_factory(config, CommunitiesService, Listener)
    runner.start()
    container = next(c for c in runner.containers if c.service_name == "communities")
    listener = next(c for c in runner.containers if c.service_name == "listener")
    ann, bob = register(container, "ann"), register(container, "bob")
    with entrypoint_waiter(listener, "handle_member_joined", timeout=10):
        created = call(container, "create_subwiki", ann, "rivers", "Rivers", "Water that moves.")
    assert Listener.joined[0]["user_id"] == ann and Listener.joined[0]["subwiki_id"] == created["id"]
    with entrypoint_waiter(listener, "handle_member_joined", timeout=10):
        call(container, "join_subwiki", bob, "rivers")
    assert Listener.joined[1]["user_id"] == bob
    assert call(container, "get_membership", bob, slug="rivers")["is_member"] is True
    assert call(container, "get_membership", bob, subwiki_id=created["id"])["is_moderator"] is False


def test_slugs_are_unique_and_moderation_is_checked_on_postgres(communities):
    ann, bob = register(communities, "ann"), register(communities, "bob")
    call(communities, "create_subwiki", ann, "birds", "Birds")
    with pytest.raises(Conflict):
        call(communities, "create_subwiki", bob, "BIRDS", "Other birds")
    with pytest.raises(Forbidden):
        call(communities, "add_moderator", bob, "birds", bob)
    with pytest.raises(NotFound):
        call(communities, "get_membership", bob, slug="no_such_place")


def test_the_wiki_page_keeps_its_history(communities):
    ann = register(communities, "ann")
    call(communities, "create_subwiki", ann, "maps", "Maps", "Old maps.")
    call(communities, "edit_subwiki", ann, "maps", 1, "better", summary="Old and new maps.")
    history = call(communities, "list_revisions", "maps")["items"]
    assert [r["revision"] for r in history] == [2, 1]
    assert call(communities, "get_revision_diff", "maps", 2)["changes"]


def test_content_events_count_posts(communities):
    ann = register(communities, "ann")
    subwiki = call(communities, "create_subwiki", ann, "lakes", "Lakes")
    post = {"id": uuid.uuid4().hex, "subwiki_id": subwiki["id"], "author_id": ann}
    dispatch = event_dispatcher(communities.config)
    with entrypoint_waiter(communities, "handle_post_created", timeout=10):
        dispatch("content", "post_created", {"event_id": uuid.uuid4().hex, "post": post})
    assert call(communities, "get_subwiki", "lakes")["post_count"] == 1
    with entrypoint_waiter(communities, "handle_post_removed", timeout=10):
        dispatch("content", "post_removed", {"event_id": uuid.uuid4().hex, "post": post})
    assert call(communities, "get_subwiki", "lakes")["post_count"] == 0


def test_a_person_whose_registration_has_not_arrived_is_asked_of_identity(runner_factory, config):
    """A member's first request the moment they signed up, before identity's ``user_registered`` reached
    communities: communities asks identity, records the account (on PostgreSQL, beside a registration that
    may be applied meanwhile) and goes on; the event, applied later, changes nothing."""
    dan, ghost = uuid.uuid4().hex, uuid.uuid4().hex
    Identity.people = {dan: {"id": dan, "username": "dan", "display_name": "Dan"}}
    runner = runner_factory(config, CommunitiesService, Identity)
    runner.start()
    container = next(c for c in runner.containers if c.service_name == "communities")
    created = call(container, "create_subwiki", dan, "ponds", "Ponds")
    assert created["member_count"] == 1 and call(container, "get_membership", dan, slug="ponds")["is_moderator"]
    with pytest.raises(NotFound):
        call(container, "create_subwiki", ghost, "ghosts", "Ghosts")  # identity has no such account
    with entrypoint_waiter(container, "handle_user_registered", timeout=10):
        event_dispatcher(container.config)(
            "identity", "user_registered", {"event_id": uuid.uuid4().hex, "user": {"id": dan, "username": "dan"}}
        )
    call(container, "leave_subwiki", register(container, "eve"), "ponds")
    assert call(container, "get_membership", dan, slug="ponds")["is_moderator"] is True
