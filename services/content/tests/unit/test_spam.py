"""Spam defences driven by trust (content.handlers.spam, its figures): posts an hour,
comments a minute and links a post loosen as trust rises; the same post or comment twice is refused."""

import pytest
from sqlalchemy import select

from content.exceptions import Duplicate, Forbidden, Invalid
from content.models import OUTBOX, Post
from svclib.exceptions import RateLimited

# Windows so long that none ends during a test (a fixed window's end would start a fresh count).
WINDOW = 1_000_000_000


@pytest.fixture
def defences(monkeypatch):
    monkeypatch.setenv("SPAM_DEFENCES", "on")
    for action in ("POSTS", "COMMENTS"):
        for tier in ("NEW", "MEMBER", "TRUSTED"):
            monkeypatch.setenv(f"RATE_LIMIT_{action}_{tier}_WINDOW_SECONDS", str(WINDOW))
    return monkeypatch


def trust(service, user, value, version):
    service.handle_user_trust_changed(
        {"event_id": f"t-{user}-{version}", "user": {"id": user, "trust": value, "version": version}}
    )


def post(service, user, title, body="Words.", url=None, kind="text"):
    return service.create_post(user, "rivers", kind, title, body, url)


def test_a_new_account_posts_a_few_times_an_hour_then_waits_retry_after(service, defences):
    defences.setenv("RATE_LIMIT_POSTS_NEW_LIMIT", "3")
    defences.setenv("RATE_LIMIT_POSTS_MEMBER_LIMIT", "5")
    for n in range(3):
        post(service, "bob", f"Post {n}")
    with pytest.raises(RateLimited) as caught:
        post(service, "bob", "One too many")
    assert 0 < caught.value.details["retry_after"] <= WINDOW
    post(service, "dan", "Someone else")  # per person
    trust(service, "bob", 0.3, 5)  # trust rose to the member tier: its own, looser count
    for n in range(5):
        post(service, "bob", f"As a member {n}")
    with pytest.raises(RateLimited):
        post(service, "bob", "Beyond the member tier")


def test_a_trusted_member_is_not_held_to_the_new_accounts_limit(service, defences):
    defences.setenv("RATE_LIMIT_POSTS_NEW_LIMIT", "1")
    for n in range(4):
        post(service, "cat", f"Trusted {n}")  # cat's trust is 0.9
    post(service, "bob", "First")
    with pytest.raises(RateLimited):
        post(service, "bob", "Second")


def test_comments_a_minute_by_trust(service, defences):
    defences.setenv("RATE_LIMIT_COMMENTS_NEW_LIMIT", "2")
    target = post(service, "cat", "Talk here")
    for n in range(2):
        service.create_comment("bob", target["id"], f"Comment {n}")
    with pytest.raises(RateLimited) as caught:
        service.create_comment("bob", target["id"], "Comment 3")
    assert 0 < caught.value.details["retry_after"] <= WINDOW
    for n in range(4):
        service.create_comment("cat", target["id"], f"Trusted comment {n}")


def test_links_in_a_post_by_trust(service, defences):
    body = "See https://a.example, http://b.example and https://c.example."
    with pytest.raises(Invalid) as caught:
        post(service, "bob", "Many links", body)
    assert "body" in caught.value.details["fields"]
    with pytest.raises(Invalid):
        post(service, "bob", "A link and two", "https://b.example https://c.example", "https://a.example", "link")
    post(service, "bob", "Two links", "https://a.example and https://b.example")
    post(service, "cat", "Many links", body)  # trusted: many more


def test_the_same_post_or_comment_again_is_refused_as_a_duplicate(service, defences):
    first = post(service, "bob", "Buy now", "Cheap.")
    with pytest.raises(Duplicate) as caught:
        post(service, "bob", "Buy now", "Cheap.")
    assert caught.value.details["post_id"] == first["id"]
    post(service, "dan", "Buy now", "Cheap.")  # someone else's same words are theirs
    post(service, "bob", "Buy now", "Cheaper.")  # different words
    service.create_comment("bob", first["id"], "Great!")
    with pytest.raises(Duplicate):
        service.create_comment("bob", first["id"], "Great!")
    service.remove_post("bob", first["id"])
    post(service, "bob", "Buy now", "Cheap.")  # the first was removed: posting it again is no repeat


def test_a_duplicate_older_than_the_window_is_allowed(service, defences):
    defences.setenv("DUPLICATE_WINDOW_SECONDS", "0")
    post(service, "bob", "Again", "Same.")
    post(service, "bob", "Again", "Same.")


def test_the_defences_switched_off(service, monkeypatch):
    monkeypatch.setenv("SPAM_DEFENCES", "off")
    monkeypatch.setenv("RATE_LIMIT_POSTS_NEW_LIMIT", "1")
    for _ in range(3):
        post(service, "bob", "Same", "https://a.example https://b.example https://c.example")


def outbox(db):
    with db.transaction() as tx:
        return [(r.event_type, r.payload) for r in tx.session.execute(select(OUTBOX).order_by(OUTBOX.c.id))]


def removed(db):
    with db.transaction() as tx:
        return set(tx.session.scalars(select(Post.id).where(Post.removed_at.is_not(None))))


def test_remove_as_spam_takes_the_authors_recent_posts_and_tells_identity(service, db):
    service.handle_member_joined(
        {"event_id": "j-elsewhere", "membership": {"subwiki_id": "s2", "subwiki": "lakes", "user_id": "bob"}}
    )
    judged = post(service, "bob", "Cheap pills")
    second = post(service, "bob", "More pills")
    post(service, "dan", "A real post")
    with db.transaction() as tx:
        tx.session.add(
            Post(id="elsewhere", subwiki_id="s2", subwiki_slug="lakes", author_id="bob", kind="text", title="t")
        )
    with pytest.raises(Forbidden):
        service.remove_as_spam("dan", judged["id"])  # not a moderator
    with pytest.raises(Forbidden):
        service.remove_as_spam("ann", post(service, "ann", "Mine")["id"])  # not one's own
    before = len(outbox(db))
    answer = service.remove_as_spam("ann", judged["id"])
    assert answer == {
        "post_id": judged["id"],
        "author_id": "bob",
        "removed_post_ids": sorted([judged["id"], second["id"]]),
    }
    assert removed(db) == {judged["id"], second["id"]}  # not dan's, nor bob's in a subwiki ann does not moderate
    emitted = outbox(db)[before:]
    assert [t for t, _ in emitted] == ["post_removed", "post_removed", "spam_removed"]
    assert {p["post"]["id"] for t, p in emitted if t == "post_removed"} == {judged["id"], second["id"]}
    assert all(p["post"]["by_moderator"] for t, p in emitted if t == "post_removed")
    assert emitted[-1][1]["spam"]["author_id"] == "bob"
