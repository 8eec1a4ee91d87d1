"""Search: posts (title, body, link domain), each in its own language (English or French), and comments."""

from __future__ import annotations

from flask import Blueprint, jsonify

from gateway import presenters
from gateway.people import people
from gateway.routes import doc, query, services
from gateway.schemas import SearchPage, SearchQuery

bp = Blueprint("search", __name__, url_prefix="/api/v1")


def _posts(found: list[dict]) -> list[dict]:
    for item in found:  # shown as in the feed: without what only the post's own page shows
        for key in presenters.PAGE_FIELDS:
            item["post"].pop(key, None)
    shown = presenters.listed_posts(services(), [item["post"] for item in found])
    return [
        {"kind": "post", "relevance": round(float(item["score"]), 6), "post": post}
        for item, post in zip(found, shown, strict=True)
    ]


def _comments(found: list[dict]) -> list[dict]:
    names = people(services(), {item["comment"]["author_id"] for item in found})
    shown = []
    for item in found:
        comment, on = item["comment"], item["post"]
        shown.append(
            {
                "kind": "comment",
                "relevance": round(float(item["score"]), 6),
                "comment": {
                    "id": comment["id"],
                    "post_id": comment["post_id"],
                    "parent_id": comment["parent_id"],
                    "author": names[comment["author_id"]],
                    "body_html": comment["body_html"],
                    "created_at": comment["created_at"],
                    "score": {"up": comment["up"], "down": comment["down"]},
                    "post": {"id": on["id"], "title": on["title"], "subwiki": on["subwiki"]},
                },
            }
        )
    return shown


@bp.get("/search")
@doc(
    "Search posts (title, body, the link's domain) or comments. Words match stemmed in each post's language "
    "(English or French: 'swimming' finds 'swim'); relevance is blended with the post's quality in the feed. "
    "Removed posts, deleted comments and erased people's contributions are never found",
    response=SearchPage,
    tag="Search",
    query=SearchQuery,
)
def search():
    args = query(SearchQuery)
    page = services().call(
        "content",
        "search",
        args["q"],
        args["kind"],
        args["sort"],
        args["subwiki"],
        args["limit"],
        args["cursor"],
    )
    found = page["items"]
    items = (_posts(found) if args["kind"] == "post" else _comments(found)) if found else []
    return jsonify({"items": items, "next_cursor": page["next_cursor"]})
