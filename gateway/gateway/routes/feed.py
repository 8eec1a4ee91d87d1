"""Feeds: home, front page, a subwiki's posts, a person's posts. Every item says why it is there."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify

from gateway import presenters
from gateway.auth import current_caller, login_required
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
    return page(services().call("feed", "home_feed", *feed_args, _present=page_body))


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
        return page(services().call("feed", "public_feed", *feed_args, _present=page_body))
    return page(services().call("feed", "public_feed", *feed_args, viewer_id=caller["id"], _present=page_body))


@bp.get("/subwikis/<slug>/posts")
@doc("A subwiki's posts", response=FeedPage, tag="Feed", query=SubwikiFeedQuery)
def subwiki_posts(slug: str):
    """The feed's page of the subwiki's posts; communities is asked whether the subwiki exists (404 if not) only
    when the page is empty: a post in it says it does, and subwikis are never deleted."""
    args = query(SubwikiFeedQuery)
    asked = (slug, args["sort"], args["limit"], args["cursor"])
    body, listed = services().call("feed", "subwiki_feed", *asked, _present=_listing)
    if not listed:
        services().call("communities", "get_subwiki", slug)
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
