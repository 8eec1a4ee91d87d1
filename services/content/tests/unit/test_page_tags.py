"""What a post's page is read from (``post_page`` asked with ``tags``) and what each change touches
(``content.kept``): every way the page's post, discussion, authors' names or reader's memberships change touches
one of its tags, and the gateway is told (``pages_changed``)."""

import pytest

from content.kept import discussion_tag, member_tag, names_tag, pages_changed, post_tag, touches
from content.models import Base
from svclib.db.standalone import StandaloneDatabase
from svclib.testing import commits_touched, touched_since

from .conftest import SUBWIKI

EVERYTHING = None


@pytest.fixture
def db(migrated):
    """The migrated database, recording what each transaction touches as the service's does."""
    database = StandaloneDatabase(Base.metadata, "sqlite://", touches=touches)
    with migrated.engine.connect() as source, database.engine.connect() as target:
        source.connection.driver_connection.backup(target.connection.driver_connection)
    yield database
    database.dispose()


@pytest.fixture
def touched(db):
    return commits_touched(db)


def test_a_post_page_asked_with_tags_says_what_it_was_read_from(service):
    post = service.create_post("bob", "rivers", "article", "On rivers", "Rivers *flow*.")
    service.create_comment("cat", post["id"], "Agreed.")
    answer = service.post_page(post["id"], "ann", "quality", tags=True)
    assert list(answer) == ["tags", "post", "comments"]  # the kept page last, as the gateway reads it
    p = post["id"]
    assert answer["tags"] == sorted(
        {discussion_tag(p), post_tag(p), names_tag("bob"), names_tag("cat"), member_tag("ann")}
    )
    assert answer["post"]["id"] == p and answer["comments"]["items"][0]["body"] == "Agreed."
    visitor = service.post_page(p, None, "new", tags=True)
    assert member_tag("ann") not in visitor["tags"] and post_tag(p) in visitor["tags"]
    assert list(service.post_page(p, "ann", "quality")) == ["post", "comments"]


def test_each_change_to_what_a_post_page_shows_touches_its_tags(service, touched):
    post = service.create_post("bob", "rivers", "article", "On rivers", "Rivers *flow*.")
    p = post["id"]
    comment = service.create_comment("cat", p, "Agreed.")
    changes = [
        (lambda: service.vote("cat", "post", p, 1), {post_tag(p)}),  # statements on the connection
        (lambda: service.vote("cat", "post", p, None), {post_tag(p)}),
        (lambda: service.vote("dan", "comment", comment["id"], 1), {discussion_tag(p)}),
        (lambda: service.create_comment("dan", p, "Me too."), {discussion_tag(p), post_tag(p)}),
        (lambda: service.edit_post("cat", p, 1, "typo", body="Rivers *flow* downhill."), {post_tag(p)}),
        (lambda: service.edit_post("dan", p, 2, "my take", title="Rivers, really"), {post_tag(p)}),  # held
        (lambda: service.set_protection("ann", p, True), {post_tag(p)}),
        (
            lambda: service.handle_post_quality_changed(
                {"event_id": "q1", "post": {"id": p, "quality": 0.5, "version": 3}}
            ),
            {post_tag(p)},
        ),
        (
            lambda: service.handle_user_updated(
                {"event_id": "u1", "user": {"id": "cat", "username": "cat", "display_name": "Cat"}}
            ),
            {names_tag("cat")},
        ),
        (
            lambda: service.handle_member_left({"event_id": "l1", "membership": {**SUBWIKI, "user_id": "dan"}}),
            {member_tag("dan")},
        ),
    ]
    for change, tags in changes:
        n = len(touched)
        change()
        got = touched_since(touched, n)
        assert got is not EVERYTHING and tags <= got, (tags, got)
    pending = service.list_pending("ann", p)[0]
    n = len(touched)
    service.reject_pending("ann", p, pending["change_id"])
    assert post_tag(p) in touched_since(touched, n)


def test_the_gateway_is_told_every_tag_a_commit_touched():
    assert pages_changed(frozenset({"p:x", "c:x", "n:u", "m:u"})) == {"tags": ["c:x", "m:u", "n:u", "p:x"]}
    assert pages_changed(EVERYTHING) == {"tags": None}
    assert pages_changed(frozenset()) is None
