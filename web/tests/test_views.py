"""The site's pages with the gateway replaced by a fake: security headers, CSRF, sessions,
errors shown as people expect them."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from web.api import NOT_MODIFIED, ApiError, Unavailable
from web.app import CSP, create_app

FEED = {
    "items": [
        {
            "post": {
                "id": "p1",
                "kind": "link",
                "title": "<script>alert(1)</script>",
                "url": "https://www.example.org/x",
                "image_url": None,
                "author": {"id": "u1", "username": "ada", "display_name": "Ada"},
                "subwiki": {"slug": "history", "name": "History"},
                "created_at": "2026-01-01T00:00:00Z",
                "comment_count": 2,
                "score": {"up": 3, "down": 0, "quality": 0.5},
            },
            "rank": {"score": 0.4, "reasons": [{"factor": "substantive_commenters", "value": 2}]},
        }
    ],
    "next_cursor": None,
}


class FakeGateway:
    def __init__(self):
        self.answers: dict[tuple[str, str], object] = {}
        self.calls: list[tuple[str, str, str | None, dict]] = []

    def request(self, method, path, token=None, **kwargs):
        self.calls.append((method, path, token, kwargs))
        answer = self.answers.get((method, path))
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, dict) and "comments" in (kwargs.get("params") or {}):
            # GET /posts/{id}?comments=: the post with the page GET /posts/{id}/comments gives.
            comments = self.answers.get((method, f"{path}/comments"))
            if isinstance(comments, Exception):
                raise comments
            return {**answer, "comments": comments}
        return answer

    def read(self, path, token=None, *, etag=None, **kwargs):
        """A GET and its tag, as the gateway tags its answers: the same answer, the same tag; a 304
        (``NOT_MODIFIED``) when ``etag`` is the answer's tag."""
        answer = self.request("GET", path, token, etag=etag, **kwargs)
        tag = '"' + hashlib.blake2b(json.dumps(answer, sort_keys=True).encode(), digest_size=16).hexdigest() + '"'
        return (NOT_MODIFIED, etag) if etag == tag else (answer, tag)


@pytest.fixture
def gateway():
    fake = FakeGateway()
    fake.answers[("GET", "/feed/public")] = FEED
    return fake


@pytest.fixture
def client(gateway):
    app = create_app({"GATEWAY": gateway, "SECRET_KEY": "test", "TESTING": True})
    return app.test_client()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_front_page_escapes_and_sets_strict_headers(client):
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "2 people discussed it" in html
    assert "(example.org)" in html
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert re.search(r'src="/static/js/site\.[0-9a-f]{12}\.js"', html)
    assert "<title>Front page · Wikisocial</title>" in html


def test_a_page_keeps_the_headers_it_set_and_gets_the_site_s_others():
    app = create_app({"GATEWAY": FakeGateway(), "SECRET_KEY": "test", "TESTING": True})

    @app.get("/own")
    def own():
        return "<p>own</p>", 200, {"Vary": "Origin", "Cache-Control": "private", "X-Frame-Options": "SAMEORIGIN"}

    response = app.test_client().get("/own")
    assert response.headers["Cache-Control"] == "private" and response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert set(response.headers["Vary"].split(", ")) == {"Origin", "Cookie", "Accept-Language"}
    assert response.headers["Content-Security-Policy"] == CSP and response.headers["Referrer-Policy"] == "same-origin"
    plain = app.test_client().get("/healthz")  # JSON: not a page, not by language
    assert plain.headers["X-Frame-Options"] == "DENY" and "Accept-Language" not in plain.headers.get("Vary", "")


def test_assets_are_served_by_hash_and_kept(client):
    html = client.get("/").get_data(as_text=True)
    path = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', html).group(1)
    response = client.get(path)
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]
    assert client.get("/static/css/site.css").status_code == 404


def test_a_form_without_its_csrf_token_is_refused(client, gateway):
    response = client.post("/signin", data={"login": "ada", "password": "x"})
    assert response.status_code == 400
    assert not [c for c in gateway.calls if c[1] == "/auth/login"]


def test_sign_in_keeps_the_token_in_a_signed_http_only_cookie(client, gateway):
    gateway.answers[("POST", "/auth/login")] = {"token": "secret-token", "user": {"username": "ada"}}
    token = csrf_of(client.get("/signin").get_data(as_text=True))
    response = client.post("/signin", data={"login": "ada", "password": "pw", "csrf_token": token, "next": "/u/ada"})
    assert response.status_code == 302 and response.headers["Location"] == "/u/ada"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    gateway.answers[("GET", "/me")] = {"username": "ada", "subwikis": ["history"]}
    assert client.get("/submit").status_code == 200
    # Signed: a cookie changed by hand is not a session.
    client.set_cookie("wikisocial", cookie.split(";")[0].split("=", 1)[1][:-2] + "xx")
    assert client.get("/submit").status_code == 302


def sign_in(client, gateway) -> None:
    gateway.answers[("POST", "/auth/login")] = {"token": "secret-token", "user": {"username": "ada"}}
    token = csrf_of(client.get("/signin").get_data(as_text=True))
    client.post("/signin", data={"login": "ada", "password": "pw", "csrf_token": token})


def test_an_unchanged_session_is_not_signed_again_on_every_page(client, gateway):
    sign_in(client, gateway)
    gateway.answers[("GET", "/notifications/unread")] = {"unread": 0}
    assert "Set-Cookie" in client.get("/").headers  # the page's forms gave the new session its CSRF token
    response = client.get("/")
    assert response.status_code == 200 and "Sign out" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    assert "Cookie" in response.headers["Vary"]


def test_a_session_signed_a_day_ago_is_signed_again_for_thirty_more_days(client, gateway, monkeypatch):
    import itsdangerous.timed

    real = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real() - 25 * 3600)
    sign_in(client, gateway)
    monkeypatch.setattr(itsdangerous.timed.time, "time", real)
    gateway.answers[("GET", "/notifications/unread")] = {"unread": 0}
    response = client.get("/")
    assert "Sign out" in response.get_data(as_text=True)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("wikisocial=") and "Expires=" in cookie and "HttpOnly" in cookie
    # Signed again now: the next page has nothing to refresh.
    assert "Set-Cookie" not in client.get("/").headers


def test_failed_sign_in_keeps_what_was_typed_and_says_why(client, gateway):
    gateway.answers[("POST", "/auth/login")] = ApiError(401, "unauthenticated", "Wrong.")
    token = csrf_of(client.get("/signin").get_data(as_text=True))
    response = client.post("/signin", data={"login": "ada_typed", "password": "pw", "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="ada_typed"' in html
    assert "That name or password is not right." in html
    assert 'value="pw"' not in html


def test_sign_up_field_errors_are_shown_by_their_fields(client, gateway):
    gateway.answers[("POST", "/auth/register")] = ApiError(
        400, "validation_error", "Invalid.", {"password": ["Too common."]}
    )
    token = csrf_of(client.get("/signup").get_data(as_text=True))
    response = client.post(
        "/signup", data={"username": "bob", "email": "b@example.org", "password": "password", "csrf_token": token}
    )
    html = response.get_data(as_text=True)
    assert '<p class="error" id="e-password">Too common.</p>' in html
    assert 'aria-describedby="e-password"' in html
    assert 'value="b@example.org"' in html


def test_rate_limited_says_when(client, gateway):
    gateway.answers[("POST", "/auth/login")] = ApiError(429, "rate_limited", "Slow down.", retry_after=30)
    token = csrf_of(client.get("/signin").get_data(as_text=True))
    response = client.post("/signin", data={"login": "ada", "password": "pw", "csrf_token": token})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"
    assert "Try again in 30 seconds." in response.get_data(as_text=True)


def test_gateway_down_gives_a_friendly_503(client, gateway):
    gateway.answers[("GET", "/feed/public")] = Unavailable()
    response = client.get("/")
    assert response.status_code == 503
    assert "please try again shortly" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_expired_session_sends_to_sign_in_and_back(client, gateway):
    gateway.answers[("POST", "/auth/login")] = {"token": "t", "user": {"username": "ada"}}
    token = csrf_of(client.get("/signin").get_data(as_text=True))
    client.post("/signin", data={"login": "ada", "password": "pw", "csrf_token": token})
    gateway.answers[("GET", "/feed")] = ApiError(401, "unauthenticated", "Expired.")
    response = client.get("/home?sort=new")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin?next=/home?sort%3Dnew")


def test_signed_in_pages_ask_visitors_to_sign_in(client):
    response = client.get("/submit")
    assert response.status_code == 302 and response.headers["Location"].startswith("/signin?next=")


def test_language_from_accept_language_and_switch(client):
    html = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    assert '<html lang="fr">' in html
    token = csrf_of(html)
    client.post("/language", data={"lang": "en", "csrf_token": token, "next": "/"})
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)


def test_a_missing_page_is_a_404_page(client, gateway):
    gateway.answers[("GET", "/posts/nope")] = ApiError(404, "not_found", "No such post.")
    response = client.get("/posts/nope")
    assert response.status_code == 404
    assert "<title>" in response.get_data(as_text=True)


def nested(depth: int) -> list[dict]:
    node = None
    for level in reversed(range(depth)):
        node = {
            "id": f"c{level}",
            "parent_id": f"c{level - 1}" if level else None,
            "author": {"username": "grace", "display_name": "Grace"},
            "body_html": f"<p>level {level}</p>",
            "created_at": "2026-01-01T00:00:00Z",
            "deleted": False,
            "score": {"up": 0, "down": 0},
            "children": [node] if node else [],
        }
    return [node]


def test_a_post_shows_sanitised_html_and_deep_threads_as_links(client, gateway):
    post = dict(FEED["items"][0]["post"], body_html="<p><em>fine</em></p>", revision=1, body="*fine*")
    gateway.answers[("GET", "/posts/p1")] = post
    gateway.answers[("GET", "/posts/p1/comments")] = {"items": nested(9), "next_cursor": None}
    html = client.get("/posts/p1").get_data(as_text=True)
    assert "<p><em>fine</em></p>" in html  # the API's sanitised HTML, as is
    assert "&lt;script&gt;" in html and "<script>alert" not in html  # the title, escaped
    assert '<meta property="og:title"' in html
    assert "level 5" in html and "level 6" not in html
    assert 'href="/posts/p1/thread/c5"' in html
    gateway.answers[("GET", "/comments/c5/thread")] = {"items": nested(9), "next_cursor": None}
    deeper = client.get("/posts/p1/thread/c5").get_data(as_text=True)
    assert "level 6" in deeper and "level 4" not in deeper


def test_a_post_s_discussion_is_spliced_into_its_page_in_place_and_encoded_once(client, gateway):
    """The discussion goes into the page as a placeholder drawn for the request and is put in the response's
    bytes at the end (fragments.splice): once, where the template shows it, with text of any script."""
    post = dict(FEED["items"][0]["post"], body_html="<p>Hi</p>", revision=1, body="Hi")
    gateway.answers[("GET", "/posts/p1")] = post
    comments = nested(3)
    comments[0]["body_html"] = "<p>l’été 😀 <!--fragment 0123--></p>"
    gateway.answers[("GET", "/posts/p1/comments")] = {"items": comments, "next_cursor": None}
    response = client.get("/posts/p1")
    html = response.data.decode("utf-8")
    assert int(response.headers["Content-Length"]) == len(response.data)
    assert html.count("l’été 😀") == 1 and html.count('<ol class="comments">') == 3
    assert html.index('id="comments-h"') < html.index('<li id="c-c0">') < html.index("</section>")
    assert re.findall(r"<!--fragment [^>]*-->", html) == ["<!--fragment 0123-->"]  # only the comment's own text
    again = client.get("/posts/p1").data.decode("utf-8")
    assert again == html


def test_a_thread_with_replies_beyond_the_page_links_to_the_whole_thread(client, gateway):
    gateway.answers[("GET", "/posts/p1")] = dict(FEED["items"][0]["post"], body_html="<p>Hi</p>", revision=1, body="Hi")
    (top,) = nested(2)
    gateway.answers[("GET", "/posts/p1/comments")] = {"items": [{**top, "more_replies": 7}], "next_cursor": None}
    html = client.get("/posts/p1").get_data(as_text=True)
    assert "level 1" in html
    assert 'href="/posts/p1/thread/c0">Continue this thread (+7)' in html


def test_a_subwikis_members_and_a_persons_subwikis(client, gateway):
    subwiki = {"slug": "rivers", "name": "Rivers", "summary": "", "member_count": 2, "moderators": []}
    gateway.answers[("GET", "/subwikis/rivers")] = subwiki
    gateway.answers[("GET", "/subwikis/rivers/members")] = {
        "items": [
            {
                "person": {"username": "ada", "display_name": "Ada"},
                "is_moderator": True,
                "joined_at": "2026-01-02T00:00:00Z",
            },
            {
                "person": {"username": "bob", "display_name": "Bob"},
                "is_moderator": False,
                "joined_at": "2026-01-01T00:00:00Z",
            },
        ],
        "next_cursor": "more",
    }
    html = client.get("/s/rivers/members").get_data(as_text=True)
    assert 'href="/u/ada"' in html and 'href="/u/bob"' in html and html.count('class="badge"') == 1
    assert "cursor=more" in html

    gateway.answers[("GET", "/users/ada")] = {
        "username": "ada",
        "display_name": "Ada",
        "created_at": "2026-01-01T00:00:00Z",
    }
    gateway.answers[("GET", "/users/ada/posts")] = {"items": [], "next_cursor": None}
    gateway.answers[("GET", "/users/ada/support")] = {"supporter_count": 0}
    gateway.answers[("GET", "/users/ada/subwikis")] = {"items": [dict(subwiki, is_moderator=True)], "next_cursor": None}
    profile = client.get("/u/ada").get_data(as_text=True)
    assert 'href="/s/rivers"' in profile and "Rivers" in profile


def test_the_moderation_queue_lists_the_subwikis_held_edits(client, gateway):
    gateway.answers[("POST", "/auth/login")] = {"token": "t", "user": {"username": "ada"}}
    gateway.answers[("GET", "/me")] = {"username": "ada", "display_name": "Ada", "subwikis": [], "following": []}
    client.post(
        "/signin",
        data={"login": "ada", "password": "pw", "csrf_token": csrf_of(client.get("/signin").get_data(as_text=True))},
    )
    gateway.answers[("GET", "/subwikis/rivers")] = {"slug": "rivers", "name": "Rivers", "moderators": []}
    gateway.answers[("GET", "/subwikis/rivers/reports")] = {"items": [], "next_cursor": None}
    gateway.answers[("GET", "/subwikis/rivers/pending")] = {
        "items": [
            {
                "change_id": "ch1",
                "post": {"id": "p9", "title": "Deltas"},
                "editor": {"username": "bob", "display_name": "Bob"},
                "edit_summary": "typo",
                "changes": [],
            }
        ],
        "next_cursor": "later",
    }
    response = client.get("/s/rivers/moderation")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'href="/posts/p9"' in html and "Deltas" in html and "ch1" in html and "cursor=later" in html


def test_a_long_discussion_continues_on_the_next_page(client, gateway):
    post = dict(FEED["items"][0]["post"], body_html="<p>x</p>", revision=1, body="x")
    gateway.answers[("GET", "/posts/p1")] = post
    gateway.answers[("GET", "/posts/p1/comments")] = {"items": nested(1), "next_cursor": "page2"}
    html = client.get("/posts/p1").get_data(as_text=True)
    assert "data-more-comments" in html and "cursor=page2" in html
    client.get("/posts/p1?sort=new&cursor=page2")
    asked = [kwargs for method, path, _, kwargs in gateway.calls if path == "/posts/p1"]
    assert asked[-1]["params"] == {"comments": "new", "comments_cursor": "page2"}
    assert not [call for call in gateway.calls if call[1] == "/posts/p1/comments"]  # one request a page


def test_live_preview_renders_through_the_api(client, gateway):
    gateway.answers[("POST", "/auth/login")] = {"token": "t", "user": {"username": "ada"}}
    gateway.answers[("GET", "/me")] = {"username": "ada", "display_name": "Ada", "subwikis": [], "following": []}
    token = csrf_of(client.get("/signin").get_data(as_text=True))
    client.post("/signin", data={"login": "ada", "password": "pw", "csrf_token": token})
    gateway.answers[("GET", "/feed")] = {"items": [], "next_cursor": None}
    assert 'data-preview-url="/preview"' in client.get("/").get_data(as_text=True)
    gateway.answers[("POST", "/preview")] = {"body_html": "<p><strong>bold</strong></p>"}
    with client.session_transaction() as session:
        token = session["csrf"]
    answer = client.post("/preview", data={"body": "**bold**"}, headers={"X-CSRF-Token": token})
    assert answer.status_code == 200 and answer.get_json() == {"body_html": "<p><strong>bold</strong></p>"}
    assert [kwargs["json"] for method, path, _, kwargs in gateway.calls if path == "/preview"] == [{"body": "**bold**"}]
    assert client.post("/preview", data={"body": "x"}).status_code == 400  # no CSRF token


def signed_in(client, gateway):
    gateway.answers[("POST", "/auth/login")] = {"token": "secret-token", "user": {"username": "ada"}}
    token = csrf_of(client.get("/signin").get_data(as_text=True))
    client.post("/signin", data={"login": "ada", "password": "pw", "csrf_token": token})
    gateway.answers[("GET", "/me")] = {"username": "ada", "subwikis": []}


def test_an_unpaid_donation_can_be_resumed_from_my_donations(client, gateway):
    signed_in(client, gateway)
    gift = {"amount_cents": 1000, "currency": "EUR", "recipient": "platform", "created_at": "2026-01-01T00:00:00Z"}
    gateway.answers[("GET", "/me/donations")] = {
        "donations": [
            dict(
                gift, donation_id="d1", status="pending", checkout_url="http://gw:8000/donations/checkout/d1?token=t1"
            ),
            dict(gift, donation_id="d2", status="paid", checkout_url=None),
        ],
        "pledges": [],
    }
    html = client.get("/donate/mine").get_data(as_text=True)
    # The offline provider's checkout, under the site's own address; nothing to resume once paid.
    assert html.count("Resume payment") == 1
    assert 'href="/donations/checkout/d1?token=t1"' in html


def test_held_edits_and_a_revision_show_their_changes_from_the_api(client, gateway):
    signed_in(client, gateway)
    post = dict(FEED["items"][0]["post"], body_html="<p>x</p>", revision=2, body="x", can_moderate=True, my_vote=0)
    post["held_edits"] = 0
    gateway.answers[("GET", "/posts/p1")] = post
    gateway.answers[("GET", "/posts/p1/comments")] = {"items": [], "next_cursor": None}
    client.get("/posts/p1")
    # Held edits are asked for only when the post says some are held.
    assert [path for _, path, _, _ in gateway.calls if path.endswith("/pending")] == []
    post["held_edits"] = 1
    change = {"field": "title", "diff": "--- title (before)\n+++ title (after)\n@@ -1 +1 @@\n-Old title\n+New title"}
    gateway.answers[("GET", "/posts/p1")] = post
    gateway.answers[("GET", "/posts/p1/comments")] = {"items": [], "next_cursor": None}
    gateway.answers[("GET", "/posts/p1/pending")] = {
        "items": [
            {
                "change_id": "c1",
                "editor": None,
                "edit_summary": "",
                "created_at": "2026-01-01T00:00:00Z",
                "base_revision": 1,
                "changes": [change],
            }
        ],
        "next_cursor": None,
    }
    html = client.get("/posts/p1").get_data(as_text=True)
    assert "New title" in html and "a deleted member" in html
    gateway.answers[("GET", "/posts/p1/revisions")] = {"items": [], "next_cursor": None}
    gateway.answers[("GET", "/posts/p1/revisions/2")] = {
        "revision": 2,
        "editor": None,
        "edit_summary": "",
        "reverted": False,
        "reverted_to": None,
        "created_at": "2026-01-01T00:00:00Z",
        "changes": [change],
    }
    assert "New title" in client.get("/posts/p1/history?diff=2").get_data(as_text=True)


# -- search ---

COMMENTS = {
    "items": [
        {
            "kind": "comment",
            "relevance": 0.3,
            "comment": {
                "id": "c1",
                "post_id": "p1",
                "parent_id": None,
                "author": {"id": "u2", "username": "bea", "display_name": "Bea"},
                "body_html": "<p>Herons at dawn</p>",
                "created_at": "2026-01-01T00:00:00Z",
                "score": {"up": 1, "down": 0},
                "post": {"id": "p1", "title": "Rivers", "subwiki": "history"},
            },
        }
    ],
    "next_cursor": None,
}


def test_header_has_a_search_box_and_results_show_posts_and_comments(client, gateway):
    assert 'action="/search"' in client.get("/").get_data(as_text=True)
    gateway.answers[("GET", "/search")] = {
        "items": [{"kind": "post", "relevance": 0.5, "post": FEED["items"][0]["post"]}],
        "next_cursor": "abc",
    }
    html = client.get("/search?q=salmon&sort=new").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "cursor=abc" in html
    assert gateway.calls[-1][3]["params"] == {"q": "salmon", "kind": "post", "sort": "new", "limit": 25}
    gateway.answers[("GET", "/search")] = COMMENTS
    html = client.get("/search?q=herons&kind=comment", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "<p>Herons at dawn</p>" in html and "Commentaire de Bea" in html and "Recherche" in html


def test_an_empty_or_refused_search_asks_again(client, gateway):
    calls = len(gateway.calls)
    response = client.get("/search")
    assert response.status_code == 200 and len(gateway.calls) == calls
    gateway.answers[("GET", "/search")] = ApiError(400, "invalid", "Some fields are not valid.")
    html = client.get("/search?q=x").get_data(as_text=True)
    assert "That search cannot be made" in html


def test_a_held_first_post_says_it_waits_for_a_moderator(client, gateway):
    gateway.answers[("POST", "/auth/login")] = {"token": "t", "user": {"username": "ada"}}
    token = csrf_of(client.get("/signin").get_data(as_text=True))
    client.post("/signin", data={"login": "ada", "password": "pw", "csrf_token": token})
    gateway.answers[("GET", "/me")] = {"username": "ada", "subwikis": ["history"]}
    gateway.answers[("POST", "/subwikis/history/posts")] = {
        "pending": True,
        "held_post": {"id": "h1", "title": "Hello", "subwiki": "history"},
    }
    token = csrf_of(client.get("/submit").get_data(as_text=True))
    form = {"csrf_token": token, "subwiki": "history", "kind": "text", "title": "Hello", "body": "Hi"}
    response = client.post("/submit", data=form)
    assert response.status_code == 302 and response.headers["Location"] == "/s/history/first-posts"
    assert "waits for a moderator" in client.get("/").get_data(as_text=True)  # the note, on the next page


def offered_subwikis(html: str) -> list[str]:
    select = re.search(r'<select id="f-subwiki".*?</select>', html, re.S)
    return re.findall(r'<option value="([^"]*)"', select.group(0)) if select else []


def test_a_subwiki_just_created_is_offered_before_the_profile_lists_it(client, gateway):
    # The profile's list is kept from communities' events and may lag a moment behind: the subwiki the
    # form was opened for is asked of communities (its page says whether the reader is a member).
    gateway.answers[("POST", "/auth/login")] = {"token": "t", "user": {"username": "ada"}}
    token = csrf_of(client.get("/signin").get_data(as_text=True))
    client.post("/signin", data={"login": "ada", "password": "pw", "csrf_token": token})
    gateway.answers[("GET", "/me")] = {"username": "ada", "subwikis": ["history"]}
    gateway.answers[("GET", "/subwikis/engines")] = {"slug": "engines", "is_member": True}
    gateway.answers[("GET", "/subwikis/looms")] = {"slug": "looms", "is_member": False}
    gateway.answers[("GET", "/subwikis/a/b?c")] = ApiError(404, "not_found", "No such subwiki.")
    html = client.get("/submit?subwiki=engines").get_data(as_text=True)
    assert '<option value="engines" selected>' in html and offered_subwikis(html) == ["history", "engines"]
    assert offered_subwikis(client.get("/submit?subwiki=looms").get_data(as_text=True)) == ["history"]
    assert offered_subwikis(client.get("/submit?subwiki=a/b?c").get_data(as_text=True)) == ["history"]
    gateway.answers[("GET", "/me")] = {"username": "ada", "subwikis": []}
    html = client.get("/submit?subwiki=engines").get_data(as_text=True)
    assert offered_subwikis(html) == ["engines"] and "Join a subwiki first" not in html
    gateway.answers[("POST", "/subwikis/engines/posts")] = {"id": "p8"}
    token = csrf_of(html)
    form = {"csrf_token": token, "subwiki": "engines", "kind": "text", "title": "Gears", "body": "Cogs"}
    assert client.post("/submit", data=form).headers["Location"] == "/posts/p8"


def test_a_post_is_written_in_the_sites_chosen_language(client, gateway):
    gateway.answers[("POST", "/auth/login")] = {"token": "t", "user": {"username": "ada"}}
    token = csrf_of(client.get("/signin").get_data(as_text=True))
    client.post("/signin", data={"login": "ada", "password": "pw", "csrf_token": token})
    gateway.answers[("GET", "/me")] = {"username": "ada", "subwikis": ["history"]}
    gateway.answers[("POST", "/subwikis/history/posts")] = {"id": "p9"}
    token = csrf_of(client.get("/submit").get_data(as_text=True))
    assert client.post("/language", data={"lang": "fr", "csrf_token": token}).status_code == 302
    form = {"csrf_token": token, "subwiki": "history", "kind": "text", "title": "Bonjour", "body": "Salut"}
    assert client.post("/submit", data=form, headers={"Accept-Language": "en"}).status_code == 302
    sent = [kwargs["json"] for method, path, _, kwargs in gateway.calls if path == "/subwikis/history/posts"]
    assert sent[-1]["language"] == "fr"


def test_a_moderator_removes_a_post_as_spam_from_its_page(client, gateway):
    gateway.answers[("POST", "/auth/login")] = {"token": "t", "user": {"username": "ada"}}
    gateway.answers[("GET", "/me")] = {"username": "ada", "display_name": "Ada", "subwikis": [], "following": []}
    token = csrf_of(client.get("/signin").get_data(as_text=True))
    client.post("/signin", data={"login": "ada", "password": "pw", "csrf_token": token})
    grace = {"id": "u2", "username": "grace", "display_name": "Grace"}
    post = dict(FEED["items"][0]["post"], body_html="<p>x</p>", revision=1, body="x", can_moderate=True, author=grace)
    gateway.answers[("GET", "/posts/p1")] = post
    gateway.answers[("GET", "/posts/p1/comments")] = {"items": [], "next_cursor": None}
    gateway.answers[("GET", "/posts/p1/pending")] = {"items": []}
    html = client.get("/posts/p1").get_data(as_text=True)
    assert 'action="/posts/p1/spam"' in html and "Remove as spam" in html
    gateway.answers[("POST", "/posts/p1/spam")] = {"post_id": "p1", "author_id": "u1", "removed_post_ids": ["p1"]}
    response = client.post("/posts/p1/spam", data={"csrf_token": csrf_of(html)})
    assert response.status_code == 302
    assert ("POST", "/posts/p1/spam") in [(method, path) for method, path, _, _ in gateway.calls]
    gateway.answers[("GET", "/posts/p1")] = dict(post, author={"id": "u0", "username": "ada", "display_name": "Ada"})
    assert "Remove as spam" not in client.get("/posts/p1").get_data(as_text=True)  # not one's own post


def test_templates_read_a_dicts_keys_and_still_its_methods():
    env = create_app({"GATEWAY": FakeGateway(), "SECRET_KEY": "test"}).jinja_env
    page = env.from_string("{{ d.title }}|{{ d.items is callable }}|{{ d['items'] }}|{{ d.missing is undefined }}")
    assert page.render(d={"title": "<T>", "items": [1]}) == "&lt;T&gt;|True|[1]|True"


def test_the_header_and_footer_are_written_once_for_a_reader_and_anew_when_what_they_show_changes(
    client, gateway, monkeypatch
):
    """Every page repeats its header (links, the reader's name and unread count, a form's token) and its footer
    (the language switch, which comes back to the page): each is written once for what it shows and taken
    again, and written anew when the count, the reader's name, the language or the page it comes back to changes."""
    from web import fragments

    fragments.FRAMES.pieces.clear()
    written = []
    render = fragments.render_template
    monkeypatch.setattr(fragments, "render_template", lambda name, **kw: written.append(name) or render(name, **kw))
    with client.session_transaction() as session:
        session["token"], session["me"] = "tok", {"id": "u1", "username": "ada", "display_name": "<Ada>"}
    gateway.answers[("GET", "/notifications/unread")] = {"unread": 4}
    first = client.get("/").get_data(as_text=True)
    assert 'class="badge" data-unread>4</span>' in first and '<a href="/u/ada">&lt;Ada&gt;</a>' in first
    assert client.get("/").get_data(as_text=True) == first
    assert written == ["components/header.html", "components/footer.html"]  # the second page took both

    with client.session_transaction() as session:
        session.pop("unread", None)  # the count held in the session is asked again: it changed
    gateway.answers[("GET", "/notifications/unread")] = {"unread": 150}
    html = client.get("/").get_data(as_text=True)
    assert "data-unread>99+</span>" in html and written[2:] == ["components/header.html"]

    other = client.get("/?sort=new").get_data(as_text=True)  # another page: the footer's form comes back to it
    assert 'name="next" value="/?sort=new"' in other and written[3:] == ["components/footer.html"]

    with client.session_transaction() as session:
        session["me"] = {"id": "u1", "username": "ada", "display_name": "Ada L."}
        session["lang"] = "fr"
    french = client.get("/").get_data(as_text=True)
    assert '<a href="/u/ada">Ada L.</a>' in french and ">Réglages</a>" in french
    assert written[4:] == ["components/header.html", "components/footer.html"]

    client.post("/signout", data={"csrf_token": csrf_of(french)})
    visitor = client.get("/?window=all").get_data(as_text=True)  # a visitor's "Sign in" brings them back here
    assert "/signin?next=/?window%3Dall" in visitor and "data-unread" not in visitor
