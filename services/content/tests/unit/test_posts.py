import base64
import io

import pytest
from PIL import Image
from sqlalchemy import select

from content.exceptions import Conflict, Forbidden, Invalid, NotFound, PayloadTooLarge, RateLimited
from content.handlers import access
from content.handlers.posts import post_view
from content.models import OUTBOX


def emitted(db):
    with db.transaction() as tx:
        return [row.event_type for row in tx.session.execute(select(OUTBOX).order_by(OUTBOX.c.id))]


def article(service, author="bob", **overrides):
    fields = {"kind": "article", "title": "On rivers", "body": "Rivers *flow*."} | overrides
    return service.create_post(author, "rivers", **fields)


def png_bytes(size=(4, 3)):
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, "PNG")
    return out.getvalue()


def test_every_kind_is_validated(service):
    assert article(service)["body_html"] == "<p>Rivers <em>flow</em>.</p>\n"
    link = service.create_post("bob", "rivers", "link", "A map", url="https://example.org/map")
    assert link["url"] == "https://example.org/map"
    text = service.create_post("bob", "rivers", "text", "Thought", body="Short and original.")
    assert text["kind"] == "text"
    for bad in (
        {"kind": "link", "title": "x", "url": "javascript:alert(1)"},
        {"kind": "link", "title": "x", "url": "ftp://example.org"},
        {"kind": "link", "title": "x"},
        {"kind": "article", "title": "", "body": "x"},
        {"kind": "article", "title": "x" * 301, "body": "x"},
        {"kind": "article", "title": "x", "body": ""},
        {"kind": "text", "title": "x", "body": "y" * 5001},
        {"kind": "image", "title": "x"},
        {"kind": "poem", "title": "x"},
    ):
        with pytest.raises(Invalid):
            service.create_post("bob", "rivers", **bad)


def test_markdown_is_rendered_inert(service):
    post = article(service, body='<script>alert(1)</script> <img src=x onerror="alert(1)"> [x](javascript:alert(2))')
    html = post["body_html"]
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html


def test_only_members_post(service):
    with pytest.raises(Forbidden):
        article(service, author="out")
    with pytest.raises(NotFound):
        service.create_post("bob", "no_such_place", "text", "x", body="y")


def test_a_join_not_yet_copied_is_confirmed_with_communities(service):
    service.handle_user_registered({"event_id": "r-new", "user": {"id": "eve", "username": "eve"}})
    service.communities.get_membership.side_effect = lambda user_id, **where: {
        "subwiki_id": "s2",
        "subwiki": "birds",
        "user_id": user_id,
        "is_member": True,
        "is_moderator": True,
    }
    post = service.create_post("eve", "birds", "text", "First in birds", body="Hello")
    assert (post["subwiki"], post["subwiki_id"]) == ("birds", "s2")
    service.communities.get_membership.assert_any_call("eve", slug="birds")


def test_image_posts_use_the_authors_reencoded_upload(service, tmp_path):
    upload = service.save_upload("bob", base64.b64encode(png_bytes()).decode())
    assert upload["content_type"] == "image/png" and (upload["width"], upload["height"]) == (4, 3)
    stored = next(tmp_path.rglob(upload["filename"]))
    assert Image.open(stored).format == "PNG"
    post = service.create_post("bob", "rivers", "image", "Red", body="caption", image_id=upload["image_id"])
    assert post["image_file"] == upload["filename"]
    with pytest.raises(Invalid):
        service.create_post("ann", "rivers", "cartoon", "Not mine", image_id=upload["image_id"])


def test_uploads_refuse_non_images_and_bombs(service):
    with pytest.raises(Invalid):
        service.save_upload("bob", base64.b64encode(b"%PDF-1.4 not a picture").decode())
    with pytest.raises(PayloadTooLarge):
        service.save_upload("bob", base64.b64encode(png_bytes((8000, 6000))).decode())


def test_trusted_member_edits_at_once_and_history_is_kept(service, db):
    post = article(service)
    result = service.edit_post("cat", post["id"], 1, "typo", body="Rivers *flow* downhill.")
    assert result["post"]["revision"] == 2
    with pytest.raises(Conflict):
        service.edit_post("ann", post["id"], 1, "stale", title="Lost update")
    history = service.list_revisions(post["id"])["items"]
    assert [(r["revision"], r["editor_id"]) for r in history] == [(2, "cat"), (1, "bob")]
    assert "+Rivers *flow* downhill." in service.get_revision_diff(post["id"], 2)["changes"][0]["diff"]
    assert service.get_post(post["id"])["edited_by_count"] == 1
    assert emitted(db).count("post_edited") == 1


def test_new_account_edit_is_held_until_accepted(service, db):
    post = article(service)
    held = service.edit_post("dan", post["id"], 1, "my take", title="Rivers, really")
    assert held["pending"] is True
    assert service.get_post(post["id"])["revision"] == 1
    pending = service.list_pending("bob", post["id"])
    assert pending[0]["editor_id"] == "dan" and pending[0]["changes"][0]["field"] == "title"
    with pytest.raises(Forbidden):
        service.accept_pending("dan", post["id"], held["change_id"])
    accepted = service.accept_pending("cat", post["id"], held["change_id"])
    assert accepted["title"] == "Rivers, really" and accepted["revision"] == 2
    assert "post_edit_pending" in emitted(db)


def test_a_post_s_page_is_what_its_write_answers_show_with_the_reader_s_vote_and_held_edits(service, db):
    post = article(service)
    service.edit_post("cat", post["id"], 1, "typo", body="Rivers *flow* downhill.")
    service.edit_post("dan", post["id"], 2, "my take", title="Rivers, really")
    service.vote("cat", "post", post["id"], -1)
    with db.transaction() as tx:
        written = post_view(tx, service._ask_membership, access.post(tx, post["id"]), "ann")
    shown = service.get_post(post["id"], "ann")
    bob = {"username": "bob", "display_name": "bob"}  # the author's names as content holds them
    assert shown == {**written, "held_edits": 1, "author_names": bob}
    visitor = {k: v for k, v in written.items() if k not in ("my_vote", "can_moderate")}
    assert service.get_post(post["id"]) == {**visitor, "author_names": bob}
    assert service.get_post(post["id"], "cat")["my_vote"] == -1
    assert service.get_post(post["id"], "ann")["can_moderate"] is True
    cat = service.get_post(post["id"], "cat")
    assert (cat["can_moderate"], cat["held_edits"]) == (False, 1)
    # Not a member in content's copy: nothing of what is held, and communities not asked (a reader's page
    # waits on no other service).
    service.communities.get_membership.reset_mock()
    outsider = service.get_post(post["id"], "out")
    assert (outsider["my_vote"], outsider["can_moderate"], outsider["held_edits"]) == (0, False, 0)
    assert not service.communities.get_membership.called
    service.remove_post("bob", post["id"])
    with pytest.raises(NotFound):
        service.get_post(post["id"], "ann")


def test_a_post_s_page_shows_content_s_own_numbers_and_the_feed_s_quality_kept_in_its_row(service):
    """A vote or a comment shows on the post's page as soon as it commits; the quality is the feed's newest."""
    post = article(service)
    assert (post["up"], post["comment_count"], post["quality"]) == (0, 0, 0.0)
    service.vote("cat", "post", post["id"], 1)
    service.create_comment("dan", post["id"], "Agreed.")
    quality = {"id": post["id"], "quality": 0.42, "version": 2}
    service.handle_post_quality_changed({"event_id": f"q-{post['id']}", "post": quality})
    shown = service.get_post(post["id"], "cat")
    assert (shown["up"], shown["down"], shown["comment_count"], shown["quality"]) == (1, 0, 1, 0.42)
    page = service.post_page(post["id"], "cat", "new")
    assert page["post"] == shown and shown["author_names"] == {"username": "bob", "display_name": "bob"}
    assert service.post_page(post["id"], None, "new")["post"]["author_names"] == {
        "username": "bob",
        "display_name": "bob",
    }
    assert [c["body"] for c in page["comments"]["items"]] == ["Agreed."]
    assert page["comments"] == service.list_comments(post["id"], "new")


def test_rejected_edit_changes_nothing(service):
    post = article(service)
    held = service.edit_post("dan", post["id"], 1, "spam", body="Buy now")
    service.reject_pending("ann", post["id"], held["change_id"])
    assert service.get_post(post["id"])["body"] == "Rivers *flow*."
    with pytest.raises(NotFound):
        service.accept_pending("ann", post["id"], held["change_id"])


def test_protected_posts_are_edited_by_author_and_moderators_only(service):
    post = article(service)
    with pytest.raises(Forbidden):
        service.set_protection("cat", post["id"], True)
    service.set_protection("ann", post["id"], True)
    with pytest.raises(Forbidden):
        service.edit_post("cat", post["id"], 1, "x", title="Nope")
    assert service.edit_post("bob", post["id"], 1, "mine", title="Author may")["post"]["revision"] == 2


def test_revert_restores_exactly_and_marks_edits_that_did_not_stand(service, db):
    post = article(service)
    service.edit_post("cat", post["id"], 1, "vandal", title="VANDALISED", body="gone")
    reverted = service.revert_post("ann", post["id"], 1)
    assert (reverted["title"], reverted["body"], reverted["revision"]) == ("On rivers", "Rivers *flow*.", 3)
    history = {r["revision"]: r for r in service.list_revisions(post["id"])["items"]}
    assert history[2]["reverted"] is True and history[3]["reverted_to"] == 1
    with pytest.raises(Forbidden):
        service.revert_post("dan", post["id"], 1)
    assert "post_reverted" in emitted(db)


def test_edits_are_rate_limited(service):
    post = article(service)
    for revision in range(1, 6):
        service.edit_post("cat", post["id"], revision, "again", body=f"version {revision}")
    with pytest.raises(RateLimited) as caught:
        service.edit_post("cat", post["id"], 6, "again", body="one more")
    assert caught.value.details["retry_after"] >= 1


def test_removal_by_author_or_moderator_only(service, db):
    post = article(service)
    with pytest.raises(Forbidden):
        service.remove_post("cat", post["id"])
    service.remove_post("ann", post["id"])
    with pytest.raises(NotFound):
        service.get_post(post["id"])
    assert "post_removed" in emitted(db)


def test_comments_thread_edit_and_delete(service):
    post = article(service)
    top = service.create_comment("cat", post["id"], "First!")
    reply = service.create_comment("bob", post["id"], "A *reply*", parent_id=top["id"])
    with pytest.raises(Forbidden):
        service.create_comment("out", post["id"], "Not a member")
    with pytest.raises(Forbidden):
        service.edit_comment("bob", top["id"], "Hijack")
    assert service.edit_comment("cat", top["id"], "First, edited")["revision"] == 2
    thread = service.list_comments(post["id"])["items"]
    assert thread[0]["id"] == top["id"] and thread[0]["children"][0]["id"] == reply["id"]
    with pytest.raises(Forbidden):
        service.remove_comment("dan", reply["id"])
    service.remove_comment("ann", reply["id"])
    emptied = service.list_comments(post["id"])["items"][0]["children"][0]
    assert emptied["deleted"] is True and emptied["body_html"] == "" and emptied["author_id"] is None
    assert service.get_post(post["id"])["comment_count"] == 1


def test_votes_count_once_and_can_change_or_go(service, db):
    post = article(service)
    assert service.vote("cat", "post", post["id"], 1) == {"up": 1, "down": 0, "my_vote": 1}
    assert service.vote("cat", "post", post["id"], 1) == {"up": 1, "down": 0, "my_vote": 1}
    assert service.vote("cat", "post", post["id"], -1) == {"up": 0, "down": 1, "my_vote": -1}
    assert service.vote("cat", "post", post["id"], None) == {"up": 0, "down": 0, "my_vote": 0}
    assert emitted(db).count("vote_cast") == 2 and emitted(db).count("vote_removed") == 1
    with pytest.raises(Invalid):
        service.vote("cat", "post", post["id"], 5)


def test_a_voter_signed_up_a_moment_ago_is_asked_of_identity(service):
    """A vote before the voter's registration reached content: identity is asked, the account recorded and the
    vote counted; a person identity does not have (or cannot say) is a 404 as before."""
    post = article(service)
    service.identity.get_people.side_effect = lambda ids: {i: {"id": i, "username": f"{i}_name"} for i in ids}
    assert service.vote("new", "post", post["id"], 1) == {"up": 1, "down": 0, "my_vote": 1}
    assert service.vote("new", "post", post["id"], -1)["down"] == 1  # known now
    assert [call.args[0] for call in service.identity.get_people.call_args_list] == [["new"]]
    service.handle_user_registered({"event_id": "r-new", "user": {"id": "new", "username": "new_name"}})
    assert service.get_post(post["id"], "new")["my_vote"] == -1
    service.identity.get_people.side_effect = lambda ids: {}
    with pytest.raises(NotFound):
        service.vote("ghost", "post", post["id"], 1)
    service.identity.get_people.side_effect = RuntimeError("identity away")
    with pytest.raises(NotFound):
        service.vote("ghost", "post", post["id"], 1)


def test_reports_go_to_moderators_and_uphold_removes(service):
    post = article(service)
    report = service.file_report("dan", "post", post["id"], "Off topic")
    with pytest.raises(Forbidden):
        service.list_reports("dan", "rivers")
    listed = service.list_reports("ann", "rivers")["items"]
    assert [r["id"] for r in listed] == [report["id"]]
    assert service.resolve_report("ann", report["id"], "uphold")["action"] == "uphold"
    with pytest.raises(NotFound):
        service.get_post(post["id"])
    assert service.list_reports("ann", "rivers")["items"] == []
    with pytest.raises(Conflict):
        service.resolve_report("ann", report["id"], "dismiss")


def test_vote_events_carry_the_version_of_that_person_s_vote(service, db):
    post = article(service)
    for value in (1, -1, None, 1):
        service.vote("cat", "post", post["id"], value)
    service.vote("dan", "post", post["id"], 1)
    with db.transaction() as tx:
        rows = tx.session.execute(select(OUTBOX).order_by(OUTBOX.c.id)).all()
    votes = [(r.payload["vote"]["voter_id"], r.payload["vote"]["version"]) for r in rows if "vote" in r.payload]
    assert votes == [("cat", 1), ("cat", 2), ("cat", 3), ("cat", 4), ("dan", 1)]
