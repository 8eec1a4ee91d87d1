"""The feed's routes: a subwiki's posts."""

from gateway.summaries import SubwikiSummaries

ENTRY = {
    "post_id": "p1",
    "kind": "text",
    "title": "Hello",
    "url": None,
    "image_file": None,
    "author_id": "u1",
    "author_username": "ann",
    "author_display_name": "Ann",
    "subwiki": "rivers",
    "subwiki_name": "Rivers",
    "posted_at": "2026-12-01T00:00:00+00:00",
    "up": 1,
    "down": 0,
    "comment_count": 0,
    "quality": 0.5,
    "rank": {"score": 0.5, "reasons": []},
}


def test_a_subwiki_s_posts_ask_communities_only_when_the_page_is_empty(client, services, remote):
    """A page that lists posts says the subwiki exists (subwikis are never deleted): communities is not asked. An
    empty page asks it (its summaries), to tell an empty subwiki (200) from an unknown one (404)."""
    pages = {"rivers": {"items": [ENTRY], "next_cursor": None}, "lakes": {"items": [], "next_cursor": None}}
    services.on("feed", "subwiki_feed", lambda slug, sort, limit, cursor: pages.get(slug, pages["lakes"]))
    services.on("communities", "get_subwikis", lambda slugs: {})
    shown = client.get("/api/v1/subwikis/rivers/posts")
    assert shown.status_code == 200 and [i["post"]["id"] for i in shown.get_json()["items"]] == ["p1"]
    assert [c[:2] for c in services.calls] == [("feed", "subwiki_feed")]

    missing = client.get("/api/v1/subwikis/nowhere/posts")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    assert missing.get_json()["error"]["message"] == "No such subwiki."
    services.on("communities", "get_subwikis", lambda slugs: {s.lower(): {"slug": s.lower()} for s in slugs})
    empty = client.get("/api/v1/subwikis/Lakes/posts")
    assert empty.status_code == 200 and empty.get_json() == {"items": [], "next_cursor": None}
    assert [c[:2] for c in services.calls[1:]] == [("feed", "subwiki_feed"), ("communities", "get_subwikis")] * 2


def test_an_empty_subwiki_page_is_told_from_a_missing_one_by_the_summaries_held(client, services):
    """Most subwikis' pages are empty: whether one exists is answered by the summary this process holds
    (``gateway.summaries``); communities is asked once for one it does not hold, and its answer kept."""
    services.summaries = SubwikiSummaries(300)
    services.summaries.hearing(True)
    services.on("feed", "subwiki_feed", lambda slug, sort, limit, cursor: {"items": [], "next_cursor": None})
    services.on("communities", "get_subwikis", lambda slugs: {s: {"slug": s} for s in slugs if s != "nowhere"})
    for _ in range(3):
        assert client.get("/api/v1/subwikis/lakes/posts").status_code == 200
        assert client.get("/api/v1/subwikis/nowhere/posts").status_code == 404
    asked = [c[1:3] for c in services.calls if c[0] == "communities"]
    assert asked == [("get_subwikis", (["lakes"],)), ("get_subwikis", (["nowhere"],))]
