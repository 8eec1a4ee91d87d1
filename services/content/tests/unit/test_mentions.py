"""@mentions: linked to the profile after sanitising, named in the text's event for existing people only,
at most ten per text; a reply's event names the author it answers; a rejected held edit is announced."""

from sqlalchemy import select

from content import markup
from content.models import OUTBOX

from .test_posts import article


def payloads(db, event_type):
    with db.transaction() as tx:
        rows = tx.session.execute(select(OUTBOX.c.payload).where(OUTBOX.c.event_type == event_type)).all()
    return [row.payload for row in rows]


def test_mentions_link_existing_people_only_outside_code_and_links():
    html, mentioned = markup.render_with_mentions(
        "Hi @Ann, @nobody and `@dan` [@cat](https://x.test) <b>@bob</b> mail@ann.test", lambda names: {"ann", "bob"}
    )
    assert '<a href="/u/ann" class="mention">@Ann</a>' in html
    assert "@nobody" in html and "/u/nobody" not in html
    assert "<code>@dan</code>" in html and "/u/cat" not in html and "mail@ann.test" in html
    assert "<b>" not in html  # sanitised first: the raw tag is text, the mention in it still a link
    assert mentioned == ["ann", "bob"]


def test_a_post_names_the_people_it_mentions_and_never_more_than_ten(service, db):
    post = article(service, body="Thanks @ann and @cat, not @ghost, and @bob myself")
    assert 'href="/u/ann"' in post["body_html"] and "/u/ghost" not in post["body_html"]
    (created,) = payloads(db, "post_created")
    assert created["post"]["mentions"] == ["ann", "cat"]  # ids; never the author, never an unknown name

    for n in range(12):
        service.handle_user_registered({"event_id": f"many{n}", "user": {"id": f"u{n}", "username": f"user{n}"}})
    crowd = " ".join(f"@user{n}" for n in range(12))
    comment = service.create_comment("bob", post["id"], crowd)
    assert comment["body_html"].count('class="mention"') == 12
    (made,) = payloads(db, "comment_created")
    assert made["comment"]["mentions"] == [f"u{n}" for n in range(10)]


def test_a_reply_names_the_author_it_answers(service, db):
    post = article(service)
    top = service.create_comment("cat", post["id"], "Top")
    service.create_comment("dan", post["id"], "Reply", parent_id=top["id"])
    top_event, reply_event = sorted(payloads(db, "comment_created"), key=lambda p: p["comment"]["parent_id"] or "")
    assert top_event["comment"]["parent_author_id"] is None and top_event["comment"]["post_author_id"] == "bob"
    assert reply_event["comment"]["parent_author_id"] == "cat"


def test_a_held_edit_names_its_reviewers_and_its_rejection_is_announced(service, db):
    post = article(service)
    held = service.edit_post("dan", post["id"], 1, title="Rivers, edited")
    (pending,) = payloads(db, "post_edit_pending")
    assert pending["change"]["post_author_id"] == "bob" and pending["change"]["reviewer_ids"] == ["ann"]
    service.reject_pending("ann", post["id"], held["change_id"])
    (rejected,) = payloads(db, "post_edit_rejected")
    assert rejected["change"]["editor_id"] == "dan" and rejected["change"]["rejected_by"] == "ann"
