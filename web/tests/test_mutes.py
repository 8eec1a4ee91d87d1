"""Mute and block on the site: buttons on a profile and a subwiki page, the settings' list, and a blocked
person's comments folded behind "blocked" (all plain forms and HTML: no JavaScript needed)."""

from __future__ import annotations

import pytest

from .test_views import FEED, FakeGateway, csrf_of, signed_in

NOBODY = {"items": [], "next_cursor": None}
BOB = {"id": "u2", "username": "bob", "display_name": "Bob"}


@pytest.fixture
def gateway():
    fake = FakeGateway()
    fake.answers[("GET", "/feed/public")] = FEED
    fake.answers[("GET", "/me/mutes/users")] = NOBODY
    fake.answers[("GET", "/me/mutes/subwikis")] = NOBODY
    fake.answers[("GET", "/me/blocks")] = NOBODY
    return fake


@pytest.fixture
def client(gateway):
    from web.app import create_app

    return create_app({"GATEWAY": gateway, "SECRET_KEY": "test", "TESTING": True}).test_client()


def kept(*people):
    return {"items": [{"person": p, "created_at": "2026-12-01T00:00:00Z"} for p in people], "next_cursor": None}


def profile_of_bob(gateway):
    gateway.answers[("GET", "/users/bob")] = dict(BOB, created_at="2026-01-01T00:00:00Z")
    gateway.answers[("GET", "/users/bob/posts")] = NOBODY
    gateway.answers[("GET", "/users/bob/support")] = {"supporter_count": 0}
    gateway.answers[("GET", "/users/bob/subwikis")] = NOBODY


def test_a_profile_has_mute_and_block_buttons_that_post_forms(client, gateway):
    signed_in(client, gateway)
    profile_of_bob(gateway)
    html = client.get("/u/bob").get_data(as_text=True)
    assert 'action="/u/bob/mute"' in html and 'name="mute" value="1"' in html and ">Mute</button>" in html
    assert 'action="/u/bob/block"' in html and 'name="block" value="1"' in html and ">Block</button>" in html
    gateway.answers[("GET", "/me/mutes/users")] = kept(BOB)
    gateway.answers[("GET", "/me/blocks")] = kept(BOB)
    html = client.get("/u/bob").get_data(as_text=True)
    assert ">Unmute</button>" in html and ">Unblock</button>" in html

    response = client.post("/u/bob/block", data={"block": "1", "csrf_token": csrf_of(html)})
    assert response.status_code == 302 and response.headers["Location"] == "/u/bob"
    client.post("/u/bob/mute", data={"mute": "0", "csrf_token": csrf_of(html), "back": "settings"})
    made = [(method, path) for method, path, _, _ in gateway.calls if method in ("PUT", "DELETE")]
    assert made == [("PUT", "/me/blocks/bob"), ("DELETE", "/me/mutes/users/bob")]


def test_a_subwiki_page_mutes_and_unmutes(client, gateway):
    signed_in(client, gateway)
    subwiki = {"slug": "rivers", "name": "Rivers", "moderators": [], "member_count": 1}
    gateway.answers[("GET", "/subwikis/rivers")] = subwiki
    gateway.answers[("GET", "/subwikis/rivers/posts")] = NOBODY
    html = client.get("/s/rivers").get_data(as_text=True)
    assert 'action="/s/rivers/mute"' in html and 'name="mute" value="1"' in html
    gateway.answers[("GET", "/me/mutes/subwikis")] = {
        "items": [{"subwiki": {"slug": "rivers", "name": "Rivers"}, "created_at": "2026-12-01T00:00:00Z"}],
        "next_cursor": None,
    }
    html = client.get("/s/rivers").get_data(as_text=True)
    assert 'name="mute" value="0"' in html
    response = client.post("/s/rivers/mute", data={"mute": "0", "csrf_token": csrf_of(html)})
    assert response.status_code == 302 and response.headers["Location"] == "/s/rivers"
    assert ("DELETE", "/me/mutes/subwikis/rivers") in [(m, p) for m, p, _, _ in gateway.calls]


def test_settings_list_what_is_muted_and_blocked_with_undo_buttons(client, gateway):
    signed_in(client, gateway)
    gateway.answers[("GET", "/me")] = {"username": "ada", "subwikis": [], "display_name": "Ada", "bio": ""}
    gateway.answers[("GET", "/me/mutes/users")] = kept(BOB)
    gateway.answers[("GET", "/me/blocks")] = kept(dict(BOB, username="cyd", display_name="Cyd"))
    gateway.answers[("GET", "/me/mutes/subwikis")] = {
        "items": [{"subwiki": {"slug": "rivers", "name": "Rivers"}, "created_at": "2026-12-01T00:00:00Z"}],
        "next_cursor": None,
    }
    html = client.get("/settings").get_data(as_text=True)
    assert "Muted and blocked" in html
    assert 'action="/u/bob/mute"' in html and 'action="/u/cyd/block"' in html and 'action="/s/rivers/mute"' in html
    assert html.count('name="back" value="settings"') == 3
    response = client.post("/u/cyd/block", data={"block": "0", "back": "settings", "csrf_token": csrf_of(html)})
    assert response.headers["Location"] == "/settings"


def comment(cid, author, children=()):
    return {
        "id": cid,
        "post_id": "p1",
        "parent_id": None,
        "author": author,
        "body": "text",
        "body_html": f"<p>said by {author['username']}</p>",
        "revision": 1,
        "deleted": False,
        "created_at": "2026-12-01T00:00:00Z",
        "score": {"up": 0, "down": 0},
        "children": list(children),
    }


def test_a_blocked_person_s_comments_are_folded_behind_blocked(client, gateway):
    post = dict(FEED["items"][0]["post"], body_html="<p>x</p>", revision=1, body="x")
    gateway.answers[("GET", "/posts/p1")] = post
    ada = {"id": "u1", "username": "ada", "display_name": "Ada"}
    gateway.answers[("GET", "/posts/p1/comments")] = {
        "items": [comment("c1", BOB, [comment("c2", ada)]), comment("c3", ada)],
        "next_cursor": None,
    }
    assert '<summary class="fold">blocked</summary>' not in client.get("/posts/p1").get_data(as_text=True)
    signed_in(client, gateway)
    # For a signed-in reader the API marks the comments of those they blocked: the page asks nothing more.
    gateway.answers[("GET", "/posts/p1/comments")]["items"][0]["blocked"] = True
    html = client.get("/posts/p1").get_data(as_text=True)
    assert [path for _, path, _, _ in gateway.calls if path in ("/me/blocks", "/posts/p1/pending")] == []
    folded = html.split('id="c-c1"')[1].split('id="c-c2"')[0]
    assert '<details class="blocked">' in folded and '<summary class="fold">blocked</summary>' in folded
    assert "said by bob" in folded  # still there, behind the fold: a details element opens without JavaScript
    assert html.count('<details class="blocked">') == 1 and html.count("<details open>") == 2
