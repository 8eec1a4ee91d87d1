"""Posts, their wiki history, comments, votes, reports and uploaded pictures."""

from __future__ import annotations

import base64
import mimetypes

from flask import Blueprint, Response, current_app, g, jsonify, request

from gateway import presenters
from gateway.auth import current_caller, login_required
from gateway.errors import ApiError
from gateway.people import people, unnamed, with_people
from gateway.routes import IDEMPOTENCY_KEY, body, doc, history, query
from gateway.rpc import ServiceUnavailable
from gateway.schemas import (
    Comment,
    CommentPage,
    CommentRequest,
    CommentsQuery,
    CreatePostRequest,
    EditCommentRequest,
    EditPostRequest,
    HeldEdit,
    PageQuery,
    PendingPage,
    PostRevisionChanges,
    PostRevisionPage,
    PostView,
    ReportFiled,
    ReportPage,
    ReportRequest,
    ReportResolved,
    ResolveRequest,
    RevisionsQuery,
    Upload,
    VoteRequest,
    VoteTally,
)
from svclib.storage import default_storage

bp = Blueprint("posts", __name__, url_prefix="/api/v1")

UPLOAD_LIMIT = 8 * 1024 * 1024 + 64 * 1024
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary", "description": "the picture"}},
            }
        }
    },
}
REVISIONS_OR_CHANGES = {"oneOf": [PostRevisionPage, PostRevisionChanges]}
RETRY_KEY = {
    **IDEMPOTENCY_KEY,
    "required": False,
    "description": "Optional: the same key from the same caller with the same body makes one resource, "
    "so a retry after a lost answer is safe; with another body it is a 409.",
}


def services():
    return current_app.extensions["services"]


def present(post: dict, committed: bool = False) -> dict:
    return presenters.posts(services(), [post], committed)[0]


def idempotency_key() -> str | None:
    """The request's Idempotency-Key: the same key from the same caller with the same body makes one resource."""
    return request.headers.get("Idempotency-Key")


def viewer_id() -> str | None:
    caller = current_caller(required=False)
    return caller["id"] if caller else None


@bp.post("/subwikis/<slug>/posts")
@login_required
@doc(
    "Post to a subwiki (members); an Idempotency-Key header makes a retry safe",
    CreatePostRequest,
    PostView,
    201,
    auth=True,
    tag="Posts",
    errors=(403, 409),
    headers=(RETRY_KEY,),
)
def create_post(slug: str):
    data = body(CreatePostRequest)
    created = services().call("content", "create_post", g.caller["id"], slug, **data, idempotency_key=idempotency_key())
    return jsonify(present(created, committed=True)), 201


@bp.post("/uploads")
@login_required
@doc(
    "Upload a picture (PNG, JPEG, GIF or WebP, at most 8 MiB); it is re-encoded without metadata; "
    "the same picture again is the same upload",
    response=Upload,
    status=201,
    auth=True,
    tag="Posts",
    body=UPLOAD_BODY,
    headers=(RETRY_KEY,),
    errors=(409,),
)
def upload():
    request.max_content_length = UPLOAD_LIMIT
    file = request.files.get("file")
    if file is None:
        raise ApiError(400, "validation_error", "Send the picture as multipart field 'file'.", {"file": ["Missing."]})
    data = file.read()
    saved = services().call(
        "content",
        "save_upload",
        g.caller["id"],
        base64.b64encode(data).decode(),
        idempotency_key=idempotency_key(),
        _timeout=15.0,
    )
    return jsonify(
        {
            "image_id": saved["image_id"],
            "url": presenters.upload_url(saved["filename"]),
            "width": saved["width"],
            "height": saved["height"],
        }
    ), 201


@bp.get("/uploads/<name>")
@doc("An uploaded picture", tag="Posts", media=("image/png", "image/jpeg", "image/gif", "image/webp"), local=True)
def uploaded(name: str):
    data = default_storage().open(name)
    if data is None:
        raise ApiError(404, "not_found", "No such picture.")
    # Content chose the name, extension included, when it stored the picture.
    response = Response(data, content_type=mimetypes.guess_type(name)[0] or "application/octet-stream")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/posts/<post_id>")
@doc("A post", response=PostView, tag="Posts", optional_auth=True)
def get_post(post_id: str):
    return jsonify(present(services().call("content", "get_post", post_id, viewer_id())))


@bp.patch("/posts/<post_id>")
@login_required
@doc(
    "Wiki edit (members): 200 applied, 202 held for review, 409 on a stale base",
    EditPostRequest,
    PostView,
    auth=True,
    tag="Posts",
    also={202: HeldEdit},
    errors=(403, 409),
)
def edit_post(post_id: str):
    data = body(EditPostRequest)
    result = services().call("content", "edit_post", g.caller["id"], post_id, **data)
    if result.get("pending"):
        return jsonify({"pending": True, "change_id": result["change_id"]}), 202
    return jsonify(present(result["post"]))


@bp.delete("/posts/<post_id>")
@login_required
@doc("Remove a post (author or moderator)", status=204, auth=True, tag="Moderation", errors=(403,))
def remove_post(post_id: str):
    services().call("content", "remove_post", g.caller["id"], post_id)
    return "", 204


@bp.get("/posts/<post_id>/pending")
@login_required
@doc("Edits held for review (members)", response=PendingPage, auth=True, tag="Posts", errors=(403,))
def pending(post_id: str):
    changes = services().call("content", "list_pending", g.caller["id"], post_id)
    return jsonify({"items": with_people(services(), changes, "editor_id", "editor"), "next_cursor": None})


@bp.post("/posts/<post_id>/pending/<change_id>/accept")
@login_required
@doc(
    "Accept a held edit (trusted members, moderators)",
    response=PostView,
    auth=True,
    tag="Posts",
    errors=(403, 409),
)
def accept(post_id: str, change_id: str):
    return jsonify(present(services().call("content", "accept_pending", g.caller["id"], post_id, change_id)))


@bp.post("/posts/<post_id>/pending/<change_id>/reject")
@login_required
@doc("Reject a held edit (trusted members, moderators)", status=204, auth=True, tag="Posts", errors=(403,))
def reject(post_id: str, change_id: str):
    services().call("content", "reject_pending", g.caller["id"], post_id, change_id)
    return "", 204


@bp.put("/posts/<post_id>/protection")
@login_required
@doc(
    "Protect a post: only its author and moderators edit it (moderators)",
    status=204,
    auth=True,
    tag="Moderation",
    errors=(403,),
)
def protect(post_id: str):
    services().call("content", "set_protection", g.caller["id"], post_id, True)
    return "", 204


@bp.delete("/posts/<post_id>/protection")
@login_required
@doc("Lift protection (moderators)", status=204, auth=True, tag="Moderation", errors=(403,))
def unprotect(post_id: str):
    services().call("content", "set_protection", g.caller["id"], post_id, False)
    return "", 204


@bp.get("/posts/<post_id>/revisions")
@doc(
    "A post's history; ?diff=N gives revision N with its changes against N-1",
    response=REVISIONS_OR_CHANGES,
    tag="Posts",
    query=RevisionsQuery,
    operation_id="post_revisions",
)
def revisions(post_id: str):
    return history("content", post_id)


@bp.post("/posts/<post_id>/revisions/<int:revision>/revert")
@login_required
@doc(
    "Restore revision n exactly, as a new revision",
    response=PostView,
    auth=True,
    tag="Posts",
    errors=(403, 409),
    operation_id="revert_post",
)
def revert(post_id: str, revision: int):
    return jsonify(present(services().call("content", "revert_post", g.caller["id"], post_id, revision)))


def _vote(target_type: str, target_id: str, value: int | None):
    return jsonify(services().call("content", "vote", g.caller["id"], target_type, target_id, value))


@bp.put("/posts/<post_id>/vote")
@login_required
@doc("Vote +1 or -1 (one per person)", VoteRequest, VoteTally, auth=True, tag="Posts", errors=(403,))
def vote_post(post_id: str):
    return _vote("post", post_id, body(VoteRequest)["value"])


@bp.delete("/posts/<post_id>/vote")
@login_required
@doc("Remove your vote", response=VoteTally, auth=True, tag="Posts", errors=(403,))
def unvote_post(post_id: str):
    return _vote("post", post_id, None)


@bp.put("/comments/<comment_id>/vote")
@login_required
@doc("Vote on a comment", VoteRequest, VoteTally, auth=True, tag="Discussion", errors=(403,))
def vote_comment(comment_id: str):
    return _vote("comment", comment_id, body(VoteRequest)["value"])


@bp.delete("/comments/<comment_id>/vote")
@login_required
@doc("Remove your vote on a comment", response=VoteTally, auth=True, tag="Discussion", errors=(403,))
def unvote_comment(comment_id: str):
    return _vote("comment", comment_id, None)


def _present_thread(comments: list[dict], committed: bool = False) -> list[dict]:
    """Comments with their authors named, walked with a stack (never recursing on a thread's shape).

    ``committed``: the comments are a write's answer, so without identity they show their authors' ids."""
    nodes, stack = [], list(comments)
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node["children"])
    ids = {node["author_id"] for node in nodes if node["author_id"]}
    try:
        names = people(services(), ids)
    except ServiceUnavailable:
        if not committed:
            raise
        names = unnamed(ids)
    for node in nodes:
        author_id = node.pop("author_id")
        node["author"] = names[author_id] if author_id else None
        node["score"] = {"up": node.pop("up"), "down": node.pop("down")}
    return comments


@bp.get("/posts/<post_id>/comments")
@doc(
    "The discussion: a page of top-level comments, each with its replies (nested at most 8 levels)",
    response=CommentPage,
    tag="Discussion",
    query=CommentsQuery,
)
def comments(post_id: str):
    args = query(CommentsQuery)
    page = services().call("content", "list_comments", post_id, args["sort"], args["limit"], args["cursor"])
    return jsonify({"items": _present_thread(page["items"]), "next_cursor": page["next_cursor"]})


@bp.post("/posts/<post_id>/comments")
@login_required
@doc(
    "Comment or reply (members); an Idempotency-Key header makes a retry safe",
    CommentRequest,
    Comment,
    status=201,
    auth=True,
    tag="Discussion",
    errors=(403, 409),
    headers=(RETRY_KEY,),
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


def report_doc(target: str):
    return doc(
        f"Report a {target} to the subwiki's moderators",
        ReportRequest,
        ReportFiled,
        status=202,
        auth=True,
        tag="Moderation",
        errors=(403, 409),
        headers=(RETRY_KEY,),
    )


def _report(target_type: str, target_id: str):
    filed = services().call(
        "content",
        "file_report",
        g.caller["id"],
        target_type,
        target_id,
        body(ReportRequest)["reason"],
        idempotency_key=idempotency_key(),
    )
    return jsonify(filed), 202


@bp.post("/posts/<post_id>/reports")
@login_required
@report_doc("post")
def report_post(post_id: str):
    return _report("post", post_id)


@bp.post("/comments/<comment_id>/reports")
@login_required
@report_doc("comment")
def report_comment(comment_id: str):
    return _report("comment", comment_id)


@bp.get("/subwikis/<slug>/reports")
@login_required
@doc("Open reports (moderators)", response=ReportPage, auth=True, tag="Moderation", query=PageQuery, errors=(403,))
def reports(slug: str):
    args = query(PageQuery)
    page = services().call("content", "list_reports", g.caller["id"], slug, **args)
    for item in with_people(services(), page["items"], "reporter_id", "reporter"):
        item["target"] = {"type": item.pop("target_type"), "id": item.pop("target_id")}
    return jsonify(page)


@bp.post("/reports/<report_id>/resolve")
@login_required
@doc(
    "Resolve a report: uphold removes the target (moderators)",
    ResolveRequest,
    ReportResolved,
    auth=True,
    tag="Moderation",
    errors=(403, 409),
)
def resolve(report_id: str):
    action = body(ResolveRequest)["action"]
    return jsonify(services().call("content", "resolve_report", g.caller["id"], report_id, action))
