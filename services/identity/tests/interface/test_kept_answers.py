"""Identity keeps the caller's own view per process: answered without reading until anything in
its database changes, in this process at once, in another process when PostgreSQL tells it."""

import pytest

from identity.handlers import mutes, profiles
from identity.kept import touches
from identity.models import Base, User
from identity.service import CHANGES, IdentityService
from svclib.db import StandaloneDatabase
from svclib.testing import call, listening_kept, wait_until

PASSWORD = "interface tests are real"


@pytest.fixture
def config(service_config):
    return service_config("identity")


@pytest.fixture
def identity(container_factory, config):
    """A started identity container and its kept answers, once they listen for changes."""
    container = container_factory(IdentityService, config)
    container.start()
    kept = listening_kept(container)
    return container, kept


def test_own_view_is_kept_until_a_change_commits(identity):
    container, kept = identity
    user = call(container, "register", "nadia", "nadia@example.com", PASSWORD, "Nadia")
    assert call(container, "get_me", user["id"])["display_name"] == "Nadia"

    def answered_without_reading() -> bool:
        # The registration's own notification may still arrive and drop the first answer kept.
        call(container, "get_me", user["id"])
        hits = kept.stats()["hits"]
        return call(container, "get_me", user["id"])["display_name"] == "Nadia" and kept.stats()["hits"] == hits + 1

    assert wait_until(answered_without_reading)

    call(container, "update_me", user["id"], display_name="Nadia K.")
    assert call(container, "get_me", user["id"])["display_name"] == "Nadia K."
    other = call(container, "register", "omar", "omar@example.com", PASSWORD, "Omar")
    call(container, "follow_user", user["id"], other["username"])
    assert call(container, "get_me", user["id"])["following"] == ["omar"]


def test_a_change_committed_by_another_process_drops_kept_answers(identity, config):
    container, _ = identity
    user = call(container, "register", "pia", "pia@example.com", PASSWORD, "Pia")
    assert call(container, "get_me", user["id"])["bio"] == ""
    call(container, "get_me", user["id"])

    elsewhere = StandaloneDatabase(Base.metadata, config["IDENTITY_DATABASE_URL"])
    elsewhere.changes_channel = CHANGES
    try:
        with elsewhere.transaction() as tx:
            profiles.update_me(tx, user["id"], bio="Written by another replica")
    finally:
        elsewhere.dispose()
    assert wait_until(lambda: call(container, "get_me", user["id"])["bio"] == "Written by another replica", 2)


def test_names_are_kept_until_a_change_commits(identity):
    container, views = identity
    ann = call(container, "register", "anik", "anik@example.com", PASSWORD, "Anik")
    bob = call(container, "register", "boris", "boris@example.com", PASSWORD, "Boris")
    ids = [ann["id"], bob["id"]]

    def kept(expected: dict, seen_by=None) -> bool:
        call(container, "get_people", ids, seen_by=seen_by)
        hits = views.stats()["hits"]
        return call(container, "get_people", ids, seen_by=seen_by) == expected and views.stats()["hits"] == hits + 1

    names = {
        ann["id"]: {"username": "anik", "display_name": "Anik"},
        bob["id"]: {"username": "boris", "display_name": "Boris"},
    }
    assert wait_until(lambda: kept(names))
    call(container, "update_me", bob["id"], display_name="Boris B.")
    assert call(container, "get_people", ids)[bob["id"]]["display_name"] == "Boris B."
    seen = {i: {**name, "blocked": False} for i, name in call(container, "get_people", ids).items()}
    assert wait_until(lambda: kept(seen, ann["id"]))
    call(container, "block_user", ann["id"], "boris")
    assert call(container, "get_people", ids, seen_by=ann["id"])[bob["id"]]["blocked"] is True


def test_signing_in_makes_no_process_forget_what_it_keeps(identity):
    """A sign-in changes attempt counts and sessions, which no kept answer shows: its commits are not
    announced (no NOTIFY), so a wave of sign-ins neither empties the kept answers nor queues for the lock
    every notifying commit of the cluster takes."""
    container, kept = identity
    user = call(container, "register", "quinn", "quinn@example.com", PASSWORD, "Quinn")

    def answered_without_reading() -> bool:
        call(container, "get_me", user["id"])
        hits = kept.stats()["hits"]
        return call(container, "get_me", user["id"])["display_name"] == "Quinn" and kept.stats()["hits"] == hits + 1

    assert wait_until(answered_without_reading)
    hits = kept.stats()["hits"]
    assert call(container, "login", "quinn", PASSWORD, "192.0.2.1")["user"]["id"] == user["id"]
    with pytest.raises(Exception, match="Wrong login or password"):
        call(container, "login", "quinn", "not the password at all", "192.0.2.1")

    assert call(container, "get_me", user["id"])["display_name"] == "Quinn"
    assert kept.stats()["hits"] == hits + 1  # still kept: answered without reading


def test_names_stay_kept_through_changes_they_do_not_show(identity, config):
    """A page's names (``get_people``) are dropped only by a change to someone's names or to the reader's blocks
    (identity.kept): not by a trust recomputation (many a second under votes), a bio or another reader's block,
    whichever replica commits it. The caller's own view still drops on any change."""
    container, views = identity
    ann = call(container, "register", "ania", "ania@example.com", PASSWORD, "Ania")
    bob = call(container, "register", "bruno", "bruno@example.com", PASSWORD, "Bruno")
    cat = call(container, "register", "celia", "celia@example.com", PASSWORD, "Celia")
    ids = [ann["id"], bob["id"]]

    def answered_without_reading(seen_by=None) -> bool:
        hits = views.stats()["hits"]
        call(container, "get_people", ids, seen_by=seen_by)
        return views.stats()["hits"] == hits + 1

    def kept_now(seen_by=None) -> bool:
        call(container, "get_people", ids, seen_by=seen_by)
        return answered_without_reading(seen_by)

    assert wait_until(kept_now) and wait_until(lambda: kept_now(ann["id"]))
    call(container, "get_me", bob["id"])

    url = config["IDENTITY_DATABASE_URL"]
    elsewhere = StandaloneDatabase(Base.metadata, url, changes_channel=CHANGES, touches=touches)
    try:
        with elsewhere.transaction() as tx:  # another replica recomputes Bruno's trust
            tx.session.get(User, bob["id"]).trust = 0.77
        with elsewhere.transaction() as tx:
            profiles.update_me(tx, bob["id"], bio="Rivers and trout")
        assert wait_until(lambda: call(container, "get_me", bob["id"])["bio"] == "Rivers and trout", 2)
        call(container, "block_user", cat["id"], "bruno")  # another reader's block
        assert answered_without_reading() and answered_without_reading(ann["id"])

        with elsewhere.transaction() as tx:
            profiles.update_me(tx, bob["id"], display_name="Bruno B.")
        renamed = lambda: call(container, "get_people", ids)[bob["id"]]["display_name"] == "Bruno B."  # noqa: E731
        assert wait_until(renamed, 2)
        assert call(container, "get_people", ids, seen_by=ann["id"])[bob["id"]]["display_name"] == "Bruno B."
    finally:
        elsewhere.dispose()
    assert wait_until(lambda: kept_now(ann["id"]))
    call(container, "block_user", ann["id"], "bruno")
    assert call(container, "get_people", ids, seen_by=ann["id"])[bob["id"]]["blocked"] is True


def test_a_reader_s_blocks_are_kept_until_their_own_blocks_change(identity, config, monkeypatch):
    """``blocked_ids`` (whom a reader blocked, asked beside a page of comments) is kept through renames, trust and
    other readers' blocks, and dropped by the reader's own block or unblock, whichever replica commits it. Past
    ``BLOCKED_IDS`` it says it is not complete (the gateway then asks about the page's authors instead)."""
    container, views = identity
    ann = call(container, "register", "anouk", "anouk@example.com", PASSWORD, "Anouk")
    bob = call(container, "register", "bodil", "bodil@example.com", PASSWORD, "Bodil")
    cat = call(container, "register", "cosmo", "cosmo@example.com", PASSWORD, "Cosmo")
    assert call(container, "blocked_ids", ann["id"]) == {"ids": [], "complete": True}

    def kept_now(expected: dict) -> bool:
        call(container, "blocked_ids", ann["id"])
        hits = views.stats()["hits"]
        return call(container, "blocked_ids", ann["id"]) == expected and views.stats()["hits"] == hits + 1

    call(container, "block_user", ann["id"], "bodil")
    assert call(container, "blocked_ids", ann["id"]) == {"ids": [bob["id"]], "complete": True}
    assert wait_until(lambda: kept_now({"ids": [bob["id"]], "complete": True}))
    call(container, "update_me", bob["id"], display_name="Bodil B.")  # a rename: names, not ann's blocks
    call(container, "block_user", cat["id"], "bodil")  # another reader's block
    hits = views.stats()["hits"]
    assert call(container, "blocked_ids", ann["id"]) == {"ids": [bob["id"]], "complete": True}
    assert views.stats()["hits"] == hits + 1

    url = config["IDENTITY_DATABASE_URL"]
    elsewhere = StandaloneDatabase(Base.metadata, url, changes_channel=CHANGES, touches=touches)
    try:
        with elsewhere.transaction() as tx:  # another replica takes ann's block of cosmo
            mutes.block_user(tx, ann["id"], "cosmo")
        both = {"ids": sorted([bob["id"], cat["id"]]), "complete": True}
        assert wait_until(lambda: call(container, "blocked_ids", ann["id"]) == both, 2)
        call(container, "unblock_user", ann["id"], "bodil")
        assert call(container, "blocked_ids", ann["id"]) == {"ids": [cat["id"]], "complete": True}

        with elsewhere.reading() as tx:
            assert mutes.blocked_ids(tx, ann["id"], limit=1) == {"ids": [cat["id"]], "complete": True}
        call(container, "block_user", ann["id"], "bodil")
        with elsewhere.reading() as tx:
            first = min(bob["id"], cat["id"])
            assert mutes.blocked_ids(tx, ann["id"], limit=1) == {"ids": [first], "complete": False}
    finally:
        elsewhere.dispose()
