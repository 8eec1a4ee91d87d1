import pytest
from sqlalchemy import select

from communities.exceptions import Conflict, Forbidden, Invalid, NotFound
from communities.models import OUTBOX, Base
from svclib import exceptions
from svclib.testing import memory_database


@pytest.fixture
def db():
    database = memory_database(Base.metadata)
    yield database
    database.dispose()


def emitted(db):
    with db.transaction() as tx:
        return [row.event_type for row in tx.session.execute(select(OUTBOX).order_by(OUTBOX.c.id))]


def test_create_makes_the_creator_first_moderator(service, db):
    created = service.create_subwiki("ann", "Rivers", "Rivers", "Water that moves.", "## About\nRivers.")
    assert created["slug"] == "rivers"
    assert created["revision"] == 1
    assert created["member_count"] == 1
    assert created["moderator_ids"] == ["ann"]
    assert created["is_moderator"] is True
    assert emitted(db) == ["subwiki_created", "member_joined", "moderator_added"]


@pytest.mark.parametrize("slug", ["ab", "has-dash", "x" * 41, "spa ce"])
def test_bad_slugs_are_refused(service, slug):
    with pytest.raises(Invalid) as caught:
        service.create_subwiki("ann", slug, "Name")
    assert "slug" in caught.value.details["fields"]


def test_slugs_are_unique(service):
    service.create_subwiki("ann", "rivers", "Rivers")
    with pytest.raises(Conflict):
        service.create_subwiki("bob", "RIVERS", "Other rivers")


def test_a_retry_with_its_idempotency_key_answers_with_the_subwiki_it_made(service, db):
    first = service.create_subwiki("ann", "rivers", "Rivers", "Water.", idempotency_key="k-1")
    again = service.create_subwiki("ann", "rivers", "Rivers", "Water.", idempotency_key="k-1")
    assert again["id"] == first["id"] and again["slug"] == "rivers"
    assert emitted(db) == ["subwiki_created", "member_joined", "moderator_added"]  # made once, announced once
    with pytest.raises(Conflict) as caught:  # the same key for another request
        service.create_subwiki("ann", "lakes", "Lakes", idempotency_key="k-1")
    assert "Idempotency-Key" in caught.value.details["fields"]
    # Keys are the caller's own: another person's k-1 is theirs (and meets the slug taken).
    with pytest.raises(Conflict) as caught:
        service.create_subwiki("bob", "rivers", "Rivers", "Water.", idempotency_key="k-1")
    assert "slug" in caught.value.details["fields"]
    with pytest.raises(Invalid):
        service.create_subwiki("ann", "lakes", "Lakes", idempotency_key="")


def test_an_erased_creator_s_keys_go_with_them(service, db):
    from communities.models import REQUEST_KEYS

    service.create_subwiki("ann", "rivers", "Rivers", idempotency_key="k-1")
    service.handle_user_erased({"event_id": "erase-ann", "user": {"id": "ann"}})
    with db.transaction() as tx:
        assert tx.session.execute(select(REQUEST_KEYS)).all() == []


def test_unknown_creator_is_refused(service):
    with pytest.raises(NotFound):
        service.create_subwiki("ghost", "ghosts", "Ghosts")
    service.identity.get_people.assert_called_once_with(["ghost"])  # identity has no such account either


def test_a_person_signed_up_a_moment_ago_joins_and_creates_before_their_registration_arrives(service):
    """Identity's ``user_registered`` may reach communities after the new member's first request: communities
    asks identity about a person it does not know, records the account and goes on; the event, applied later,
    changes nothing."""
    service.create_subwiki("ann", "rivers", "Rivers")
    service.identity.get_people.side_effect = lambda ids: {i: {"id": i, "username": f"{i}_name"} for i in ids}
    service.join_subwiki("dan", "rivers")
    assert service.get_subwiki("rivers", "dan")["is_member"] is True
    made = service.create_subwiki("eve", "lakes", "Lakes")
    assert made["slug"] == "lakes"
    service.add_moderator("ann", "rivers", "fay")
    assert service.get_subwiki("rivers")["member_count"] == 3
    asked = [call.args[0] for call in service.identity.get_people.call_args_list]
    assert asked == [["dan"], ["eve"], ["fay"]]
    service.handle_user_registered({"event_id": "reg-dan", "user": {"id": "dan", "username": "dan_name"}})
    service.leave_subwiki("dan", "rivers")
    service.join_subwiki("dan", "rivers")  # known now: identity not asked again
    assert len(service.identity.get_people.call_args_list) == 3


def test_a_person_identity_does_not_answer_for_stays_unknown(service):
    service.create_subwiki("ann", "rivers", "Rivers")
    service.identity.get_people.side_effect = RuntimeError("identity away")
    with pytest.raises(NotFound):
        service.join_subwiki("dan", "rivers")
    service.identity.get_people.side_effect = None
    service.identity.get_people.return_value = {"dan": None}  # erased since
    with pytest.raises(NotFound):
        service.join_subwiki("dan", "rivers")


def test_membership_is_idempotent_and_counted(service, db):
    service.create_subwiki("ann", "rivers", "Rivers")
    service.join_subwiki("bob", "rivers")
    service.join_subwiki("bob", "rivers")
    assert service.get_subwiki("rivers")["member_count"] == 2
    assert service.get_subwiki("rivers", "bob")["is_member"] is True
    service.leave_subwiki("bob", "rivers")
    service.leave_subwiki("bob", "rivers")
    assert service.get_subwiki("rivers", "bob")["is_member"] is False
    assert emitted(db).count("member_joined") == 2
    assert emitted(db).count("member_left") == 1


def test_the_only_moderator_cannot_leave(service):
    service.create_subwiki("ann", "rivers", "Rivers")
    with pytest.raises(Conflict):
        service.leave_subwiki("ann", "rivers")


def test_wiki_edit_history_diff_and_restore(service):
    service.create_subwiki("ann", "rivers", "Rivers", "Water.", "First text.")
    service.join_subwiki("bob", "rivers")
    edited = service.edit_subwiki("bob", "rivers", 1, "clearer", summary="Water that moves.")
    assert edited["revision"] == 2
    with pytest.raises(Conflict) as caught:
        service.edit_subwiki("ann", "rivers", 1, "stale", description="Lost update")
    assert caught.value.details["current_revision"] == 2
    history = service.list_revisions("rivers")
    assert [item["revision"] for item in history["items"]] == [2, 1]
    assert history["items"][0]["editor_id"] == "bob"
    diff = service.get_revision_diff("rivers", 2)
    assert diff["changes"][0]["field"] == "summary"
    assert "+Water that moves." in diff["changes"][0]["diff"]
    restored = service.restore_revision("ann", "rivers", 1)
    assert restored["revision"] == 3
    assert restored["summary"] == "Water."
    assert service.list_revisions("rivers")["items"][0]["restored_from"] == 1


def test_only_members_edit(service):
    service.create_subwiki("ann", "rivers", "Rivers")
    with pytest.raises(Forbidden):
        service.edit_subwiki("bob", "rivers", 1, "drive-by", summary="Vandalised")


def test_moderators_appoint_and_remove_with_a_public_log(service):
    service.create_subwiki("ann", "rivers", "Rivers")
    with pytest.raises(Forbidden):
        service.add_moderator("bob", "rivers", "cat")
    service.add_moderator("ann", "rivers", "bob")
    assert service.get_subwiki("rivers")["moderator_ids"] == ["ann", "bob"]
    assert service.get_subwiki("rivers")["member_count"] == 2
    service.remove_moderator("bob", "rivers", "ann")
    assert service.get_subwiki("rivers")["moderator_ids"] == ["bob"]
    with pytest.raises(Conflict):
        service.remove_moderator("bob", "rivers", "bob")
    log = service.get_modlog("rivers")["items"]
    assert [(e["action"], e["actor_id"], e["target_id"]) for e in log] == [
        ("remove_moderator", "bob", "ann"),
        ("appoint_moderator", "ann", "bob"),
    ]


def test_search_sorts_and_keyset_pages(service):
    for n in range(5):
        service.create_subwiki("ann", f"topic_{n}", f"Topic {n}", "about birds" if n % 2 else "about rivers")
    for member in ("bob", "cat"):
        service.join_subwiki(member, "topic_3")
    service.join_subwiki("bob", "topic_1")
    first = service.list_subwikis(sort="members", limit=2)
    assert [s["slug"] for s in first["items"]] == ["topic_3", "topic_1"]
    second = service.list_subwikis(sort="members", limit=2, cursor=first["next_cursor"])
    third = service.list_subwikis(sort="members", limit=2, cursor=second["next_cursor"])
    slugs = [s["slug"] for page in (first, second, third) for s in page["items"]]
    assert sorted(slugs) == [f"topic_{n}" for n in range(5)] and third["next_cursor"] is None
    birds = service.list_subwikis(q="birds", sort="new")
    assert {s["slug"] for s in birds["items"]} == {"topic_1", "topic_3"}
    with pytest.raises(Invalid):
        service.list_subwikis(sort="hot")
    with pytest.raises(exceptions.Invalid):
        service.list_subwikis(cursor="not-a-cursor")


def test_export_lists_memberships(service):
    service.create_subwiki("ann", "rivers", "Rivers")
    assert service.export_user("ann")["memberships"] == [{"subwiki": "rivers", "is_moderator": True}]


def test_content_events_count_posts_and_log_moderators_removals(service):
    created = service.create_subwiki("ann", "rivers", "Rivers")
    post = {"id": "p1", "subwiki_id": created["id"], "subwiki": "rivers"}
    service.handle_post_created({"event_id": "c1", "post": post})
    service.handle_post_created({"event_id": "c1", "post": post})
    assert service.get_subwiki("rivers")["post_count"] == 1
    removed = {**post, "removed_by": "ann", "by_moderator": True, "reason": "spam"}
    service.handle_post_removed({"event_id": "r1", "post": removed})
    service.handle_report_resolved(
        {
            "event_id": "rr",
            "report": {
                "id": "rep",
                "subwiki_id": created["id"],
                "resolved_by": "ann",
                "action": "uphold",
                "target_type": "post",
                "target_id": "p1",
            },
        }
    )
    assert service.get_subwiki("rivers")["post_count"] == 0
    log = service.get_modlog("rivers")["items"]
    assert [(e["action"], e["target_id"]) for e in log][:2] == [("uphold_report", "p1"), ("remove_post", "p1")]


def test_membership_events_carry_the_membership_s_version(service, db):
    service.create_subwiki("ann", "rivers", "Rivers")
    for _ in range(2):
        service.join_subwiki("bob", "rivers")
        service.leave_subwiki("bob", "rivers")
    with db.transaction() as tx:
        rows = tx.session.execute(select(OUTBOX).order_by(OUTBOX.c.id)).all()
    memberships = [(r.event_type, r.payload["membership"]) for r in rows if "membership" in r.payload]
    bob = [(event_type, m["version"]) for event_type, m in memberships if m["user_id"] == "bob"]
    assert bob == [("member_joined", 1), ("member_left", 2), ("member_joined", 3), ("member_left", 4)]


def test_subwiki_creation_per_account_is_limited_by_trust_with_retry_after(service, monkeypatch):
    """A new account starts few subwikis a day; one identity trusts more starts more (handlers.subwikis)."""
    monkeypatch.setenv("SPAM_DEFENCES", "on")
    monkeypatch.setenv("RATE_LIMIT_SUBWIKIS_NEW_LIMIT", "2")
    for tier in ("NEW", "TRUSTED"):  # no window ends during the test (it would start a fresh count)
        monkeypatch.setenv(f"RATE_LIMIT_SUBWIKIS_{tier}_WINDOW_SECONDS", "1000000000")
    for n in range(2):
        service.create_subwiki("ann", f"made_{n}", "Made")
    with pytest.raises(exceptions.RateLimited) as caught:
        service.create_subwiki("ann", "one_too_many", "Made")
    assert 0 < caught.value.details["retry_after"] <= 1_000_000_000
    service.create_subwiki("bob", "someone_else", "Theirs")  # the limit is per account
    with pytest.raises(Conflict):
        service.create_subwiki("bob", "made_0", "Taken")  # a refused creation is not counted
    service.create_subwiki("bob", "another", "Theirs")
    # Identity trusts ann more: the trusted tier's own count; an older value arriving late changes nothing.
    service.handle_user_trust_changed({"event_id": "t3", "user": {"id": "ann", "trust": 0.6, "version": 3}})
    service.handle_user_trust_changed({"event_id": "t2", "user": {"id": "ann", "trust": 0.1, "version": 2}})
    service.create_subwiki("ann", "now_trusted", "Made")


def test_a_slug_taken_at_the_same_moment_is_a_conflict_not_an_error(service, monkeypatch):
    """Two creations racing past the existence check: the unique constraint decides, answered 409."""
    from communities.handlers import subwikis as handlers

    service.create_subwiki("ann", "rivers", "Rivers")
    monkeypatch.setattr(handlers, "_slug_taken", lambda tx, slug: False)
    with pytest.raises(Conflict) as caught:
        service.create_subwiki("bob", "rivers", "Also rivers")
    assert "slug" in caught.value.details["fields"]
    assert service.create_subwiki("bob", "lakes", "Lakes")["slug"] == "lakes"


def test_membership_facts_carry_the_version_of_their_latest_event(service):
    service.create_subwiki("ann", "rivers", "Rivers", "", "")
    service.join_subwiki("bob", "rivers")
    service.leave_subwiki("bob", "rivers")
    service.join_subwiki("bob", "rivers")
    items = {item["user_id"]: item for item in service.list_memberships()["items"]}
    # ann: joined (1) and made moderator (2) at creation; bob: joined, left, joined.
    assert (items["ann"]["version"], items["ann"]["is_moderator"]) == (2, True)
    assert (items["bob"]["version"], items["bob"]["is_moderator"]) == (3, False)


def test_subwiki_names_carry_the_revision_their_events_carry(service, db):
    """A subwiki's revision is its version (one more each edit, in the edit's transaction): the events and
    list_subwiki_names, what a copy of the names is rebuilt from, carry the same."""
    service.create_subwiki("ann", "rivers", "Rivers", "", "")
    service.edit_subwiki("ann", "rivers", 1, "", summary="Water that moves.")
    with db.transaction() as tx:
        rows = tx.session.execute(OUTBOX.select().order_by(OUTBOX.c.id)).all()
    announced = [(r.event_type, r.payload["subwiki"]["revision"]) for r in rows if r.event_type.startswith("subwiki")]
    assert announced == [("subwiki_created", 1), ("subwiki_edited", 2)]
    assert [(s["slug"], s["name"], s["revision"]) for s in service.list_subwiki_names()["items"]] == [
        ("rivers", "Rivers", 2)
    ]


def test_summaries_by_slug_are_the_summaries_the_lists_show(service):
    service.create_subwiki("ann", "Rivers", "Rivers", "Water that moves.")
    service.create_subwiki("bob", "lakes", "Lakes")
    listed = {item["slug"]: item for item in service.list_subwikis()["items"]}
    assert service.get_subwikis(["RIVERS", "lakes", "seas"]) == listed
