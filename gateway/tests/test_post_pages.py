"""A post's page a client revalidates, answered 304 by the gateway process without asking content while it heard
no change to what the page was made from (``gateway.pagetags``, ``routes.comments.post_with_discussion``)."""

from __future__ import annotations

import copy

from gateway.pagetags import PageTags
from gateway.summaries import SubwikiSummaries

from .test_post_routes import COMMENT, POST

PAGE = "/api/v1/posts/p1?comments=quality"
COMMENTS = {
    "items": [{**COMMENT, "author_id": "u2", "children": [], "more_replies": 0}],
    "next_cursor": None,
    "people": {"u2": {"username": "bob", "display_name": "Bob"}},
}
RIVERS = {"slug": "rivers", "name": "Rivers"}


def asked(services, method: str = "post_page") -> int:
    return [call[1] for call in services.calls].count(method)


def held_pages(services, tags: list[str] | None = None, author_names: dict | None = None) -> PageTags:
    """Post pages' tags kept (and subwikis' summaries, as a gateway process keeps both while it hears them)."""
    services.post_pages = PageTags(300, grace=0.0)
    services.post_pages.hearing(True)
    services.summaries = SubwikiSummaries(300)
    services.summaries.hearing(True)
    services.page_tags = ["c:p1", "m:u1", "n:u1", "n:u2", "p:p1"] if tags is None else tags
    services.answer = {"subwiki": dict(RIVERS)}
    names = {"username": "ann", "display_name": "Ann"} if author_names is None else author_names
    post = {**POST, "my_vote": 0, "held_edits": 0, "author_names": names or None}
    services.on("content", "post_page", lambda *args: {"post": dict(post), "comments": copy.deepcopy(COMMENTS)})
    services.on("communities", "get_subwikis", lambda slugs: {"rivers": dict(services.answer["subwiki"])})
    named = lambda ids, **kw: {i: {"id": i, "username": i, "display_name": i} for i in ids}  # noqa: E731
    services.on("identity", "get_people", named)
    return services.post_pages


def test_a_post_page_revalidated_while_nothing_touched_it_is_a_304_content_is_not_asked(client, services, auth):
    kept = held_pages(services)
    first = client.get(PAGE, headers=auth)
    tag = first.headers["ETag"]
    assert first.status_code == 200 and first.get_json()["comments"]["items"][0]["author"]["username"] == "bob"
    assert [call[2:] for call in services.calls if call[1] == "post_page"] == [(("p1", "u1", "quality", 25, None), {})]
    answers = [client.get(PAGE, headers={**auth, "If-None-Match": tag}) for _ in range(3)]
    assert [a.status_code for a in answers] == [304, 304, 304] and asked(services) == 1
    assert all(a.headers["ETag"] == tag and a.data == b"" for a in answers)
    assert answers[0].headers["Cache-Control"] == "private, no-cache"
    # Without the tag the page is worked out as ever; another sort, or a visitor, is another entry (the same
    # answer here, so a 304 once worked out).
    assert client.get(PAGE, headers=auth).status_code == 200 and asked(services) == 2
    client.get(PAGE.replace("quality", "new"), headers={**auth, "If-None-Match": tag})
    assert asked(services) == 3
    client.get(PAGE, headers={"If-None-Match": tag})
    assert asked(services) == 4 and len(kept) == 3


def test_a_change_content_tells_drops_the_pages_made_from_it_and_no_other(client, services, auth):
    kept = held_pages(services)
    tag = client.get(PAGE, headers=auth).headers["ETag"]
    kept.forget({"tags": ["p:p2", "c:p2", "m:u9", "n:u9"]})  # another post, someone else's memberships and names
    assert client.get(PAGE, headers={**auth, "If-None-Match": tag}).status_code == 304 and asked(services) == 1
    for touched in (["p:p1"], ["c:p1"], ["n:u2"], ["m:u1"], None):  # a vote, a comment, a rename, a join, anything
        kept.forget({"tags": touched})
        assert client.get(PAGE, headers={**auth, "If-None-Match": tag}).status_code == 304  # the same answer again
        again = asked(services)
        assert client.get(PAGE, headers={**auth, "If-None-Match": tag}).status_code == 304
        assert asked(services) == again  # held again once worked out
    assert asked(services) == 6


def test_the_subwiki_s_summary_changing_makes_the_page_anew(client, services, auth):
    held_pages(services)
    tag = client.get(PAGE, headers=auth).headers["ETag"]
    services.answer["subwiki"] = {**RIVERS, "name": "Rivers and lakes"}
    services.summaries.forget({"slugs": ["rivers"]})
    changed = client.get(PAGE, headers={**auth, "If-None-Match": tag})
    assert changed.status_code == 200 and changed.get_json()["subwiki"]["name"] == "Rivers and lakes"
    assert asked(services) == 2
    assert client.get(PAGE, headers={**auth, "If-None-Match": changed.headers["ETag"]}).status_code == 304
    assert asked(services) == 2


def test_whom_the_reader_blocked_is_part_of_the_page_s_key(client, services, auth):
    held_pages(services)
    tag = client.get(PAGE, headers=auth).headers["ETag"]
    services.blocking("u2")  # identity drops the reader's cached caller
    blocked = client.get(PAGE, headers={**auth, "If-None-Match": tag})
    assert blocked.status_code == 200 and blocked.get_json()["comments"]["items"][0]["blocked"] is True
    assert asked(services) == 2


def test_a_page_that_needed_identity_s_names_is_not_held(client, services, auth):
    kept = held_pages(services, author_names={})  # content holds no names for the post's author
    tag = client.get(PAGE, headers=auth).headers["ETag"]
    assert asked(services, "get_people") == 1
    assert client.get(PAGE, headers={**auth, "If-None-Match": tag}).status_code == 304
    assert asked(services) == 2 and len(kept) == 0


def test_nothing_is_held_while_content_s_changes_are_not_heard(client, services, auth):
    kept = held_pages(services)
    tag = client.get(PAGE, headers=auth).headers["ETag"]
    kept.hearing(False)
    assert client.get(PAGE, headers={**auth, "If-None-Match": tag}).status_code == 304
    assert asked(services) == 2 and len(kept) == 0


def test_a_client_that_just_wrote_has_the_page_worked_out(client, services, auth):
    """``Cache-Control: no-cache`` (the site sends it just after its reader's own write, which content tells the
    gateway of a moment later): the held tag does not answer, the page is worked out, a 304 if it is the same."""
    held_pages(services)
    tag = client.get(PAGE, headers=auth).headers["ETag"]
    fresh = {**auth, "If-None-Match": tag, "Cache-Control": "no-cache"}
    assert client.get(PAGE, headers=fresh).status_code == 304 and asked(services) == 2
    assert client.get(PAGE, headers={**auth, "If-None-Match": tag}).status_code == 304 and asked(services) == 2
