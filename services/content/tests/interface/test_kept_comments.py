"""Content keeps a post's comment pages per process (``content.kept``): a page asked for again is answered
without reading until a change to that post or its comments commits, in this process at once and in
another when PostgreSQL tells it; a change to another post's discussion leaves it kept. A post's page
(``post_page``) answers the same kept page beside the post."""

import json
import uuid

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from content.kept import CHANNEL, touches
from content.models import Base, Comment
from content.service import ContentService
from svclib import jsontext
from svclib.db import StandaloneDatabase
from svclib.kept import encoded
from svclib.testing import announce, call, listening_kept, wait_until


@pytest.fixture
def config(service_config):
    return service_config("content")


@pytest.fixture
def content(container_factory, config):
    """A started content container and its kept answers, once they listen for changes."""
    container = container_factory(ContentService, config)
    container.start()
    kept = listening_kept(container)
    return container, kept


def member(container, subwiki: dict, username: str) -> str:
    user_id = uuid.uuid4().hex
    user = {"id": user_id, "username": username}
    announce(container, "handle_user_registered", "identity", "user_registered", {"user": user})
    membership = {**subwiki, "user_id": user_id}
    announce(container, "handle_member_joined", "communities", "member_joined", {"membership": membership})
    return user_id


def kept_page(container, kept, post_id: str, sort: str = "new") -> dict:
    """The page once it is answered without reading (a commit's own notification may still arrive and
    drop the first one kept)."""
    found: dict = {}

    def answered_without_reading() -> bool:
        call(container, "list_comments", post_id, sort)
        hits = kept.stats()["hits"]
        found["page"] = call(container, "list_comments", post_id, sort)
        return kept.stats()["hits"] == hits + 1

    assert wait_until(answered_without_reading)
    return found["page"]


ANN = {"username": "ann", "display_name": "ann"}


def test_a_page_is_kept_until_a_change_to_its_discussion_commits(content):
    container, kept = content
    rivers = {"subwiki_id": uuid.uuid4().hex, "subwiki": "rivers"}
    ann, bob = member(container, rivers, "ann"), member(container, rivers, "bob")
    post = call(container, "create_post", ann, "rivers", "text", "Rivers", body="Talk.")
    other = call(container, "create_post", ann, "rivers", "text", "Lakes", body="Talk too.")
    first = call(container, "create_comment", bob, post["id"], "First.")
    kept_page(container, kept, post["id"])

    reply = call(container, "create_comment", ann, post["id"], "A reply.", parent_id=first["id"])
    (top,) = call(container, "list_comments", post["id"])["items"]
    assert [child["id"] for child in top["children"]] == [reply["id"]]

    kept_page(container, kept, post["id"], "quality")
    call(container, "vote", ann, "comment", first["id"], 1)  # counted by statements on the connection
    assert call(container, "list_comments", post["id"], "quality")["items"][0]["up"] == 1

    kept_page(container, kept, post["id"])
    call(container, "edit_comment", ann, reply["id"], "A better reply.")
    assert call(container, "list_comments", post["id"])["items"][0]["children"][0]["body"] == "A better reply."

    kept_page(container, kept, post["id"])
    # A whole thread is kept too: asked twice, the same answer (one object, not read again).
    assert wait_until(
        lambda: call(container, "comment_thread", reply["id"]) is call(container, "comment_thread", reply["id"])
    )
    call(container, "remove_comment", ann, reply["id"])
    assert call(container, "list_comments", post["id"])["items"][0]["children"][0]["deleted"] is True
    assert call(container, "comment_thread", reply["id"])["items"][0]["children"][0]["deleted"] is True

    # Another post's discussion changing leaves this page kept.
    kept_page(container, kept, post["id"])
    call(container, "create_comment", bob, other["id"], "Elsewhere.")
    hits = kept.stats()["hits"]
    call(container, "list_comments", post["id"])
    assert kept.stats()["hits"] == hits + 1

    # An erased author's comments lose their author (a statement over many rows: every page is dropped).
    kept_page(container, kept, post["id"])
    announce(container, "handle_user_erased", "identity", "user_erased", {"user": {"id": bob}})
    assert call(container, "list_comments", post["id"])["items"][0]["author_id"] is None


def test_a_change_committed_by_another_process_drops_the_page(content, config):
    container, kept = content
    rivers = {"subwiki_id": uuid.uuid4().hex, "subwiki": "rivers"}
    ann = member(container, rivers, "ann")
    post = call(container, "create_post", ann, "rivers", "text", "Rivers", body="Talk.")
    comment = call(container, "create_comment", ann, post["id"], "Before.")
    kept_page(container, kept, post["id"])
    other = StandaloneDatabase(Base.metadata, config["CONTENT_DATABASE_URL"], changes_channel=CHANNEL, touches=touches)
    try:
        with other.transaction() as tx:
            tx.session.get(Comment, comment["id"]).body = "After."
    finally:
        other.dispose()
    assert wait_until(lambda: call(container, "list_comments", post["id"])["items"][0]["body"] == "After.")


def test_a_post_s_page_comes_in_one_answer_with_the_kept_comment_page(content, config):
    """``post_page``: the post as ``get_post`` gives it to each reader (content's own numbers, the feed's quality
    kept in its row) beside the comment page ``list_comments`` keeps, the same kept answer, dropped by a new
    comment; over the broker the page goes as the text kept with it."""
    container, kept = content
    rivers = {"subwiki_id": uuid.uuid4().hex, "subwiki": "rivers"}
    ann, bob = member(container, rivers, "ann"), member(container, rivers, "bob")
    post = call(container, "create_post", ann, "rivers", "text", "Rivers", body="Talk.")
    first = call(container, "create_comment", bob, post["id"], "First.")
    call(container, "vote", bob, "post", post["id"], 1)
    quality = {"id": post["id"], "quality": 0.7, "version": 3}
    announce(container, "handle_post_quality_changed", "feed", "post_quality_changed", {"post": quality})

    page = kept_page(container, kept, post["id"])
    hits = kept.stats()["hits"]
    seen = {reader: call(container, "post_page", post["id"], reader, "new") for reader in (ann, bob)}
    assert kept.stats()["hits"] == hits + 2
    for reader, answer in seen.items():
        assert list(answer) == ["post", "comments"]
        assert answer["post"] == call(container, "get_post", post["id"], reader)
        assert answer["post"]["author_names"] == ANN
        assert answer["comments"] is page
    assert (seen[bob]["post"]["my_vote"], seen[ann]["post"]["my_vote"]) == (1, 0)
    shown = seen[bob]["post"]
    assert (shown["up"], shown["down"], shown["comment_count"], shown["quality"]) == (1, 0, 1, 0.7)

    with ServiceRpcProxy("content", config) as content_rpc:
        assert content_rpc.post_page(post["id"], bob, "new") == json.loads(json.dumps(seen[bob]))
    assert encoded(page, jsontext.dumps) == jsontext.dumps(page)  # the text the reply put in

    reply = call(container, "create_comment", ann, post["id"], "A reply.", parent_id=first["id"])
    after = call(container, "post_page", post["id"], bob, "new")
    assert after["comments"] is not page
    assert [child["id"] for child in after["comments"]["items"][0]["children"]] == [reply["id"]]
    assert after["post"]["comment_count"] == 2
    again = kept_page(container, kept, post["id"])
    assert call(container, "post_page", post["id"], None, "new")["comments"] is again


def test_a_page_names_its_authors_until_one_of_them_is_renamed(content, config):
    """A page holds its commenters' names as content keeps them from identity's events (``people``), and a post's
    page its author's (``author_names``): shown without asking identity. A commenter's rename
    drops the kept page; someone else's leaves it kept. An author whose names content does not hold is left for
    the gateway to name."""
    container, kept = content
    rivers = {"subwiki_id": uuid.uuid4().hex, "subwiki": "rivers"}
    ann, bob = member(container, rivers, "ann"), member(container, rivers, "bob")
    post = call(container, "create_post", ann, "rivers", "text", "Rivers", body="Talk.")
    call(container, "create_comment", bob, post["id"], "First.")
    page = kept_page(container, kept, post["id"])
    assert page["people"] == {bob: {"username": "bob", "display_name": "bob"}}
    assert call(container, "post_page", post["id"], None, "new")["post"]["author_names"] == ANN
    assert call(container, "post_page", post["id"], bob, "new")["post"]["author_names"] == ANN

    # the post's author, no commenter, renamed: the page stays kept; the post's page names them anew
    renamed = {"id": ann, "username": "annie", "display_name": "Annie", "profile_version": 2}
    announce(container, "handle_user_updated", "identity", "user_updated", {"user": renamed})
    assert wait_until(lambda: call(container, "get_post", post["id"])["author_id"] == ann)
    answer = call(container, "post_page", post["id"], None, "new")
    assert answer["post"]["author_names"] == {"username": "annie", "display_name": "Annie"}
    hits = kept.stats()["hits"]
    assert call(container, "list_comments", post["id"], "new") is page
    assert kept.stats()["hits"] == hits + 1

    # a commenter renamed: the page is dropped and read again with the new names
    renamed = {"id": bob, "username": "robert", "display_name": "Robert", "profile_version": 2}
    announce(container, "handle_user_updated", "identity", "user_updated", {"user": renamed})
    assert wait_until(
        lambda: call(container, "list_comments", post["id"], "new")["people"][bob]["username"] == "robert"
    )
    assert call(container, "list_comments", post["id"], "new")["people"][bob]["display_name"] == "Robert"

    # names content does not hold (the commenter's registration not heard of): the page leaves them out
    carl = uuid.uuid4().hex
    first = call(container, "list_comments", post["id"], "new")["items"][0]["id"]
    other = StandaloneDatabase(Base.metadata, config["CONTENT_DATABASE_URL"], changes_channel=CHANNEL, touches=touches)
    try:
        with other.transaction() as tx:
            tx.session.get(Comment, first).author_id = carl
    finally:
        other.dispose()
    assert wait_until(lambda: call(container, "list_comments", post["id"], "new")["items"][0]["author_id"] == carl)
    assert call(container, "list_comments", post["id"], "new")["people"] == {}
