"""The content service in a real nameko container on the real broker and PostgreSQL;
communities, its neighbour, replaced where a test needs its answer."""

import uuid

import eventlet
import pytest
from nameko.testing.services import entrypoint_waiter, replace_dependencies

from content.exceptions import Conflict, Forbidden
from content.handlers import access, comments, idempotency, reports
from content.models import Base, Post
from content.service import ContentService
from svclib.db import StandaloneDatabase
from svclib.events import ReliableEventHandler
from svclib.testing import announce, call


class Listener:
    """A stand-in consumer of content's events, on the same broker."""

    name = "listener"
    posts: list = []

    @ReliableEventHandler.decorator("content", "post_created")
    def handle_post_created(self, payload):
        Listener.posts.append(payload["post"])


@pytest.fixture
def config(service_config):
    return service_config("content")


def member(container, subwiki: dict, username: str, moderator: bool = False) -> str:
    """A person registered with identity who joined ``subwiki`` in communities."""
    user_id = uuid.uuid4().hex
    announce(
        container,
        "handle_user_registered",
        "identity",
        "user_registered",
        {"user": {"id": user_id, "username": username}},
    )
    membership = {**subwiki, "user_id": user_id}
    announce(container, "handle_member_joined", "communities", "member_joined", {"membership": membership})
    if moderator:
        announce(container, "handle_moderator_added", "communities", "moderator_added", {"membership": membership})
    return user_id


@pytest.fixture
def rivers():
    return {"subwiki_id": uuid.uuid4().hex, "subwiki": "rivers"}


def test_a_member_known_from_events_posts_and_the_post_is_published(runner_factory, config, rivers):
    Listener.posts = []
    runner = runner_factory(config, ContentService, Listener)
    runner.start()
    content = next(c for c in runner.containers if c.service_name == "content")
    listener = next(c for c in runner.containers if c.service_name == "listener")
    ann = member(content, rivers, "ann")
    with entrypoint_waiter(listener, "handle_post_created", timeout=10):
        post = call(content, "create_post", ann, "rivers", "article", "On rivers", body="Rivers *flow*.")
    assert Listener.posts[0]["id"] == post["id"] and Listener.posts[0]["subwiki_id"] == rivers["subwiki_id"]
    assert call(content, "get_post", post["id"], ann)["body_html"] == "<p>Rivers <em>flow</em>.</p>\n"


def test_a_join_not_yet_copied_is_confirmed_with_communities(container_factory, config):
    container = container_factory(ContentService, config)
    communities = replace_dependencies(container, "communities")
    container.start()
    birds = {"subwiki_id": uuid.uuid4().hex, "subwiki": "birds"}
    user_id = uuid.uuid4().hex
    announce(
        container, "handle_user_registered", "identity", "user_registered", {"user": {"id": user_id, "username": "eve"}}
    )
    communities.get_membership.return_value = {**birds, "user_id": user_id, "is_member": True, "is_moderator": False}
    post = call(container, "create_post", user_id, "birds", "text", "First in birds", body="Hello")
    assert post["subwiki_id"] == birds["subwiki_id"]
    communities.get_membership.assert_any_call(user_id, slug="birds")


def test_edits_comments_votes_and_reports_on_postgres(container_factory, config, rivers):
    container = container_factory(ContentService, config)
    container.start()
    ann, bob = member(container, rivers, "ann", moderator=True), member(container, rivers, "bob")
    post = call(container, "create_post", bob, "rivers", "text", "Thought", body="Short.")
    assert call(container, "edit_post", ann, post["id"], 1, "better", body="Shorter.")["post"]["revision"] == 2
    with pytest.raises(Conflict):
        call(container, "edit_post", bob, post["id"], 1, "stale", body="Lost.")
    assert call(container, "revert_post", ann, post["id"], 1)["body"] == "Short."
    top = call(container, "create_comment", ann, post["id"], "First!")
    reply = call(container, "create_comment", bob, post["id"], "A reply", parent_id=top["id"])
    thread = call(container, "list_comments", post["id"])["items"]
    assert thread[0]["children"][0]["id"] == reply["id"]
    assert call(container, "vote", ann, "post", post["id"], 1) == {"up": 1, "down": 0, "my_vote": 1}
    assert call(container, "vote", ann, "post", post["id"], -1) == {"up": 0, "down": 1, "my_vote": -1}
    report = call(container, "file_report", ann, "comment", reply["id"], "Rude")
    with pytest.raises(Forbidden):
        call(container, "list_reports", bob, "rivers")
    assert [r["id"] for r in call(container, "list_reports", ann, "rivers")["items"]] == [report["id"]]
    assert call(container, "resolve_report", ann, report["id"], "uphold")["status"] == "resolved"
    assert call(container, "get_post", post["id"])["comment_count"] == 1


def test_a_left_member_no_longer_posts(container_factory, config, rivers):
    container = container_factory(ContentService, config)
    communities = replace_dependencies(container, "communities")
    container.start()
    dan = member(container, rivers, "dan")
    announce(container, "handle_member_left", "communities", "member_left", {"membership": {**rivers, "user_id": dan}})
    communities.get_membership.return_value = {**rivers, "user_id": dan, "is_member": False, "is_moderator": False}
    with pytest.raises(Forbidden):
        call(container, "create_post", dan, "rivers", "text", "Still here?", body="No.")


def test_requests_made_at_the_same_moment_make_one_resource_on_postgres(container_factory, config, rivers, monkeypatch):
    """Four transactions at once on PostgreSQL, each held open a moment after its checks, so that
    they meet at the unique indexes: one comment per Idempotency-Key, one open report per person."""
    container = container_factory(ContentService, config)
    container.start()
    ann, bob = member(container, rivers, "ann"), member(container, rivers, "bob")
    post = call(container, "create_post", ann, "rivers", "text", "Busy", body="Many at once.")
    settle, find = idempotency.settle, access.post

    def settle_slowly(*args):
        eventlet.sleep(0.5)  # the others arrive while this one holds its key
        settle(*args)

    def find_slowly(*args, **kwargs):
        found = find(*args, **kwargs)
        eventlet.sleep(0.5)  # every one has found the post before any files its report
        return found

    monkeypatch.setattr(idempotency, "settle", settle_slowly)
    monkeypatch.setattr(access, "post", find_slowly)
    database = StandaloneDatabase(Base.metadata, config["CONTENT_DATABASE_URL"])

    def ask_no_one(user_id, **where):  # the local copy of memberships is all there is
        return None

    def at_once(handler, *args):
        def one(_):
            with database.transaction() as tx:
                return handler(tx, *args)

        return list(eventlet.GreenPool().imap(one, range(4)))

    try:
        made = at_once(comments.create_comment, ask_no_one, bob, post["id"], "Once", None, "same")
        assert len({c["id"] for c in made}) == 1
        filed = at_once(reports.file_report, bob, "post", post["id"], "Spam")
        assert len({r["id"] for r in filed}) == 1
    finally:
        database.engine.dispose()
    assert call(container, "get_post", post["id"])["comment_count"] == 1


def test_search_on_postgres_blends_the_quality_kept_in_the_posts_row(container_factory, config, rivers):
    """The feed's quality arrives through the broker into the post's own row (its last edit's time kept):
    relevance and the quality sort read it there; a found post comes without its body."""
    container = container_factory(ContentService, config)
    container.start()
    ann = member(container, rivers, "ann")
    word = uuid.uuid4().hex[:10]
    plain, liked = (
        call(container, "create_post", ann, "rivers", "text", f"Otters {word}", body="By the weir.") for _ in range(2)
    )
    quality = {"id": liked["id"], "quality": 0.7, "version": 3}
    announce(container, "handle_post_quality_changed", "feed", "post_quality_changed", {"post": quality})
    stale = {"id": liked["id"], "quality": 0.0, "version": 2}
    announce(container, "handle_post_quality_changed", "feed", "post_quality_changed", {"post": stale})
    database = StandaloneDatabase(Base.metadata, config["CONTENT_DATABASE_URL"])
    try:
        with database.reading() as tx:
            row = tx.session.get(Post, liked["id"])
            assert (row.quality, row.quality_version) == (0.7, 3)
            assert row.updated_at.isoformat() == liked["updated_at"]
    finally:
        database.engine.dispose()
    for sort in ("relevance", "quality"):
        found = call(container, "search", word, "post", sort)["items"]
        assert [item["post"]["id"] for item in found] == [liked["id"], plain["id"]], sort
    found = call(container, "search", word)["items"]
    assert found[0]["score"] > found[1]["score"] and "body" not in found[0]["post"]
    assert found[0]["post"]["subwiki"] == "rivers" and found[0]["post"]["image_file"] is None


def test_search_on_postgres_reads_a_comment_in_its_post_s_language(container_factory, config, rivers):
    """A comment is stemmed as its post's language: French words under a post said to be English are not
    found by their French stem until the post is said to be French."""
    container = container_factory(ContentService, config)
    container.start()
    ann = member(container, rivers, "ann")
    word = uuid.uuid4().hex[:10]
    french = call(container, "create_post", ann, "rivers", "text", "Truites", body="Eau.", language="fr")
    english = call(container, "create_post", ann, "rivers", "text", "Trout", body="Water.", language="en")
    on_french = call(container, "create_comment", ann, french["id"], f"Elles nageaient {word}.")
    on_english = call(container, "create_comment", ann, english["id"], f"Elles nageaient {word}.")
    swimming = call(container, "create_comment", ann, french["id"], f"Swimming {word}.")

    def found(q):
        return {item["comment"]["id"] for item in call(container, "search", q, "comment")["items"]}

    assert found(f"nager {word}") == {on_french["id"]}
    assert found(f"swims {word}") == set()  # English stemming, under a French post
    assert found(word) == {on_french["id"], on_english["id"], swimming["id"]}
    call(container, "edit_post", ann, english["id"], 1, "", language="fr")
    assert found(f"nager {word}") == {on_french["id"], on_english["id"]}
