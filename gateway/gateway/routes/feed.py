"""Feeds: home, front page, a subwiki's posts, a person's posts. Every item says why it is there."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify
from marshmallow import EXCLUDE, Schema, fields, validate

from gateway.auth import login_required
from gateway.routes import doc, query

bp = Blueprint("feed", __name__, url_prefix="/api/v1")


class FeedQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    sort = fields.String(load_default="quality", validate=validate.OneOf(["quality", "new", "top"]))
    window = fields.String(load_default="week", validate=validate.OneOf(["day", "week", "all"]))
    limit = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))
    cursor = fields.String(load_default=None, validate=validate.Length(max=4000))


def services():
    return current_app.extensions["services"]


def present(page: dict) -> dict:
    """Feed items as the feed service keeps them: no other service is asked for a page."""
    return {
        "items": [{"post": entry["post"], "rank": entry["rank"]} for entry in page["items"]],
        "next_cursor": page["next_cursor"],
    }


@bp.get("/feed")
@login_required
@doc("Home: posts from your subwikis and the people you follow", auth=True)
def home():
    args = query(FeedQuery)
    page = services().call("feed", "home_feed", g.caller["id"], args["sort"], args["limit"], args["cursor"])
    return jsonify(present(page))


@bp.get("/feed/public")
@doc("The front page across all subwikis")
def public():
    args = query(FeedQuery)
    return jsonify(
        present(services().call("feed", "public_feed", args["sort"], args["window"], args["limit"], args["cursor"]))
    )


@bp.get("/subwikis/<slug>/posts")
@doc("A subwiki's posts")
def subwiki_posts(slug: str):
    args = query(FeedQuery)
    known = services().start("communities", "get_subwiki", slug)
    page = services().start("feed", "subwiki_feed", slug, args["sort"], args["limit"], args["cursor"])
    _, page = services().gather(known, page)
    return jsonify(present(page))


@bp.get("/users/<username>/posts")
@doc("A person's posts, newest first")
def user_posts(username: str):
    args = query(FeedQuery)
    user = services().call("identity", "get_user", username)
    return jsonify(present(services().call("feed", "user_posts", user["id"], args["limit"], args["cursor"])))
