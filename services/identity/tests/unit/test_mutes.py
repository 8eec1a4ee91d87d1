import pytest
from nameko.testing.services import worker_factory

from identity.exceptions import Forbidden, Invalid, NotFound
from identity.models import OUTBOX, Base
from identity.service import IdentityService
from svclib.kept import Kept
from svclib.testing import memory_database

GOOD_PASSWORD = "correct horse battery"


@pytest.fixture
def db():
    database = memory_database(Base.metadata)
    yield database
    database.dispose()


@pytest.fixture
def service(db):
    return worker_factory(IdentityService, db=db, config={}, kept=Kept(max_entries=0, max_age=0))


def events(db, entity):
    with db.transaction() as tx:
        rows = tx.session.execute(OUTBOX.select().order_by(OUTBOX.c.id)).all()
    return [(row.event_type, row.payload[entity]) for row in rows if entity in row.payload]


def register(service, name):
    return service.register(name, f"{name}@example.com", GOOD_PASSWORD)


def test_mutes_of_people_and_subwikis_are_listed_idempotent_and_versioned(service, db):
    ann, bob = register(service, "ann"), register(service, "bob")
    service.mute_user(ann["id"], "BOB")
    service.mute_user(ann["id"], "bob")
    service.mute_subwiki(ann["id"], "s" * 32, "rivers")
    people = service.muted_people(ann["id"])
    assert [item["person"]["username"] for item in people["items"]] == ["bob"]
    assert service.muted_subwikis(ann["id"])["items"][0]["subwiki"] == {"id": "s" * 32, "slug": "rivers"}
    service.mute_user(ann["id"], "bob", muted=False)
    service.mute_user(ann["id"], "bob", muted=False)
    service.mute_user(ann["id"], "bob")
    assert [(kind, mute["target_id"], mute["version"]) for kind, mute in events(db, "mute")] == [
        ("user_muted", bob["id"], 1),
        ("user_muted", "s" * 32, 1),
        ("user_unmuted", bob["id"], 1 + 1),
        ("user_muted", bob["id"], 3),
    ]
    facts = service.list_mutes()["items"]
    assert sorted((f["target_type"], f["version"]) for f in facts) == [("subwiki", 1), ("user", 3)]
    with pytest.raises(Invalid):
        service.mute_user(ann["id"], "ann")
    with pytest.raises(NotFound):
        service.mute_user(ann["id"], "nobody_at_all")


def test_people_pages_go_by_username(service):
    me = register(service, "zed")
    for name in ("carl", "dora", "emma"):
        register(service, name)
        service.block_user(me["id"], name)
    first = service.blocked_people(me["id"], limit=2)
    assert [i["person"]["username"] for i in first["items"]] == ["carl", "dora"]
    rest = service.blocked_people(me["id"], limit=2, cursor=first["next_cursor"])
    assert [i["person"]["username"] for i in rest["items"]] == ["emma"] and rest["next_cursor"] is None


def test_a_block_ends_the_blocked_person_s_follow_and_refuses_a_new_one(service, db):
    ann, bob = register(service, "ann"), register(service, "bob")
    service.follow_user(bob["id"], "ann")
    service.follow_user(ann["id"], "bob")
    service.block_user(ann["id"], "bob")
    service.block_user(ann["id"], "bob")
    assert service.get_me(bob["id"])["following"] == []
    assert service.get_me(ann["id"])["following"] == ["bob"]  # the blocker's own follow stays theirs
    with pytest.raises(Forbidden):
        service.follow_user(bob["id"], "ann")
    assert [(kind, block["version"]) for kind, block in events(db, "block")] == [("user_blocked", 1)]
    unfollowed = [f for kind, f in events(db, "follow") if kind == "user_unfollowed"]
    assert [(f["follower_id"], f["version"]) for f in unfollowed] == [(bob["id"], 2)]
    service.unblock_user(ann["id"], "bob")
    service.follow_user(bob["id"], "ann")
    assert service.get_me(bob["id"])["following"] == ["ann"]
    assert [(f["blocker_id"], f["version"]) for f in service.list_blocks()["items"]] == []
    assert events(db, "block")[-1][0] == "user_unblocked"


def test_the_caller_comes_with_whom_they_blocked_and_a_change_to_it_tells_the_gateways(service):
    """``authenticate`` answers whom the caller blocked (what a page of comments marks for them); each block or
    unblock is broadcast like a revocation of the blocker's tokens (none named), so every gateway asks again."""
    ann, bob = register(service, "ann"), register(service, "bob")
    token = service.login("ann", GOOD_PASSWORD, "10.0.0.9")["token"]
    assert service.authenticate(token)["blocks"] == {"ids": [], "complete": True}
    service.block_user(ann["id"], "bob")
    assert service.revocations.call_args.args == ({"token_hashes": [], "user_id": ann["id"]},)
    assert service.authenticate(token)["blocks"] == {"ids": [bob["id"]], "complete": True}
    service.revocations.reset_mock()
    service.unblock_user(ann["id"], "bob")
    assert service.revocations.call_args.args == ({"token_hashes": [], "user_id": ann["id"]},)
    assert service.authenticate(token)["blocks"] == {"ids": [], "complete": True}


def test_mutes_and_blocks_are_exported_and_erased_both_ways(service):
    ann, bob, cat = register(service, "ann"), register(service, "bob"), register(service, "cat")
    service.mute_user(ann["id"], "bob")
    service.block_user(ann["id"], "cat")
    service.mute_subwiki(ann["id"], "s" * 32, "rivers")
    service.block_user(bob["id"], "ann")
    service.mute_user(cat["id"], "ann")
    exported = service.export_user(ann["id"])
    assert exported["mutes"] == {"users": ["bob"], "subwikis": ["rivers"]}
    assert exported["blocks"] == ["cat"]
    service.erase_me(ann["id"], GOOD_PASSWORD)
    assert service.blocked_people(bob["id"])["items"] == []
    assert service.muted_people(cat["id"])["items"] == []
    assert service.list_mutes()["items"] == [] and service.list_blocks()["items"] == []


def test_names_seen_by_a_reader_say_whom_they_blocked(service):
    ann, bob, cat = register(service, "ann"), register(service, "bob"), register(service, "cat")
    service.block_user(ann["id"], "bob")
    service.block_user(cat["id"], "ann")  # someone else's block says nothing to ann
    ids = [ann["id"], bob["id"], cat["id"]]
    seen = service.get_people(ids, seen_by=ann["id"])
    assert {seen[i]["username"]: seen[i]["blocked"] for i in ids} == {"ann": False, "bob": True, "cat": False}
    assert service.get_people(ids)[bob["id"]] == {"username": "bob", "display_name": "bob"}
    service.unblock_user(ann["id"], "bob")
    assert service.get_people([bob["id"]], seen_by=ann["id"])[bob["id"]]["blocked"] is False
