"""One shape for a post: the post page and the feed's items are presented by gateway.presenters."""

POST = {
    "id": "p1",
    "kind": "link",
    "title": "Rivers of Europe",
    "body": "A list.",
    "body_html": "<p>A list.</p>\n",
    "url": "https://example.com/rivers",
    "image_file": "ab12.png",
    "author_id": "u2",
    "subwiki_id": "s1",
    "subwiki": "rivers",
    "created_at": "2026-12-01T00:00:00+00:00",
    "revision": 2,
    "edited_by_count": 1,
    "protected": False,
    "comment_count": 4,
    "up": 2,
    "down": 1,
    "quality": 0.31234567,
}
ENTRY = {
    "post_id": "p1",
    "kind": "link",
    "title": "Rivers of Europe",
    "url": "https://example.com/rivers",
    "image_file": "ab12.png",
    "author_id": "u2",
    "author_username": "bea",
    "author_display_name": "Bea",
    "subwiki": "rivers",
    "subwiki_name": "Rivers",
    "posted_at": "2026-12-01T00:00:00+00:00",
    "up": 2,
    "down": 1,
    "comment_count": 4,
    "quality": 0.31234567,
    "rank": {"score": 0.2512345678, "reasons": [{"factor": "approval", "value": 0.2}]},
}


def serve(services, feed_page):
    services.on("content", "get_post", lambda _post_id, _viewer: {**POST, "my_vote": 0})
    services.on("identity", "get_people", lambda ids: {"u2": {"username": "bea", "display_name": "Bea"}})
    services.on("communities", "get_subwikis", lambda slugs: {"rivers": {"slug": "rivers", "name": "Rivers"}})
    services.on("feed", "public_feed", lambda *args: feed_page)


def test_the_post_page_and_the_feed_item_show_one_post(client, services):
    """Once the feed has counted the votes and comments content counted, both show the same numbers."""
    serve(services, {"items": [ENTRY], "next_cursor": "next"})
    page = client.get("/api/v1/posts/p1").get_json()
    feed = client.get("/api/v1/feed/public").get_json()
    assert feed["next_cursor"] == "next"
    (item,) = feed["items"]
    assert item["rank"] == {"score": 0.251235, "reasons": [{"factor": "approval", "value": 0.2}]}
    shared = set(item["post"])
    assert shared <= set(page)
    assert {key: page[key] for key in shared} == item["post"]
    assert item["post"]["score"] == {"up": 2, "down": 1, "quality": 0.312346}
    assert item["post"]["image_url"] == "/api/v1/uploads/ab12.png"
    assert item["post"]["author"] == {"id": "u2", "username": "bea", "display_name": "Bea"}
    assert page["body_html"] == "<p>A list.</p>\n" and page["revision"] == 2 and page["my_vote"] == 0


def test_an_erased_author_is_null_in_both_before_and_after_the_services_forget_the_id(client, services):
    # Identity has erased the account; content and the feed may still hold the id for a moment.
    serve(services, {"items": [{**ENTRY, "author_username": None, "author_display_name": None}], "next_cursor": None})
    services.on("identity", "get_people", lambda ids: {})
    page = client.get("/api/v1/posts/p1").get_json()
    (item,) = client.get("/api/v1/feed/public").get_json()["items"]
    assert page["author"] is None and item["post"]["author"] is None
    # Then every service has forgotten it: no id is left to name.
    gone = {**ENTRY, "author_id": None, "author_username": None, "author_display_name": None}
    serve(services, {"items": [gone], "next_cursor": None})
    services.on("content", "get_post", lambda post_id, _viewer: {**POST, "author_id": None, "my_vote": 0})
    page = client.get("/api/v1/posts/p1").get_json()
    (item,) = client.get("/api/v1/feed/public").get_json()["items"]
    assert page["author"] is None and item["post"]["author"] is None
    assert "u2" not in str(page) + str(item)


def test_the_post_page_shows_content_s_numbers_before_the_feed_counts_them(client, services):
    """A vote or comment content just committed shows on the post's page at once; the feed's item shows it once
    the feed counts it from content's events. The page asks the feed nothing."""
    serve(services, {"items": [ENTRY], "next_cursor": None})
    services.on("content", "get_post", lambda _post_id, _viewer: {**POST, "up": 3, "comment_count": 5, "my_vote": 1})
    page = client.get("/api/v1/posts/p1").get_json()
    assert (page["score"], page["comment_count"]) == ({"up": 3, "down": 1, "quality": 0.312346}, 5)
    assert [c[:2] for c in services.calls] == [
        ("content", "get_post"),
        ("identity", "get_people"),
        ("communities", "get_subwikis"),
    ]
