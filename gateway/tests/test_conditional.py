"""Conditional GETs: a JSON answer carries an ETag; asked again with it in If-None-Match, an unchanged
answer is a 304 without a body, a changed one a 200 with its new tag."""

from __future__ import annotations

from .test_feed_routes import ENTRY

FEED_PAGE = {"items": [ENTRY], "next_cursor": None}


def public_feed(services, page: dict) -> None:
    services.on("feed", "public_feed", lambda *args, **kwargs: page)


def test_a_get_answer_carries_a_tag_and_an_unchanged_one_asked_with_it_is_a_bodiless_304(client, services):
    public_feed(services, FEED_PAGE)
    first = client.get("/api/v1/feed/public")
    assert first.status_code == 200
    tag = first.headers["ETag"]
    assert tag.startswith('"') and len(tag) == 34
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert "Authorization" in first.headers["Vary"]

    again = client.get("/api/v1/feed/public", headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == tag
    assert again.headers["Cache-Control"] == "private, no-cache"
    # A list of tags, or the weak form of the same tag, names it too (RFC 9110's weak comparison).
    listed = client.get("/api/v1/feed/public", headers={"If-None-Match": f'"other", W/{tag}'})
    assert listed.status_code == 304


def test_a_changed_answer_asked_with_the_old_tag_is_a_200_with_its_body_and_new_tag(client, services):
    public_feed(services, FEED_PAGE)
    tag = client.get("/api/v1/feed/public").headers["ETag"]
    public_feed(services, {**FEED_PAGE, "items": []})
    changed = client.get("/api/v1/feed/public", headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.get_json()["items"] == []
    assert changed.headers["ETag"] != tag
    assert client.get("/api/v1/feed/public", headers={"If-None-Match": '"something else"'}).status_code == 200


def test_errors_and_the_data_export_are_not_tagged_and_never_kept(client, services):
    refused = client.get("/api/v1/feed/public?limit=0")
    assert refused.status_code == 400
    assert "ETag" not in refused.headers and refused.headers["Cache-Control"] == "no-store"

    for name in ("identity", "communities", "content", "feed", "donations"):
        services.on(name, "export_user", lambda user_id: {"uploads": []})
    export = client.get("/api/v1/me/export", headers={"Authorization": "Bearer good"})
    assert export.status_code == 200
    assert "ETag" not in export.headers and export.headers["Cache-Control"] == "no-store"
