"""A subwiki's moderators approve each new member's first post (content.handlers.held)."""

import pytest
from sqlalchemy import select

from content.exceptions import Forbidden, NotFound
from content.models import OUTBOX


def emitted(db):
    with db.transaction() as tx:
        return [row.event_type for row in tx.session.execute(select(OUTBOX).order_by(OUTBOX.c.id))]


def test_a_new_members_first_post_waits_for_a_moderator(service, db):
    assert service.create_post("bob", "rivers", "text", "Before", "Not held yet.").get("pending") is None
    with pytest.raises(Forbidden):
        service.set_first_post_approval("bob", "rivers", True)  # moderators only
    service.set_first_post_approval("ann", "rivers", True)
    before = emitted(db)
    held = service.create_post("dan", "rivers", "text", "Hello", "My first post.")
    assert held["pending"] is True and held["held_post"]["author_id"] == "dan"
    assert emitted(db) == before  # no post_created: in no feed
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
    assert emitted(db)[-1] == "post_created"
    assert service.get_post(post["id"])["title"] == "Hello"
    assert service.list_held_posts("ann", "rivers")["items"] == []
    assert service.create_post("dan", "rivers", "text", "Second", "Shown at once.").get("pending") is None


def test_a_rejected_first_post_goes_and_the_setting_can_be_lifted(service):
    service.set_first_post_approval("ann", "rivers", True)
    held = service.create_post("dan", "rivers", "text", "Buy", "Cheap pills.")["held_post"]
    service.reject_held_post("ann", held["id"])
    assert service.list_held_posts("ann", "rivers")["items"] == []
    with pytest.raises(NotFound):
        service.approve_held_post("ann", held["id"])
    service.set_first_post_approval("ann", "rivers", False)
    assert service.list_held_posts("ann", "rivers")["approval_required"] is False
    assert service.create_post("dan", "rivers", "text", "Buy", "Cheap pills.").get("pending") is None


def test_a_retried_request_answers_with_the_held_post(service):
    service.set_first_post_approval("ann", "rivers", True)
    first = service.create_post("dan", "rivers", "text", "Hi", "Hello.", idempotency_key="k1")
    again = service.create_post("dan", "rivers", "text", "Hi", "Hello.", idempotency_key="k1")
    assert again == first
