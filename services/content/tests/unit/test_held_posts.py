"""A subwiki's moderators approve each new member's first post (content.handlers.held)."""

import base64

import pytest
from sqlalchemy import select

from content.exceptions import Forbidden, NotFound
from content.models import OUTBOX

from .test_posts import png_bytes


def emitted(db):
    with db.transaction() as tx:
        return [row.event_type for row in tx.session.execute(select(OUTBOX).order_by(OUTBOX.c.id))]


def payloads(db, event_type):
    with db.transaction() as tx:
        rows = tx.session.execute(select(OUTBOX).where(OUTBOX.c.event_type == event_type).order_by(OUTBOX.c.id))
        return [row.payload for row in rows]


def test_a_new_members_first_post_waits_for_a_moderator(service, db):
    assert service.create_post("bob", "rivers", "text", "Before", "Not held yet.").get("pending") is None
    with pytest.raises(Forbidden):
        service.set_first_post_approval("bob", "rivers", True)  # moderators only
    service.set_first_post_approval("ann", "rivers", True)
    before = emitted(db)
    held = service.create_post("dan", "rivers", "text", "Hello", "My first post.")
    assert held["pending"] is True and held["held_post"]["author_id"] == "dan"
    assert emitted(db) == [*before, "post_held"]  # no post_created: in no feed; its moderators are told
    (told,) = payloads(db, "post_held")
    assert told["held_post"] == {
        "id": held["held_post"]["id"],
        "subwiki_id": held["held_post"]["subwiki_id"],
        "subwiki": "rivers",
        "author_id": "dan",
        "title": "Hello",
        "reviewer_ids": ["ann"],
    }
    with pytest.raises(NotFound):
        service.get_post(held["held_post"]["id"])
    assert service.create_post("bob", "rivers", "text", "Again", "bob posted before.").get("pending") is None
    assert service.create_post("ann", "rivers", "text", "Mod", "Moderators are not held.").get("pending") is None

    # the author sees their own held post; others see none; moderators see the queue
    own = service.list_held_posts("dan", "rivers")
    assert [i["id"] for i in own["items"]] == [held["held_post"]["id"]] and own["approval_required"] is True
    assert service.list_held_posts("bob", "rivers")["items"] == []
    queue = service.list_held_posts("ann", "rivers")
    assert [i["title"] for i in queue["items"]] == ["Hello"]

    with pytest.raises(Forbidden):
        service.approve_held_post("dan", held["held_post"]["id"])
    post = service.approve_held_post("ann", held["held_post"]["id"])
    assert post["id"] == held["held_post"]["id"] and post["author_id"] == "dan"
    assert emitted(db)[-2:] == ["post_created", "held_post_approved"]
    assert payloads(db, "held_post_approved")[0]["held_post"]["approved_by"] == "ann"
    assert service.get_post(post["id"])["title"] == "Hello"
    assert service.list_held_posts("ann", "rivers")["items"] == []
    assert service.create_post("dan", "rivers", "text", "Second", "Shown at once.").get("pending") is None


def test_a_rejected_first_post_goes_and_the_setting_can_be_lifted(service, db):
    service.set_first_post_approval("ann", "rivers", True)
    held = service.create_post("dan", "rivers", "text", "Buy", "Cheap pills.")["held_post"]
    service.reject_held_post("ann", held["id"])
    assert payloads(db, "held_post_rejected")[0]["held_post"]["rejected_by"] == "ann"
    assert service.list_held_posts("ann", "rivers")["items"] == []
    assert service.list_held_posts("dan", "rivers")["items"] == []
    with pytest.raises(NotFound):
        service.approve_held_post("ann", held["id"])
    with pytest.raises(NotFound):
        service.reject_held_post("ann", held["id"])
    service.set_first_post_approval("ann", "rivers", False)
    assert service.list_held_posts("ann", "rivers")["approval_required"] is False
    assert service.create_post("dan", "rivers", "text", "Buy", "Cheap pills.").get("pending") is None


def test_a_retried_request_answers_with_the_held_post(service):
    service.set_first_post_approval("ann", "rivers", True)
    first = service.create_post("dan", "rivers", "text", "Hi", "Hello.", idempotency_key="k1")
    again = service.create_post("dan", "rivers", "text", "Hi", "Hello.", idempotency_key="k1")
    assert again == first


def test_held_posts_stay_in_the_authors_export_and_the_facts_once_decided(service):
    service.set_first_post_approval("ann", "rivers", True)
    first = service.create_post("dan", "rivers", "text", "Hello", "My first post.")["held_post"]
    second = service.create_post("bob", "rivers", "text", "Buy", "Cheap pills.")["held_post"]
    waiting = service.create_post("cat", "rivers", "text", "Look", "Here.")["held_post"]
    service.approve_held_post("ann", first["id"])
    service.reject_held_post("ann", second["id"])

    (mine,) = service.export_user("dan")["held_posts"]
    assert (mine["id"], mine["status"], mine["body"]) == (first["id"], "approved", "My first post.")
    assert mine["decided_at"] is not None
    assert [p["id"] for p in service.export_user("dan")["posts"]] == [first["id"]]
    assert [(p["status"], p["title"]) for p in service.export_user("bob")["held_posts"]] == [("rejected", "Buy")]
    assert service.export_user("cat")["held_posts"][0]["decided_at"] is None

    facts = {f["id"]: f for f in service.list_facts("held_posts")["items"]}
    assert {i: (f["status"], f["decided_by"]) for i, f in facts.items()} == {
        first["id"]: ("approved", "ann"),
        second["id"]: ("rejected", "ann"),
        waiting["id"]: ("waiting", None),
    }
    assert facts[first["id"]]["reviewer_ids"] == ["ann"] and facts[first["id"]]["subwiki"] == "rivers"


def test_an_erased_author_takes_their_held_posts_and_a_moderator_loses_their_name(service):
    service.set_first_post_approval("ann", "rivers", True)
    held = service.create_post("dan", "rivers", "text", "Hello", "My first post.")["held_post"]
    service.reject_held_post("ann", held["id"])
    service.handle_user_erased({"event_id": "e1", "user": {"id": "ann"}})
    assert service.export_user("dan")["held_posts"][0]["status"] == "rejected"
    assert service.list_facts("held_posts")["items"][0]["decided_by"] is None
    service.handle_user_erased({"event_id": "e2", "user": {"id": "dan"}})
    assert service.list_facts("held_posts")["items"] == []


def test_a_held_picture_post_shows_its_picture_to_the_author_and_the_moderators(service, tmp_path):
    upload = service.save_upload("dan", base64.b64encode(png_bytes()).decode())
    service.set_first_post_approval("ann", "rivers", True)
    held = service.create_post("dan", "rivers", "image", "A heron", image_id=upload["image_id"])
    assert held["pending"] is True and held["held_post"]["image_file"] == upload["filename"]
    words = service.create_post("cat", "rivers", "text", "Words only", "No picture.")
    queue = service.list_held_posts("ann", "rivers")["items"]
    assert [(i["title"], i["image_file"]) for i in queue] == [("A heron", upload["filename"]), ("Words only", None)]
    assert words["held_post"]["image_file"] is None
    assert service.list_held_posts("dan", "rivers")["items"][0]["image_file"] == upload["filename"]
