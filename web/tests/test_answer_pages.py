"""A feed's page written again only when what it shows changed (``web.views.answer_page``): the API is asked
every time, with the tag of the answer the page was written from; a 304 and nothing else changed gives the
page written then, anything else a page written anew."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from web import helpers, views
from web.api import NOT_MODIFIED
from web.app import create_app
from web.views import feed as feed_views
from web.views.posts import reading

from .test_views import FEED, FakeGateway, csrf_of

POSTED = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class Clock(datetime):
    """``datetime`` whose ``now`` is ``Clock.at``: the page's ages in words, as the test sets them."""

    at = POSTED + timedelta(minutes=3, seconds=10)

    @classmethod
    def now(cls, tz=None):
        del tz  # datetime.now's signature; the test's moments are in UTC
        return cls.at


@pytest.fixture
def gateway():
    return FakeGateway()


@pytest.fixture
def client(gateway):
    return create_app({"GATEWAY": gateway, "SECRET_KEY": "test", "TESTING": True}).test_client()


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr(helpers, "datetime", Clock)
    monkeypatch.setattr(views, "datetime", Clock, raising=False)
    Clock.at = POSTED + timedelta(minutes=3, seconds=10)
    return Clock


@pytest.fixture
def written(monkeypatch):
    """The templates rendered, by name, as the test goes."""
    names: list[str] = []
    for module in (feed_views, reading):
        monkeypatch.setattr(module, "render_template", counting(module.render_template, names))
    return names


def counting(render, names: list[str]):
    def counted(template, **context):
        names.append(template)
        return render(template, **context)

    return counted


def feed(title: str = "First post") -> dict:
    page = copy.deepcopy(FEED)
    page["items"][0]["post"].update(title=title, created_at=POSTED.isoformat().replace("+00:00", "Z"))
    return page


def reads(gateway) -> list[str | None]:
    """The tags the front page's reads carried (If-None-Match), in order."""
    return [kwargs.get("etag") for method, path, _, kwargs in gateway.calls if path == "/feed/public"]


def test_an_unchanged_answer_gives_the_page_written_from_it_without_writing_it_again(client, gateway, clock, written):
    gateway.answers[("GET", "/feed/public")] = feed()
    first = client.get("/?sort=new")
    second = client.get("/?sort=new")
    assert first.status_code == second.status_code == 200
    assert second.get_data() == first.get_data()
    assert "First post" in second.get_data(as_text=True) and "3 minutes ago" in second.get_data(as_text=True)
    assert written.count("feed/front.html") == 1
    tags = reads(gateway)
    assert tags[0] is None and tags[1] is not None  # the second read asked with the first answer's tag
    _, tag = gateway.read("/feed/public", etag=None)
    assert gateway.read("/feed/public", etag=tag) == (NOT_MODIFIED, tag)


def test_a_changed_answer_is_shown_at_once(client, gateway, clock, written):
    gateway.answers[("GET", "/feed/public")] = feed()
    client.get("/")
    gateway.answers[("GET", "/feed/public")] = feed("Second thoughts")
    page = client.get("/").get_data(as_text=True)
    assert "Second thoughts" in page and "First post" not in page
    assert written.count("feed/front.html") == 2


def test_a_minute_later_the_page_says_so(client, gateway, clock, written):
    gateway.answers[("GET", "/feed/public")] = feed()
    assert "3 minutes ago" in client.get("/").get_data(as_text=True)
    clock.at += timedelta(seconds=30)  # still "3 minutes ago": the page written then
    assert "3 minutes ago" in client.get("/").get_data(as_text=True)
    assert written.count("feed/front.html") == 1
    clock.at += timedelta(seconds=30)
    assert "4 minutes ago" in client.get("/").get_data(as_text=True)
    assert written.count("feed/front.html") == 2


def test_what_else_the_page_shows_is_its_own(client, gateway, clock, written):
    """Another order, language, reader or unread count is another page; a flashed note is shown once."""
    gateway.answers[("GET", "/feed/public")] = feed()
    client.get("/")
    assert 'aria-current="page">new<' in client.get("/?sort=new").get_data(as_text=True)
    french = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "il y a 3 minutes" in french
    assert written.count("feed/front.html") == 3

    gateway.answers[("POST", "/auth/login")] = {"token": "t1", "user": {"username": "ada"}}
    gateway.answers[("GET", "/notifications/unread")] = {"unread": 2}
    token = csrf_of(client.get("/signin").get_data(as_text=True))
    client.post("/signin", data={"login": "ada", "password": "pw", "csrf_token": token})
    signed = client.get("/").get_data(as_text=True)
    assert "data-unread>2</span>" in signed and "/u/ada" in signed
    assert client.get("/").get_data(as_text=True) == signed
    assert written.count("feed/front.html") == 4

    with client.session_transaction() as session:
        session["_flashes"] = [("ok", "Your post is up.")]
    noted = client.get("/").get_data(as_text=True)
    assert "Your post is up." in noted
    assert "Your post is up." not in client.get("/").get_data(as_text=True)


def test_a_post_s_page_is_written_again_when_a_comment_s_age_moves_on_or_when_edits_are_held(
    client, gateway, clock, written
):
    post = dict(feed()["items"][0]["post"], body_html="<p>Hi</p>", revision=1, body="Hi")
    reply = {"id": "c2", "author": None, "body_html": "<p>Later</p>", "deleted": False, "score": {"up": 0, "down": 0}}
    reply["created_at"] = (POSTED + timedelta(minutes=2)).isoformat().replace("+00:00", "Z")
    comment = dict(reply, id="c1", body_html="<p>Soon</p>", created_at=post["created_at"], children=[reply])
    gateway.answers[("GET", "/posts/p1")] = post
    gateway.answers[("GET", "/posts/p1/comments")] = {"items": [comment], "next_cursor": None}
    first = client.get("/posts/p1").get_data(as_text=True)
    assert "<p>Later</p>" in first and "1 minute ago" in first  # the reply, two minutes after the post
    assert client.get("/posts/p1").get_data(as_text=True) == first
    assert written.count("posts/show.html") == 1
    clock.at += timedelta(seconds=50)  # the post and the first comment still "3 minutes ago"; the reply "2"
    assert "2 minutes ago" in client.get("/posts/p1").get_data(as_text=True)
    assert written.count("posts/show.html") == 2

    gateway.answers[("GET", "/posts/p1")] = dict(post, held_edits=1)
    gateway.answers[("GET", "/posts/p1/pending")] = {"items": [], "next_cursor": None}
    client.get("/posts/p1")
    client.get("/posts/p1")
    assert written.count("posts/show.html") == 4


def test_just_after_the_reader_s_own_write_the_api_works_each_page_out(client, gateway, clock, monkeypatch):
    """A write (here a vote) that succeeded makes the pages read in the next ``FRESH_AFTER_WRITE_SECONDS`` ask with
    ``fresh`` (``Cache-Control: no-cache``): the gateway tells a 304 only from the answer worked out, never from a tag
    it holds but has not yet heard the write drop, so the page the vote redirects to shows it."""
    now = [1_000_000.0]
    monkeypatch.setattr(views.time, "time", lambda: now[0])
    post = dict(feed()["items"][0]["post"], body_html="<p>Hi</p>", revision=1, body="Hi", my_vote=0)
    gateway.answers[("GET", "/posts/p1")] = post
    gateway.answers[("GET", "/posts/p1/comments")] = {"items": [], "next_cursor": None}
    gateway.answers[("POST", "/auth/login")] = {"token": "t1", "user": {"username": "ada"}}
    gateway.answers[("GET", "/notifications/unread")] = {"unread": 0}
    gateway.answers[("PUT", "/posts/p1/vote")] = {"up": 1, "down": 0, "my_vote": 1}
    token = csrf_of(client.get("/signin").get_data(as_text=True))
    client.post("/signin", data={"login": "ada", "password": "pw", "csrf_token": token})

    def fresh_reads() -> list[bool]:
        return [kwargs.get("fresh") for _, path, _, kwargs in gateway.calls if path == "/posts/p1" and "etag" in kwargs]

    now[0] += 5
    token = csrf_of(client.get("/posts/p1").get_data(as_text=True))
    client.get("/posts/p1")
    assert fresh_reads() == [False, False]
    voted = client.post("/posts/p1/vote", data={"value": "1", "csrf_token": token})
    assert voted.status_code == 302
    now[0] += 0.5
    client.get("/posts/p1")
    now[0] += 2
    client.get("/posts/p1")
    assert fresh_reads() == [False, False, True, False]
