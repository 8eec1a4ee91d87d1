"""Posts, wiki editing, discussion and moderation through the public API."""

import io
import struct
import time
import uuid
import zlib
from html.parser import HTMLParser

import pytest
from PIL import Image


def elements(html: str) -> list[tuple[str, list]]:
    """Every element with its attributes, as a browser's parser would see them."""
    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collector().feed(html)
    return found


def png(size=(6, 4)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


def bomb_png(side=100_000) -> bytes:
    """A tiny file that claims to be a 100,000 x 100,000 picture."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1024))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def place(api):
    """A subwiki with its moderator, a member and a brand-new account that also joined."""
    moderator, mod_token = api.register("mod")
    author, author_token = api.register("author")
    newbie, newbie_token = api.register("newbie")
    slug = f"place_{uuid.uuid4().hex[:8]}"
    assert api.post("/api/v1/subwikis", token=mod_token, json={"slug": slug, "name": "Place"}).status_code == 201
    for token in (author_token, newbie_token):
        assert api.put(f"/api/v1/subwikis/{slug}/membership", token=token).status_code == 204
    return {
        "slug": slug,
        "mod": mod_token,
        "author": author_token,
        "newbie": newbie_token,
        "author_user": author,
        "newbie_user": newbie,
        "mod_user": moderator,
    }


def post(api, place, token_name="author", **fields):
    response = api.post(f"/api/v1/subwikis/{place['slug']}/posts", token=place[token_name], json=fields)
    assert response.status_code == 201, response.text
    return response.json()


def test_every_kind_including_an_uploaded_picture(api, place):
    upload = api.post("/api/v1/uploads", token=place["author"], files={"file": ("red.png", png(), "image/png")})
    assert upload.status_code == 201, upload.text
    picture = api.get(upload.json()["url"])
    assert picture.status_code == 200 and picture.headers["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(picture.content)).size == (6, 4)

    made = [
        post(api, place, kind="link", title="A map", url="https://example.org/map"),
        post(api, place, kind="article", title="Essay", body="# Heading\n\nText with **bold**."),
        post(api, place, kind="image", title="Red", image_id=upload.json()["image_id"], body="A caption"),
        post(api, place, kind="cartoon", title="Funny", image_id=upload.json()["image_id"]),
        post(api, place, kind="text", title="Thought", body="Short and original."),
    ]
    assert [p["kind"] for p in made] == ["link", "article", "image", "cartoon", "text"]
    essay = api.get(f"/api/v1/posts/{made[1]['id']}").json()
    assert "<strong>bold</strong>" in essay["body_html"]
    assert essay["author"]["username"] == place["author_user"]["username"]
    assert essay["subwiki"]["slug"] == place["slug"]
    assert essay["score"] == {"up": 0, "down": 0, "quality": 0.0}
    assert api.get(f"/api/v1/posts/{made[2]['id']}").json()["image_url"] == upload.json()["url"]


def test_wiki_edit_history_revert_conflict_and_held_edits(api, place, wait_until):
    essay = post(api, place, kind="article", title="Rivers", body="Rivers flow.")
    edited = api.patch(
        f"/api/v1/posts/{essay['id']}",
        token=place["mod"],
        json={"body": "Rivers flow downhill.", "base_revision": 1, "edit_summary": "precision"},
    )
    assert edited.status_code == 200 and edited.json()["revision"] == 2
    history = api.get(f"/api/v1/posts/{essay['id']}/revisions").json()["items"]
    assert [(r["revision"], r["editor"]["username"]) for r in history] == [
        (2, place["mod_user"]["username"]),
        (1, place["author_user"]["username"]),
    ]
    assert "+Rivers flow downhill." in api.get(f"/api/v1/posts/{essay['id']}/revisions/2").json()["changes"][0]["diff"]

    stale = api.patch(
        f"/api/v1/posts/{essay['id']}",
        token=place["author"],
        json={"title": "Old base", "base_revision": 1, "edit_summary": "late"},
    )
    assert stale.status_code == 409

    reverted = api.post(f"/api/v1/posts/{essay['id']}/revisions/1/revert", token=place["author"])
    assert reverted.status_code == 200
    assert (reverted.json()["body"], reverted.json()["revision"]) == ("Rivers flow.", 3)

    held = api.patch(
        f"/api/v1/posts/{essay['id']}",
        token=place["newbie"],
        json={"title": "Rivers (edited by a newcomer)", "base_revision": 3, "edit_summary": "title"},
    )
    assert held.status_code == 202 and held.json()["pending"] is True
    assert api.get(f"/api/v1/posts/{essay['id']}").json()["revision"] == 3
    pending = api.get(f"/api/v1/posts/{essay['id']}/pending", token=place["author"]).json()["items"]
    assert pending[0]["change_id"] == held.json()["change_id"]
    assert pending[0]["editor"]["username"] == place["newbie_user"]["username"]
    refused = api.post(f"/api/v1/posts/{essay['id']}/pending/{held.json()['change_id']}/accept", token=place["newbie"])
    assert refused.status_code == 403
    queue = api.get(f"/api/v1/subwikis/{place['slug']}/pending", token=place["mod"])
    assert queue.status_code == 200, queue.text
    assert [(h["change_id"], h["post"]["id"], h["editor"]["username"]) for h in queue.json()["items"]] == [
        (held.json()["change_id"], essay["id"], place["newbie_user"]["username"])
    ]
    assert api.get(f"/api/v1/subwikis/{place['slug']}/pending", token=place["newbie"]).status_code == 403
    accepted = api.post(f"/api/v1/posts/{essay['id']}/pending/{held.json()['change_id']}/accept", token=place["mod"])
    assert accepted.status_code == 200
    assert accepted.json()["title"] == "Rivers (edited by a newcomer)" and accepted.json()["revision"] == 4

    newbie = place["newbie_user"]["username"]
    assert wait_until(lambda: api.get(f"/api/v1/users/{newbie}").json()["trust"] > 0.1)


def test_protection_keeps_others_out(api, place):
    essay = post(api, place, kind="article", title="Settled", body="Agreed text.")
    assert api.put(f"/api/v1/posts/{essay['id']}/protection", token=place["author"]).status_code == 403
    assert api.put(f"/api/v1/posts/{essay['id']}/protection", token=place["mod"]).status_code == 204
    blocked = api.patch(
        f"/api/v1/posts/{essay['id']}",
        token=place["newbie"],
        json={"body": "Mine now", "base_revision": 1, "edit_summary": "x"},
    )
    assert blocked.status_code == 403
    own = api.patch(
        f"/api/v1/posts/{essay['id']}",
        token=place["author"],
        json={"body": "Author's fix", "base_revision": 1, "edit_summary": "fix"},
    )
    assert own.status_code == 200


def test_comments_replies_and_votes_counted_once(api, place, wait_until):
    essay = post(api, place, kind="text", title="Question", body="What do you think?")
    top = api.post(f"/api/v1/posts/{essay['id']}/comments", token=place["mod"], json={"body": "I think *so*."})
    assert top.status_code == 201
    reply = api.post(
        f"/api/v1/posts/{essay['id']}/comments",
        token=place["newbie"],
        json={"body": "Agreed.", "parent_id": top.json()["id"]},
    )
    assert reply.status_code == 201
    thread = api.get(f"/api/v1/posts/{essay['id']}/comments").json()["items"]
    assert thread[0]["body_html"] == "<p>I think <em>so</em>.</p>\n"
    assert thread[0]["children"][0]["author"]["username"] == place["newbie_user"]["username"]

    for _ in range(2):
        voted = api.put(f"/api/v1/posts/{essay['id']}/vote", token=place["newbie"], json={"value": 1})
        assert voted.status_code == 200
    assert voted.json()["up"] == 1

    def seen_on_the_page():
        # The page shows the feed's counts, which follow content's events.
        seen = api.get(f"/api/v1/posts/{essay['id']}", token=place["newbie"]).json()
        return seen["score"]["up"] == 1 and seen["my_vote"] == 1 and seen["comment_count"] == 2

    assert wait_until(seen_on_the_page)
    assert api.delete(f"/api/v1/posts/{essay['id']}/vote", token=place["newbie"]).json()["up"] == 0
    assert (
        api.put(f"/api/v1/comments/{top.json()['id']}/vote", token=place["author"], json={"value": -1}).json()["down"]
        == 1
    )


def test_comments_come_in_pages_and_replies_nest_at_most_eight_levels(api, place):
    essay = post(api, place, kind="text", title="Long discussion", body="Talk.")
    url = f"/api/v1/posts/{essay['id']}/comments"
    tops = [api.post(url, token=place["mod"], json={"body": f"Top {n}"}).json() for n in range(3)]
    parent = tops[0]
    for n in range(10):
        parent = api.post(url, token=place["newbie"], json={"body": f"Reply {n}", "parent_id": parent["id"]}).json()
    first = api.get(url, params={"limit": 2})
    assert first.status_code == 200
    page = first.json()
    assert [c["id"] for c in page["items"]] == [tops[2]["id"], tops[1]["id"]] and page["next_cursor"]
    rest = api.get(url, params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [c["id"] for c in rest["items"]] == [tops[0]["id"]] and rest["next_cursor"] is None

    def levels(items):
        count, nodes = 0, items
        while nodes:
            count, nodes = count + 1, [child for node in nodes for child in node["children"]]
        return count

    # A page holds a thread's first 5 replies level by level and counts the rest.
    assert levels(rest["items"]) == 1 + 5 and rest["items"][0]["more_replies"] == 10 - 5
    assert api.get(url, params={"cursor": "not-a-cursor"}).status_code == 400

    # The thread that holds a deep reply, whichever page its top-level comment is on: all of it.
    thread = api.get(f"/api/v1/comments/{parent['id']}/thread")
    assert thread.status_code == 200, thread.text
    assert [c["id"] for c in thread.json()["items"]] == [tops[0]["id"]]
    assert levels(thread.json()["items"]) == 9 and thread.json()["items"][0]["more_replies"] == 0
    assert api.get("/api/v1/comments/no_such_comment/thread").status_code == 404


def test_a_post_and_a_page_of_its_discussion_come_in_one_answer(api, place):
    """GET /posts/{id}?comments=<sort> answers what GET /posts/{id} and GET /posts/{id}/comments?sort=<sort> answer,
    for a reader who blocked a commenter and for a visitor, at a later page's cursor too."""
    essay = post(api, place, kind="text", title="Read at once", body="Talk.")
    url = f"/api/v1/posts/{essay['id']}"
    tops = [api.post(f"{url}/comments", token=place["mod"], json={"body": f"Top {n}"}).json() for n in range(3)]
    reply = {"body": "A reply", "parent_id": tops[0]["id"]}
    assert api.post(f"{url}/comments", token=place["newbie"], json=reply).status_code == 201
    newbie = place["newbie_user"]["username"]
    assert api.put(f"/api/v1/me/blocks/{newbie}", token=place["author"]).status_code == 204
    for token in (place["author"], None):
        cursor = api.get(f"{url}/comments", token=token, params={"sort": "new", "limit": 2}).json()["next_cursor"]
        for sort, at in (("quality", None), ("new", None), ("new", cursor)):
            answer = api.get(url, token=token, params={"comments": sort, "comments_cursor": at})
            assert answer.status_code == 200, answer.text
            both = answer.json()
            page = both.pop("comments")
            assert both == api.get(url, token=token).json()
            assert page == api.get(f"{url}/comments", token=token, params={"sort": sort, "cursor": at}).json()
        shown = api.get(url, token=token, params={"comments": "quality"}).json()["comments"]
        blocked = [c["blocked"] for top in shown["items"] for c in top["children"]]
        assert blocked == [token is not None]
    assert api.get(url, params={"comments": "best"}).status_code == 400
    assert api.get("/api/v1/posts/no_such_post", params={"comments": "new"}).status_code == 404


def test_a_post_s_subwiki_shows_a_join_and_a_post_moments_after_they_commit(api, place, wait_until):
    """A post's page shows its subwiki's summary, which every gateway process keeps (this stack keeps one for up
    to 300 s, SUBWIKI_SUMMARY_SECONDS) until communities tells it changed: a member joining and a post written
    show within moments, however often the page was read before."""
    essay = post(api, place, kind="text", title="Counted", body="Words.")
    url = f"/api/v1/posts/{essay['id']}"

    def summary() -> dict:
        return api.get(url, token=place["mod"]).json()["subwiki"]

    before = wait_until(lambda: (lambda s: s if s["post_count"] >= 1 else None)(summary()))
    for _ in range(6):  # each gateway process keeps it
        assert summary() == before
    _, token = api.register("joiner")
    assert api.put(f"/api/v1/subwikis/{place['slug']}/membership", token=token).status_code == 204
    wait_until(lambda: summary()["member_count"] == before["member_count"] + 1, timeout=10)
    post(api, place, kind="text", title="Another", body="More words.")
    wait_until(lambda: summary()["post_count"] == before["post_count"] + 1, timeout=10)


def test_filing_the_same_report_again_answers_with_the_open_one(api, place):
    essay = post(api, place, kind="text", title="Dubious", body="Hm.")
    url = f"/api/v1/posts/{essay['id']}/reports"
    first = api.post(url, token=place["newbie"], json={"reason": "Off topic"})
    again = api.post(url, token=place["newbie"], json={"reason": "Off topic!"})
    assert first.status_code == again.status_code == 202 and first.json() == again.json()


def test_creating_requests_retried_with_an_idempotency_key_make_one_resource(api, place, wait_until):
    key = uuid.uuid4().hex
    url = f"/api/v1/subwikis/{place['slug']}/posts"
    fields = {"kind": "text", "title": "Once", "body": "Only once."}
    first = api.post(url, token=place["author"], json=fields, headers={"Idempotency-Key": key})
    again = api.post(url, token=place["author"], json=fields, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    other = api.post(
        url, token=place["author"], json={**fields, "body": "Something else."}, headers={"Idempotency-Key": key}
    )
    assert other.status_code == 409
    comments = f"/api/v1/posts/{first.json()['id']}/comments"
    said = [
        api.post(comments, token=place["newbie"], json={"body": "Hi"}, headers={"Idempotency-Key": key}).json()
        for _ in range(2)
    ]
    assert said[0]["id"] == said[1]["id"]
    # The post page's count is the feed's, which follows content's events: wait for it, then see it stay 1.
    post_url = f"/api/v1/posts/{first.json()['id']}"
    assert wait_until(lambda: api.get(post_url).json()["comment_count"] == 1)
    time.sleep(1)
    assert api.get(post_url).json()["comment_count"] == 1
    uploads = [
        api.post("/api/v1/uploads", token=place["author"], files={"file": ("p.png", png((9, 9)), "image/png")})
        for _ in range(2)
    ]
    assert uploads[0].status_code == uploads[1].status_code == 201
    assert uploads[0].json()["image_id"] == uploads[1].json()["image_id"]
    slug = f"k{key[:12]}"
    subwiki = {"slug": slug, "name": "Kept once", "summary": "One subwiki, however often asked."}
    made = [
        api.post("/api/v1/subwikis", token=place["author"], json=subwiki, headers={"Idempotency-Key": key})
        for _ in range(2)
    ]
    assert made[0].status_code == made[1].status_code == 201, made[1].text
    assert made[1].json()["slug"] == slug and made[1].json()["member_count"] == 1  # not 409: the slug is its own
    reused = api.post(
        "/api/v1/subwikis",
        token=place["author"],
        json={**subwiki, "slug": f"{slug}x"},
        headers={"Idempotency-Key": key},
    )
    assert reused.status_code == 409 and "Idempotency-Key" in reused.json()["error"]["fields"]


def test_a_picture_over_the_work_budget_is_payload_too_large(api, place):
    frames = [Image.new("P", (2000, 1000), n) for n in range(30)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=40)
    refused = api.post("/api/v1/uploads", token=place["author"], files={"file": ("a.gif", out.getvalue(), "image/gif")})
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "payload_too_large"


def test_reports_resolve_and_moderator_removal(api, place, wait_until):
    spam = post(api, place, kind="link", title="Buy now", url="https://spam.example/")
    filed = api.post(f"/api/v1/posts/{spam['id']}/reports", token=place["newbie"], json={"reason": "Spam"})
    assert filed.status_code == 202
    assert api.get(f"/api/v1/subwikis/{place['slug']}/reports", token=place["newbie"]).status_code == 403
    reports = api.get(f"/api/v1/subwikis/{place['slug']}/reports", token=place["mod"]).json()["items"]
    assert reports[0]["target"] == {"type": "post", "id": spam["id"]}
    assert reports[0]["reporter"]["username"] == place["newbie_user"]["username"]
    resolved = api.post(f"/api/v1/reports/{reports[0]['id']}/resolve", token=place["mod"], json={"action": "uphold"})
    assert resolved.status_code == 200
    assert api.get(f"/api/v1/posts/{spam['id']}").status_code == 404

    other = post(api, place, kind="text", title="Off topic", body="...")
    assert api.delete(f"/api/v1/posts/{other['id']}", token=place["mod"]).status_code == 204
    assert api.get(f"/api/v1/posts/{other['id']}").status_code == 404

    def logged():
        actions = {
            (e["action"], e["target_id"]) for e in api.get(f"/api/v1/subwikis/{place['slug']}/modlog").json()["items"]
        }
        return {("uphold_report", spam["id"]), ("remove_post", other["id"])} <= actions

    assert wait_until(logged)


def test_markup_is_inert_and_bad_input_refused(api, place):
    shown = api.post("/api/v1/preview", token=place["author"], json={"body": "**bold** <script>alert(1)</script>"})
    assert shown.status_code == 200, shown.text
    assert "<strong>bold</strong>" in shown.json()["body_html"] and "<script" not in shown.json()["body_html"]
    assert api.post("/api/v1/preview", json={"body": "x"}).status_code == 401
    assert api.post("/api/v1/preview", token=place["author"], json={"body": "x" * 100_001}).status_code == 400
    hostile = post(
        api,
        place,
        kind="article",
        title="Hostile",
        body='<script>alert(1)</script> <img src=x onerror="alert(2)"> [click](javascript:alert(3))',
    )
    tags = elements(hostile["body_html"])
    assert all(tag not in ("script", "img") for tag, _ in tags)
    assert all(not name.startswith("on") for _, attrs in tags for name, _ in attrs)
    assert all(not (value or "").startswith("javascript:") for _, attrs in tags for _, value in attrs)
    assert "&lt;script&gt;" in hostile["body_html"]  # shown as text, not run
    bad_url = api.post(
        f"/api/v1/subwikis/{place['slug']}/posts",
        token=place["author"],
        json={"kind": "link", "title": "x", "url": "javascript:alert(1)"},
    )
    assert bad_url.status_code == 400 and "url" in bad_url.json()["error"]["fields"]

    not_image = api.post(
        "/api/v1/uploads",
        token=place["author"],
        files={"file": ("doc.png", b"%PDF-1.7 this is not a picture", "image/png")},
    )
    assert not_image.status_code == 400
    bomb = api.post("/api/v1/uploads", token=place["author"], files={"file": ("bomb.png", bomb_png(), "image/png")})
    assert bomb.status_code == 413
    huge = api.post(
        "/api/v1/uploads", token=place["author"], files={"file": ("huge.png", b"\0" * (9 * 1024 * 1024), "image/png")}
    )
    assert huge.status_code == 413


def test_non_members_and_other_people_are_refused(api, place):
    _, outsider = api.register("outsider")
    refused = api.post(
        f"/api/v1/subwikis/{place['slug']}/posts",
        token=outsider,
        json={"kind": "text", "title": "Hi", "body": "Let me in"},
    )
    assert refused.status_code == 403
    essay = post(api, place, kind="text", title="Mine", body="Only mine to delete.")
    assert api.delete(f"/api/v1/posts/{essay['id']}", token=place["newbie"]).status_code == 403
    assert api.delete(f"/api/v1/posts/{essay['id']}", token=outsider).status_code == 403
    comment = api.post(f"/api/v1/posts/{essay['id']}/comments", token=place["author"], json={"body": "Mine too"})
    assert (
        api.patch(
            f"/api/v1/comments/{comment.json()['id']}", token=place["newbie"], json={"body": "Hijacked"}
        ).status_code
        == 403
    )
    assert api.delete(f"/api/v1/comments/{comment.json()['id']}", token=place["newbie"]).status_code == 403
    assert api.post(f"/api/v1/posts/{essay['id']}/comments", token=outsider, json={"body": "x"}).status_code == 403
    assert api.get(f"/api/v1/posts/{uuid.uuid4().hex}").status_code == 404


def test_reviewing_reverting_and_resolving_need_the_right_people(api, place):
    essay = post(api, place, kind="article", title="Guarded", body="Original.")
    held = api.patch(
        f"/api/v1/posts/{essay['id']}",
        token=place["newbie"],
        json={"body": "Changed", "base_revision": 1, "edit_summary": "x"},
    ).json()
    reject = f"/api/v1/posts/{essay['id']}/pending/{held['change_id']}/reject"
    assert api.post(reject, token=place["newbie"]).status_code == 403
    assert api.post(f"/api/v1/posts/{essay['id']}/revisions/1/revert", token=place["newbie"]).status_code == 403
    filed = api.post(f"/api/v1/posts/{essay['id']}/reports", token=place["newbie"], json={"reason": "test"})
    assert filed.status_code == 202
    resolve = f"/api/v1/reports/{filed.json()['id']}/resolve"
    assert api.post(resolve, token=place["author"], json={"action": "dismiss"}).status_code == 403
    assert api.post(resolve, token=place["mod"], json={"action": "dismiss"}).status_code == 200
    assert api.post(reject, token=place["mod"]).status_code == 204
    assert api.get(f"/api/v1/posts/{essay['id']}").json()["body"] == "Original."


def test_a_held_first_picture_post_shows_its_picture_to_its_author_and_the_moderators(api):
    moderator, mod_token = api.register("heldpicmod")
    _, token = api.register("heldpic")
    slug = f"heldpic_{uuid.uuid4().hex[:8]}"
    assert api.post("/api/v1/subwikis", token=mod_token, json={"slug": slug, "name": "Pictures"}).status_code == 201
    assert api.put(f"/api/v1/subwikis/{slug}/first-post-approval", token=mod_token).status_code == 204
    assert api.put(f"/api/v1/subwikis/{slug}/membership", token=token).status_code == 204
    out = io.BytesIO()
    Image.new("RGB", (6, 4), (40, 120, 200)).save(out, "PNG")
    upload = api.post("/api/v1/uploads", token=token, files={"file": ("p.png", out.getvalue(), "image/png")})
    assert upload.status_code == 201, upload.text
    answer = api.post(
        f"/api/v1/subwikis/{slug}/posts",
        token=token,
        json={"kind": "image", "title": "A heron", "image_id": upload.json()["image_id"]},
    )
    assert answer.status_code == 202, answer.text
    picture = answer.json()["held_post"]["image_url"]
    assert picture and api.get(picture).status_code == 200
    for who in (mod_token, token):
        (held,) = api.get(f"/api/v1/subwikis/{slug}/held-posts", token=who).json()["items"]
        assert held["title"] == "A heron" and held["image_url"] == picture
