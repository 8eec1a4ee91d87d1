"""Blocks, kept from identity's events: a blocked person cannot reply to the blocker nor mention them."""

import pytest
from sqlalchemy import select

from content.exceptions import Forbidden
from content.models import OUTBOX

from .test_posts import article


def block(service, n, blocker, blocked, version, active=True):
    handle = service.handle_user_blocked if active else service.handle_user_unblocked
    handle({"event_id": f"b{n}", "block": {"blocker_id": blocker, "blocked_id": blocked, "version": version}})


def mentions_of(db):
    with db.transaction() as tx:
        rows = tx.session.execute(select(OUTBOX.c.payload).where(OUTBOX.c.event_type == "comment_created")).all()
    return [row.payload["comment"]["mentions"] for row in rows]


def test_a_blocked_person_cannot_reply_to_the_blocker(service):
    post = article(service)  # by bob
    top = service.create_comment("cat", post["id"], "Top")
    block(service, 1, "bob", "dan", 1)
    block(service, 2, "cat", "dan", 1)
    with pytest.raises(Forbidden):
        service.create_comment("dan", post["id"], "On your post")
    with pytest.raises(Forbidden):
        service.create_comment("dan", post["id"], "To your comment", parent_id=top["id"])
    service.create_comment("ann", post["id"], "Others still can", parent_id=top["id"])
    block(service, 3, "cat", "dan", 2, active=False)
    block(service, 2, "cat", "dan", 1)  # the block's event again, late: older than the unblock
    service.create_comment("dan", post["id"], "Unblocked", parent_id=top["id"])


def test_a_blocked_person_s_mention_neither_links_nor_notifies(service, db):
    post = article(service)
    block(service, 1, "ann", "dan", 1)
    comment = service.create_comment("dan", post["id"], "Hello @ann and @cat")
    assert "/u/ann" not in comment["body_html"] and 'href="/u/cat"' in comment["body_html"]
    assert mentions_of(db) == [["cat"]]
