"""A post's discussion: threads of comments, commenting, editing and deleting."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from gateway.auth import current_caller, login_required
from gateway.people import people, people_seen_by, unnamed
from gateway.routes import RETRY_KEY, body, doc, idempotency_key, query, services
from gateway.rpc import ServiceUnavailable
from gateway.schemas import (
    Comment,
    CommentPage,
    CommentRequest,
    CommentsQuery,
    EditCommentRequest,
)

bp = Blueprint("comments", __name__, url_prefix="/api/v1")


def _present_thread(comments: list[dict], committed: bool = False) -> list[dict]:
    """Comments with their authors named and, for a signed-in caller, marked ``blocked`` where they blocked the
    author (one call to identity for both), walked with a stack (never recursing on a thread's shape).

    ``committed``: the comments are a write's answer (the caller's own), so without identity they show their
    authors' ids."""
    nodes, stack = [], list(comments)
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node["children"])
    ids = {node["author_id"] for node in nodes if node["author_id"]}
    blocked: set[str] = set()
    try:
        if committed:
            names = people(services(), ids)
        else:
            caller = current_caller(required=False)
            names, blocked = people_seen_by(services(), ids, caller["id"] if caller else None)
    except ServiceUnavailable:
        if not committed:
            raise
        names = unnamed(ids)
    for node in nodes:
        author_id = node.pop("author_id")
        node["author"] = names[author_id] if author_id else None
        node["blocked"] = author_id in blocked
        node["score"] = {"up": node.pop("up"), "down": node.pop("down")}
    return comments


@bp.get("/posts/<post_id>/comments")
@doc(
    "The discussion: a page of top-level comments, each with its first 5 replies level by level (nested at most"
    " 8 levels) and how many more its thread holds",
    response=CommentPage,
    tag="Discussion",
    query=CommentsQuery,
)
def comments(post_id: str):
    args = query(CommentsQuery)
    page = services().call("content", "list_comments", post_id, args["sort"], args["limit"], args["cursor"])
    return jsonify({"items": _present_thread(page["items"]), "next_cursor": page["next_cursor"]})


@bp.get("/comments/<comment_id>/thread")
@doc(
    "The thread that holds a comment: its top-level comment with every reply, as a page of one",
    response=CommentPage,
    tag="Discussion",
)
def thread(comment_id: str):
    page = services().call("content", "comment_thread", comment_id)
    return jsonify({"items": _present_thread(page["items"]), "next_cursor": None})


@bp.post("/posts/<post_id>/comments")
@login_required
@doc(
    "Comment or reply (members); an Idempotency-Key header makes a retry safe",
    CommentRequest,
    Comment,
    status=201,
    auth=True,
    tag="Discussion",
    errors=(403, 409, 429),
    headers=(RETRY_KEY,),
    description="Spam defences by the author's trust: a new account comments a few times a "
    "minute (429 `rate_limited` with `Retry-After`), more as trust rises. The same comment again by its author "
    "within ten minutes is a 409 `duplicate`.",
)
def comment(post_id: str):
    data = body(CommentRequest)
    created = services().call(
        "content",
        "create_comment",
        g.caller["id"],
        post_id,
        data["body"],
        data["parent_id"],
        idempotency_key=idempotency_key(),
    )
    created["children"] = []
    return jsonify(_present_thread([created], committed=True)[0]), 201


@bp.patch("/comments/<comment_id>")
@login_required
@doc("Edit your comment (history kept)", EditCommentRequest, Comment, auth=True, tag="Discussion", errors=(403,))
def edit_comment(comment_id: str):
    edited = services().call("content", "edit_comment", g.caller["id"], comment_id, body(EditCommentRequest)["body"])
    edited["children"] = []
    return jsonify(_present_thread([edited], committed=True)[0])


@bp.delete("/comments/<comment_id>")
@login_required
@doc("Delete a comment (author or moderator)", status=204, auth=True, tag="Discussion", errors=(403,))
def remove_comment(comment_id: str):
    services().call("content", "remove_comment", g.caller["id"], comment_id)
    return "", 204
