"""GET /search with content, identity, communities and the feed replaced by fakes."""

from __future__ import annotations

import re

FOUND_POST = {
    "id": "p1",
    "kind": "text",
    "title": "Salmon",
    "body": "Long body",
    "body_html": "<p>Long body</p>",
    "url": None,
    "image_id": None,
    "image_file": None,
    "author_id": "u1",
    "subwiki_id": "s1",
    "subwiki": "rivers",
    "created_at": "2026-01-01T00:00:00+00:00",
    "updated_at": "2026-01-01T00:00:00+00:00",
    "revision": 1,
    "protected": False,
    "comment_count": 0,
    "up": 2,
    "down": 0,
    "language": "fr",
}


CARD = {
    "author_id": "u1",
    "author_username": "ann",
    "author_display_name": "Ann",
    "subwiki": "rivers",
    "subwiki_name": "Rivers",
    "up": 3,
    "down": 1,
    "comment_count": 4,
    "quality": 0.5,
}


def test_posts_are_presented_as_in_the_feed_with_its_names_and_numbers_in_one_call(client, services):
    asked = {}

    def search(q, kind, sort, slug, limit, cursor):
        asked.update(q=q, kind=kind, sort=sort, slug=slug, limit=limit)
        return {"items": [{"post": dict(FOUND_POST), "score": 0.25}], "next_cursor": "WyJjMSJd"}

    services.on("content", "search", search)
    services.on("feed", "post_cards", lambda ids: {i: CARD for i in ids})
    response = client.get("/api/v1/search?q=salmon&subwiki=rivers&limit=5")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert asked == {"q": "salmon", "kind": "post", "sort": "relevance", "slug": "rivers", "limit": 5}
    page = response.get_json()
    hit = page["items"][0]
    assert hit["kind"] == "post" and hit["relevance"] == 0.25 and page["next_cursor"] == "WyJjMSJd"
    assert hit["post"]["author"] == {"id": "u1", "username": "ann", "display_name": "Ann"}
    assert hit["post"]["subwiki"] == {"slug": "rivers", "name": "Rivers"}
    assert hit["post"]["score"] == {"up": 3, "down": 1, "quality": 0.5} and hit["post"]["comment_count"] == 4
    assert "body" not in hit["post"] and "revision" not in hit["post"] and hit["post"]["language"] == "fr"
    assert [call[:2] for call in services.calls] == [("content", "search"), ("feed", "post_cards")]


def test_a_post_the_feed_does_not_hold_yet_is_named_by_identity_and_communities(client, services):
    held, fresh = dict(FOUND_POST), {**FOUND_POST, "id": "p2", "author_id": "u2"}
    services.on(
        "content",
        "search",
        lambda *args: {"items": [{"post": held, "score": 0.5}, {"post": fresh, "score": 0.25}], "next_cursor": None},
    )
    services.on("feed", "post_cards", lambda ids: {"p1": CARD})
    services.on("identity", "get_people", lambda ids: {"u2": {"username": "bob", "display_name": "Bob"}})
    summary = {"slug": "rivers", "name": "Rivers", "summary": "Water", "member_count": 3}
    services.on("communities", "get_subwikis", lambda slugs: {"rivers": summary})
    services.on("feed", "post_scores", lambda ids: {})
    items = client.get("/api/v1/search?q=salmon").get_json()["items"]
    assert [item["post"]["author"]["username"] for item in items] == ["ann", "bob"]
    assert [item["post"]["subwiki"] for item in items] == [{"slug": "rivers", "name": "Rivers"}] * 2
    assert items[1]["post"]["score"] == {"up": 2, "down": 0, "quality": 0.0}


# What content answers of a found post whose author's and subwiki's names it holds (kept from events).
NAMED = {
    "author_username": "ann",
    "author_display_name": "Ann",
    "subwiki_name": "Rivers",
    "up": 3,
    "down": 1,
    "comment_count": 4,
    "quality": 0.5,
}


def test_posts_content_names_are_presented_from_its_answer_alone_as_the_feeds_cards_show_them(client, services):
    services.on(
        "content",
        "search",
        lambda *args: {"items": [{"post": {**FOUND_POST, **NAMED}, "score": 0.25}], "next_cursor": None},
    )
    services.on("feed", "post_cards", lambda ids: {i: CARD for i in ids})
    named = client.get("/api/v1/search?q=salmon").get_json()["items"][0]
    assert [call[:2] for call in services.calls] == [("content", "search")]
    services.calls.clear()
    services.on(
        "content", "search", lambda *args: {"items": [{"post": dict(FOUND_POST), "score": 0.25}], "next_cursor": None}
    )
    carded = client.get("/api/v1/search?q=salmon").get_json()["items"][0]
    assert [call[:2] for call in services.calls] == [("content", "search"), ("feed", "post_cards")]
    assert named == carded  # the same answer, field for field, whoever named the post
    assert set(named["post"]) == set(carded["post"]) and "quality" in named["post"]["score"]


def test_only_the_posts_content_cannot_name_are_asked_of_the_feed(client, services):
    unnamed = {**FOUND_POST, "id": "p2", **NAMED, "subwiki_name": None}
    services.on(
        "content",
        "search",
        lambda *args: {
            "items": [{"post": {**FOUND_POST, **NAMED}, "score": 0.5}, {"post": unnamed, "score": 0.25}],
            "next_cursor": None,
        },
    )
    asked = []
    services.on(
        "feed", "post_cards", lambda ids: asked.extend(ids) or {i: {**CARD, "subwiki_name": "Streams"} for i in ids}
    )
    items = client.get("/api/v1/search?q=salmon").get_json()["items"]
    assert asked == ["p2"]
    assert [item["post"]["subwiki"]["name"] for item in items] == ["Rivers", "Streams"]


def test_comments_come_with_their_author_and_post(client, services):
    comment = {
        "id": "c1",
        "post_id": "p1",
        "parent_id": None,
        "author_id": "u1",
        "body": "Herons",
        "body_html": "<p>Herons</p>",
        "revision": 1,
        "up": 1,
        "down": 0,
        "deleted": False,
        "created_at": "2026-01-01T00:00:00+00:00",
    }
    services.on(
        "content",
        "search",
        lambda *args: {
            "items": [{"comment": comment, "post": {"id": "p1", "title": "Rivers", "subwiki": "rivers"}, "score": 1.0}],
            "next_cursor": None,
        },
    )
    services.on("identity", "get_people", lambda ids: {"u1": {"username": "ann", "display_name": "Ann"}})
    hit = client.get("/api/v1/search?q=herons&kind=comment").get_json()["items"][0]
    assert hit["comment"]["author"]["username"] == "ann" and hit["comment"]["post"]["title"] == "Rivers"


def test_bad_parameters_are_400_before_any_call(client, services):
    for bad in ("", "?q=", "?q=" + "x" * 201, "?q=x&kind=user", "?q=x&sort=old", "?q=x&limit=0", "?q=x&nope=1"):
        response = client.get("/api/v1/search" + bad)
        assert response.status_code == 400, bad
        assert response.get_json()["error"]
    assert services.calls == []


def test_a_query_of_spaces_alone_is_refused_at_the_door_as_the_document_says(client, services):
    """The OpenAPI document says ``q`` holds something besides spaces (a client generating requests from it, such
    as the fuzzer, never sends one of spaces alone as valid), and the gateway refuses one before asking content."""
    parameters = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/search"]["get"]["parameters"]
    schema = next(p for p in parameters if p["name"] == "q")["schema"]
    pattern = re.compile(schema["pattern"])
    assert not pattern.search(" \t\x0b\n") and pattern.search(" salmon ")
    for spaces in ("%20", "%0B", "%09%0A"):
        response = client.get(f"/api/v1/search?q={spaces}")
        assert response.status_code == 400, response.get_data(as_text=True)
        assert response.get_json()["error"]["fields"]["q"] == ["Say what to search for."]
    assert services.calls == []


def test_the_document_and_the_gateway_agree_on_every_kind_of_space(client, services):
    """A query of U+001D alone matched the document's pattern as a JSON Schema engine reads ``\\s`` (ECMAScript's,
    which does not count it) and was refused here (Python's counts it): the pattern names its spaces, read the same
    by both engines, and refuses a query of any of them, as the gateway does."""
    parameters = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/search"]["get"]["parameters"]
    pattern = next(p for p in parameters if p["name"] == "q")["schema"]["pattern"]
    assert "\\s" not in pattern and "\\S" not in pattern
    for space in (chr(c) for c in range(0x110000) if chr(c).isspace()):
        assert not re.search(pattern, space * 2), repr(space)
        response = client.get("/api/v1/search", query_string={"q": space * 2})
        assert response.status_code == 400, repr(space)
        assert response.get_json()["error"]["fields"]["q"] == ["Say what to search for."]
        assert re.search(pattern, f"{space}salmon{space}"), repr(space)
    assert services.calls == []
