"""The notifications page and the header's unread badge, in English and French, with a fake gateway."""

from __future__ import annotations

import pytest

from web.app import create_app

from .test_views import FEED, FakeGateway, csrf_of

PAGE = {
    "items": [
        {
            "id": 12,
            "kind": "reply_to_post",
            "text": "3 people replied to your post “Rivers”.",
            "actors": [
                {"id": "u2", "username": "bob", "display_name": "Bob"},
                {"id": None, "username": None, "display_name": "a deleted member"},
            ],
            "actor_count": 3,
            "count": 4,
            "post": {"id": "p1", "title": "Rivers"},
            "target": {"type": "comment", "id": "c9", "post_id": "p1"},
            "detail": {},
            "read": False,
            "created_at": "2026-12-02T01:00:00+00:00",
        },
        {
            "id": 5,
            "kind": "content_removed",
            "text": "",
            "actors": [],
            "actor_count": 0,
            "count": 1,
            "post": {"id": "p2", "title": "Spam"},
            "target": {"type": "post", "id": "p2", "post_id": "p2"},
            "detail": {"target_type": "post", "reason": "off topic"},
            "read": True,
            "created_at": "2026-12-01T01:00:00+00:00",
        },
        {
            "id": 4,
            "kind": "follower",
            "text": "",
            "actors": [{"id": None, "username": None, "display_name": "a deleted member"}],
            "actor_count": 1,
            "count": 1,
            "post": None,
            "target": {"type": "user", "id": None, "post_id": None},
            "detail": {},
            "read": True,
            "created_at": "2026-12-01T00:00:00+00:00",
        },
    ],
    "next_cursor": None,
}


@pytest.fixture
def gateway():
    fake = FakeGateway()
    fake.answers[("GET", "/feed/public")] = FEED
    fake.answers[("GET", "/notifications")] = PAGE
    fake.answers[("GET", "/notifications/unread")] = {"unread": 3}
    fake.answers[("GET", "/me/notification-settings")] = {"reply_to_post": True, "follower": False}
    fake.answers[("POST", "/auth/login")] = {"token": "t", "user": {"username": "ada"}}
    return fake


@pytest.fixture
def client(gateway):
    client = create_app({"GATEWAY": gateway, "SECRET_KEY": "test", "TESTING": True}).test_client()
    token = csrf_of(client.get("/signin").get_data(as_text=True))
    client.post("/signin", data={"login": "ada", "password": "pw", "csrf_token": token})
    return client


def test_the_header_shows_the_unread_count_and_the_page_says_what_happened(client):
    front = client.get("/").get_data(as_text=True)
    assert '<span class="badge" data-unread>3</span>' in front
    html = client.get("/notifications").get_data(as_text=True)
    assert "3 people replied to your post “Rivers”" in html
    assert 'href="/posts/p1/thread/c9"' in html
    assert "A moderator removed your post “Spam”. Reason: off topic" in html
    assert "a deleted member followed you" in html
    assert 'name="follower">' in html and 'name="reply_to_post" checked>' in html


def test_in_french(client):
    client.post("/language", data={"lang": "fr", "csrf_token": csrf_of(client.get("/").get_data(as_text=True))})
    html = client.get("/notifications").get_data(as_text=True)
    assert "3 personnes ont répondu à votre publication « Rivers »" in html
    assert "un membre supprimé s’est abonné à vous" in html
    assert "Tout marquer comme lu" in html


def test_mark_read_and_settings_go_to_the_api(client, gateway):
    token = csrf_of(client.get("/notifications").get_data(as_text=True))
    assert client.post("/notifications/read", data={"up_to": "12", "csrf_token": token}).status_code == 302
    client.post("/notifications/settings", data={"mention": "on", "csrf_token": token})
    sent = {(c[0], c[1]): c[3].get("json") for c in gateway.calls if c[0] in ("POST", "PATCH")}
    assert sent[("POST", "/notifications/read")] == {"up_to": 12}
    settings = sent[("PATCH", "/me/notification-settings")]
    assert settings["mention"] is True and settings["follower"] is False


def test_a_failing_count_leaves_the_page_without_a_badge(client, gateway):
    from web.api import Unavailable

    gateway.answers[("GET", "/notifications/unread")] = Unavailable()
    response = client.get("/")
    assert response.status_code == 200 and "data-unread" not in response.get_data(as_text=True)


def unread_asks(gateway) -> int:
    return sum(1 for c in gateway.calls if c[0] == "GET" and c[1] == "/notifications/unread")


def test_the_count_is_held_for_a_while_and_asked_afresh_where_it_matters(client, gateway, monkeypatch):
    monkeypatch.setattr("web.views.notifications.now", lambda: 1_000_000.0)
    assert '<span class="badge" data-unread>3</span>' in client.get("/").get_data(as_text=True)
    asked = unread_asks(gateway)
    gateway.answers[("GET", "/notifications/unread")] = {"unread": 4}
    # The next pages within WEB_UNREAD_SECONDS show the count held, without asking.
    assert '<span class="badge" data-unread>3</span>' in client.get("/").get_data(as_text=True)
    assert unread_asks(gateway) == asked
    # The notifications page asks afresh.
    page = client.get("/notifications").get_data(as_text=True)
    assert '<span class="badge" data-unread>4</span>' in page and unread_asks(gateway) == asked + 1
    # Marking them read forgets the count: the next page asks.
    gateway.answers[("GET", "/notifications/unread")] = {"unread": 0}
    client.post("/notifications/read", data={"up_to": "12", "csrf_token": csrf_of(page)})
    assert "data-unread" not in client.get("/").get_data(as_text=True)
    assert unread_asks(gateway) == asked + 2
    # Once the count is older than WEB_UNREAD_SECONDS, a page asks again.
    gateway.answers[("GET", "/notifications/unread")] = {"unread": 7}
    monkeypatch.setattr("web.views.notifications.now", lambda: 1_000_016.0)
    assert '<span class="badge" data-unread>7</span>' in client.get("/").get_data(as_text=True)
    assert unread_asks(gateway) == asked + 3


def test_with_no_holding_every_page_asks(client, gateway, monkeypatch):
    monkeypatch.setenv("WEB_UNREAD_SECONDS", "0")
    client.get("/")
    asked = unread_asks(gateway)
    client.get("/")
    assert unread_asks(gateway) == asked + 1


def test_a_failing_count_is_not_held(client, gateway):
    from web.api import Unavailable

    gateway.answers[("GET", "/notifications/unread")] = Unavailable()
    client.get("/")
    asked = unread_asks(gateway)
    gateway.answers[("GET", "/notifications/unread")] = {"unread": 2}
    assert '<span class="badge" data-unread>2</span>' in client.get("/").get_data(as_text=True)
    assert unread_asks(gateway) == asked + 1
