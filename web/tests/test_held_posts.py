"""First posts held for approval on the site, with a fake gateway: the moderators' queue and its switch,
the author's pending posts, the decisions (plain forms, POST-redirect-GET) and their notifications."""

from __future__ import annotations

import pytest

from web.app import create_app

from .test_views import FEED, FakeGateway, csrf_of

RIVERS = {"slug": "rivers", "name": "Rivers", "summary": "", "moderators": [], "member_count": 3, "revision": 1}
HELD = {
    "id": "h1",
    "kind": "text",
    "title": "<b>Hello</b>",
    "body": "My first post.",
    "url": None,
    "author": {"id": "u2", "username": "bob", "display_name": "Bob"},
    "subwiki": "rivers",
    "created_at": "2026-12-02T01:00:00+00:00",
}


def notification(kind: str, **extra) -> dict:
    return {
        "id": 7,
        "kind": kind,
        "text": "",
        "actors": [{"id": "u2", "username": "bob", "display_name": "Bob"}],
        "actor_count": 1,
        "count": 1,
        "post": {"id": None, "title": None},
        "target": {"type": "held_posts", "id": "rivers", "post_id": None},
        "detail": {"held_post_id": "h1", "title": "Hello", "subwiki": "rivers"},
        "read": False,
        "created_at": "2026-12-02T01:00:00+00:00",
    } | extra


@pytest.fixture
def gateway():
    fake = FakeGateway()
    fake.answers[("GET", "/feed/public")] = FEED
    fake.answers[("POST", "/auth/login")] = {"token": "t", "user": {"username": "ada"}}
    fake.answers[("GET", "/me")] = {"username": "ada", "display_name": "Ada", "subwikis": ["rivers"], "following": []}
    fake.answers[("GET", "/subwikis/rivers")] = dict(RIVERS, is_member=True, is_moderator=True)
    fake.answers[("GET", "/subwikis/rivers/posts")] = {"items": [], "next_cursor": None}
    fake.answers[("GET", "/subwikis/rivers/held-posts")] = {
        "items": [HELD],
        "next_cursor": "later",
        "approval_required": True,
    }
    return fake


@pytest.fixture
def client(gateway):
    client = create_app({"GATEWAY": gateway, "SECRET_KEY": "test", "TESTING": True}).test_client()
    token = csrf_of(client.get("/signin").get_data(as_text=True))
    client.post("/signin", data={"login": "ada", "password": "pw", "csrf_token": token})
    return client


def sent(gateway, method: str) -> list[str]:
    return [path for m, path, _, _ in gateway.calls if m == method]


def test_moderators_reach_the_queue_and_approve_or_reject_with_plain_forms(client, gateway):
    assert 'href="/s/rivers/first-posts"' in client.get("/s/rivers").get_data(as_text=True)
    gateway.answers[("GET", "/subwikis/rivers/reports")] = {"items": [], "next_cursor": None}
    gateway.answers[("GET", "/subwikis/rivers/pending")] = {"items": [], "next_cursor": None}
    assert 'href="/s/rivers/first-posts"' in client.get("/s/rivers/moderation").get_data(as_text=True)

    html = client.get("/s/rivers/first-posts").get_data(as_text=True)
    assert "&lt;b&gt;Hello&lt;/b&gt;" in html and "<b>Hello</b>" not in html  # escaped
    assert "Pending approval" in html and "Bob" in html and "cursor=later" in html
    assert 'action="/held-posts/h1/approve"' in html and 'action="/held-posts/h1/reject"' in html
    assert "Stop holding first posts" in html  # the switch, on
    token = csrf_of(html)

    gateway.answers[("POST", "/held-posts/h1/approve")] = {"id": "h1"}
    answer = client.post("/held-posts/h1/approve", data={"slug": "rivers", "csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"] == "/s/rivers/first-posts"
    assert "Approved: the post is up" in client.get("/s/rivers/first-posts").get_data(as_text=True)
    client.post("/held-posts/h1/reject", data={"slug": "rivers", "csrf_token": token})
    assert sent(gateway, "POST")[-2:] == ["/held-posts/h1/approve", "/held-posts/h1/reject"]
    assert client.post("/held-posts/h1/publish", data={"slug": "rivers", "csrf_token": token}).status_code == 404
    assert client.post("/held-posts/h1/approve", data={"slug": "rivers"}).status_code == 400  # no CSRF token


def test_a_held_picture_post_shows_its_picture_in_the_queue(client, gateway):
    picture = {**HELD, "id": "h2", "kind": "image", "title": "A heron", "image_url": "/api/v1/uploads/abc.png"}
    gateway.answers[("GET", "/subwikis/rivers/held-posts")] = {
        "items": [picture, HELD],
        "next_cursor": None,
        "approval_required": True,
    }
    html = client.get("/s/rivers/first-posts").get_data(as_text=True)
    assert html.count("<img") == 1 and '<img class="picture" src="/api/v1/uploads/abc.png" alt="A heron">' in html


def test_the_switch_turns_approval_on_and_off(client, gateway):
    gateway.answers[("GET", "/subwikis/rivers/held-posts")] = {
        "items": [],
        "next_cursor": None,
        "approval_required": False,
    }
    html = client.get("/s/rivers/first-posts").get_data(as_text=True)
    assert "No first post waits." in html and "Hold each new member" in html
    token = csrf_of(html)
    answer = client.post("/s/rivers/first-post-approval", data={"required": "1", "csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"] == "/s/rivers/first-posts"
    client.post("/s/rivers/first-post-approval", data={"required": "0", "csrf_token": token})
    assert sent(gateway, "PUT") == ["/subwikis/rivers/first-post-approval"]
    assert sent(gateway, "DELETE") == ["/subwikis/rivers/first-post-approval"]


def test_a_refused_decision_says_why_and_stays_on_the_queue(client, gateway):
    from web.api import ApiError

    gateway.answers[("POST", "/held-posts/h1/approve")] = ApiError(403, "forbidden", "Only moderators.")
    token = csrf_of(client.get("/s/rivers/first-posts").get_data(as_text=True))
    answer = client.post(
        "/held-posts/h1/approve",
        data={"slug": "rivers", "csrf_token": token},
        headers={"Referer": "http://localhost/s/rivers/first-posts"},
    )
    assert answer.status_code == 302 and answer.headers["Location"] == "/s/rivers/first-posts"


def test_the_author_sees_their_post_pending_and_no_decision(client, gateway):
    gateway.answers[("GET", "/subwikis/rivers")] = dict(RIVERS, is_member=True, is_moderator=False)
    assert 'href="/s/rivers/first-posts"' in client.get("/s/rivers").get_data(as_text=True)
    html = client.get("/s/rivers/first-posts").get_data(as_text=True)
    assert "Your pending posts" in html and "Pending approval" in html and "My first post." in html
    assert "/held-posts/h1/approve" not in html and "first-post-approval" not in html


def test_in_french(client, gateway):
    client.post("/language", data={"lang": "fr", "csrf_token": csrf_of(client.get("/").get_data(as_text=True))})
    html = client.get("/s/rivers/first-posts").get_data(as_text=True)
    assert "En attente d’accord" in html and "Approuver" in html


def test_their_notifications_say_what_happened_and_open_the_queue_or_the_post(client, gateway):
    gateway.answers[("GET", "/notifications")] = {
        "items": [
            notification("post_held"),
            notification("post_held", id=6, count=3, actor_count=3),
            notification(
                "post_approved", id=5, post={"id": "h1", "title": "Hello"}, target={"type": "post", "id": "h1"}
            ),
            notification("post_rejected", id=4, target={"type": "subwiki", "id": "rivers", "post_id": None}),
        ],
        "next_cursor": None,
    }
    gateway.answers[("GET", "/me/notification-settings")] = {"post_held": True}
    html = client.get("/notifications").get_data(as_text=True)
    assert "@bob&#39;s first post “Hello” waits for your approval in rivers" in html
    assert "3 first posts wait for your approval in rivers" in html
    assert "@bob approved your post “Hello”: it is up" in html and 'href="/posts/h1"' in html
    assert "@bob rejected your post “Hello”" in html and 'href="/s/rivers"' in html
    assert html.count('href="/s/rivers/first-posts"') == 2
    client.post("/language", data={"lang": "fr", "csrf_token": csrf_of(html)})
    html = client.get("/notifications").get_data(as_text=True)
    assert "3 premières publications attendent votre accord dans rivers" in html
