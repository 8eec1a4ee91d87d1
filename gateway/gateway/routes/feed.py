"""Feeds: home, front page, a subwiki's posts, a person's posts. Every item says why it is there."""

from __future__ import annotations

import time

from flask import Blueprint, Response, g, jsonify

from gateway import conditional, presenters
from gateway.auth import current_caller, login_required
from gateway.errors import ApiError
from gateway.presenters import summaries_of
from gateway.routes import doc, query, services
from gateway.schemas import FeedPage, HomeFeedQuery, PageQuery, PublicFeedQuery, SubwikiFeedQuery

bp = Blueprint("feed", __name__, url_prefix="/api/v1")


def page_body(entries: dict) -> bytes:
    """A page of the feed's entries, each presented as the post it is and the reasons for its place,
    as the response's JSON body. Asked for with ``_present``: made once per page the feed answers
    the same (its kept pages), not on every request (``gateway.rpc.Presented``)."""
    return jsonify(presenters.feed_page(entries)).get_data()


def page(body: bytes) -> Response:
    return Response(body, mimetype="application/json")


def tagged_page(key: tuple, method: str, *args, viewer: str | None = None, **kwargs) -> Response:
    """The feed's page ``method(*args, **kwargs)``, asked for with its tags (``feed.kept``): held whole by this
    process as answered under ``key`` (``gateway.pagetags``), so that while no change touched it the page is
    answered without the feed being asked, a ``304`` to a client naming its tag. A client that has just written
    (``Cache-Control: no-cache``) has it asked for, and still gets a ``304`` if it is the same.

    With ``viewer`` (the front page of a signed-in reader), a reader who mutes and blocks nobody, as the feed
    tells, sees every reader's page: it is held under ``key`` without the reader (``shared_key``), and that the
    reader mutes nobody under ``("shares", viewer)``, dropped by what decides it (the reader's own tag)."""
    kept = services().feed_pages
    held = _held(kept, key, viewer)
    if held is not None:
        body, tag = held
        if conditional.sent_tag(tag):
            kept.count("answered", key)
            return conditional.not_modified(tag)
        if not conditional.asked_afresh():
            kept.count("answered", key)
            return conditional.tagged(page(body), tag)
    if kept is not None:
        kept.count("asked", key)
    asked = time.monotonic()
    answer = services().call("feed", method, *args, **kwargs, tags=True, _present=tagged_body, _part="page")
    body, tag = answer["page"]
    if kept is not None:
        # age: its read began then, holding what was committed before; snapshot: the commits it saw (PostgreSQL)
        tags, age, snapshot = answer["tags"], answer.get("age"), answer.get("snapshot")
        shared = answer.get("shared") if viewer is not None else None
        if shared is not None:
            kept.keep(("shares", viewer), True, shared, asked)
            key, tags = shared_key(key), None if tags is None else [t for t in tags if t not in shared]
        kept.keep(
            key, (body, tag), tags, asked, size=len(body), age=None if age is None else float(age), snapshot=snapshot
        )
    return conditional.tagged(page(body), tag)


def shared_key(key: tuple) -> tuple:
    """A signed-in reader's front page's key (``viewer`` last) as every reader's: the visitor's."""
    return (*key[:-1], None)


def _held(kept, key: tuple, viewer: str | None) -> tuple[bytes, str] | None:
    """The page (its body and tag) this process holds for ``key``, or for ``viewer`` every reader's page while
    they mute nobody; None when it holds neither (ask the feed)."""
    if kept is None:
        return None
    held = kept.held(key)
    if held is None and viewer is not None and kept.held(("shares", viewer)):
        held = kept.held(shared_key(key))
    return held


def tagged_body(entries: dict) -> tuple[bytes, str]:
    """``page_body`` and its tag (``ETag``), made once per page the feed answers the same."""
    body = page_body(entries)
    return body, conditional.etag_of(body)


@bp.get("/feed")
@login_required
@doc(
    "Home: posts from your subwikis and the people you follow",
    response=FeedPage,
    auth=True,
    tag="Feed",
    query=HomeFeedQuery,
)
def home():
    args = query(HomeFeedQuery)
    feed_args = (g.caller["id"], args["sort"], args["limit"], args["cursor"])
    return tagged_page(("home_feed", *feed_args), "home_feed", *feed_args)


@bp.get("/feed/public")
@doc(
    "The front page across all subwikis; signed in, without the people and subwikis you muted",
    response=FeedPage,
    tag="Feed",
    query=PublicFeedQuery,
    optional_auth=True,
)
def public():
    args = query(PublicFeedQuery)
    caller = current_caller(required=False)
    feed_args = (args["sort"], args["window"], args["limit"], args["cursor"])
    if caller is None:
        return tagged_page(("public_feed", *feed_args, None), "public_feed", *feed_args)
    viewer = caller["id"]
    return tagged_page(("public_feed", *feed_args, viewer), "public_feed", *feed_args, viewer=viewer, viewer_id=viewer)


@bp.get("/subwikis/<slug>/posts")
@doc("A subwiki's posts", response=FeedPage, tag="Feed", query=SubwikiFeedQuery)
def subwiki_posts(slug: str):
    """The feed's page of the subwiki's posts; whether the subwiki exists (404 if not) is asked only when the page
    is empty (a post in it says it does, and subwikis are never deleted), of communities' summaries this process
    holds (``gateway.summaries``) or, when it holds none for it, of communities, whose answer it keeps: most
    subwikis' pages are empty, and each asked communities until now."""
    args = query(SubwikiFeedQuery)
    asked = (slug, args["sort"], args["limit"], args["cursor"])
    body, listed = services().call("feed", "subwiki_feed", *asked, _present=_listing)
    if not listed and slug.lower() not in summaries_of(services(), [slug]):
        raise ApiError(404, "not_found", "No such subwiki.")
    return page(body)


def _listing(entries: dict) -> tuple[bytes, bool]:
    """``page_body``, and whether the page lists any post (kept like it, by the feed's answer)."""
    return page_body(entries), bool(entries["items"])


@bp.get("/users/<username>/posts")
@doc("A person's posts, newest first", response=FeedPage, tag="Feed", query=PageQuery)
def user_posts(username: str):
    args = query(PageQuery)
    user = services().call("identity", "get_user", username)
    return page(services().call("feed", "user_posts", user["id"], args["limit"], args["cursor"], _present=page_body))
