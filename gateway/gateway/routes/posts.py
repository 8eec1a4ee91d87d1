"""Posts and their wiki history: posting, editing, held edits, protection, reverts (comments, votes,
reports and uploads have their own modules)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from gateway import presenters
from gateway.auth import current_caller_id, login_required
from gateway.people import with_people
from gateway.routes import RETRY_KEY, body, doc, history, idempotency_key, query, revision_changes, services
from gateway.routes.comments import post_with_discussion
from gateway.schemas import (
    CreatePostRequest,
    EditPostRequest,
    HeldEdit,
    PageQuery,
    PendingPage,
    PostHeld,
    PostQuery,
    PostRevisionChanges,
    PostRevisionPage,
    PostView,
    Preview,
    PreviewRequest,
    RemovedAsSpam,
)

bp = Blueprint("posts", __name__, url_prefix="/api/v1")
# The languages a post is written in (content's, which search stems each by).
POST_LANGUAGES = ("en", "fr")


def present(post: dict, committed: bool = False) -> dict:
    return presenters.posts(services(), [post], committed)[0]


def asked_language() -> str:
    """What members expect without choosing: the first language their browser asks pages in (by quality, a
    region as its language: fr-CA is fr) that search stems, else English."""
    for value, _quality in request.accept_languages:
        primary = value.split("-")[0].split("_")[0].lower()
        if primary in POST_LANGUAGES:
            return primary
    return "en"


@bp.post("/subwikis/<slug>/posts")
@login_required
@doc(
    "Post to a subwiki (members); an Idempotency-Key header makes a retry safe",
    CreatePostRequest,
    PostView,
    201,
    auth=True,
    tag="Posts",
    errors=(403, 409, 429),
    headers=(RETRY_KEY,),
    description="Spam defences by the author's trust: a new account posts a few times an hour "
    "(429 `rate_limited` with `Retry-After`), with at most a couple of links (400 `validation_error` on `body`); "
    "the limits loosen as trust rises. The same post again by its author within ten minutes is a 409 `duplicate`. "
    "A new member's first post in a subwiki whose moderators approve first posts is held: 202 with the held post.",
    also={202: PostHeld},
)
def create_post(slug: str):
    data = body(CreatePostRequest)
    data.setdefault("language", asked_language())
    created = services().call("content", "create_post", g.caller["id"], slug, **data, idempotency_key=idempotency_key())
    if created.get("pending"):
        return jsonify({"pending": True, "held_post": present_held([created["held_post"]])[0]}), 202
    return jsonify(present(created, committed=True)), 201


def present_held(items: list[dict]) -> list[dict]:
    for item in items:
        item.pop("subwiki_id", None)
        item["image_url"] = presenters.upload_url(item.pop("image_file", None))
    return with_people(services(), items, "author_id", "author")


@bp.get("/posts/<post_id>")
@doc(
    "A post; with ?comments=<sort>, a page of its discussion too",
    response=PostView,
    tag="Posts",
    optional_auth=True,
    query=PostQuery,
    description="With `comments` (`new` or `quality`) the answer also holds `comments`: the page of the discussion "
    "that GET /posts/{id}/comments?sort=<sort> gives (its first page, or the one at `comments_cursor`), so a post's "
    "page is read in one request. Its `score` and `comment_count` are the post's own, counted as each vote and "
    "comment commits, and the quality the feed gave it last: a member who votes or comments sees it here at once "
    "(feed items count them from the same votes and comments moments later).",
)
def get_post(post_id: str):
    asked = query(PostQuery)
    if asked["comments"] is not None:
        return post_with_discussion(post_id, asked["comments"], asked["comments_cursor"])
    return jsonify(
        presenters.post_page(services(), services().call("content", "get_post", post_id, current_caller_id()))
    )


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


@bp.post("/posts/<post_id>/spam")
@login_required
@doc(
    "Remove a post as spam (moderators): its author's other posts of the last 7 days go with it",
    response=RemovedAsSpam,
    auth=True,
    tag="Moderation",
    errors=(403,),
    description="The post and its author's other posts of the last 7 days in the subwikis the caller moderates "
    "leave every feed at once; the author's trust falls as for an upheld report.",
)
def remove_as_spam(post_id: str):
    return jsonify(services().call("content", "remove_as_spam", g.caller["id"], post_id))


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
    "A post's history, newest first",
    response=PostRevisionPage,
    tag="Posts",
    query=PageQuery,
    operation_id="post_revisions",
)
def revisions(post_id: str):
    return history("content", post_id)


@bp.get("/posts/<post_id>/revisions/<int:revision>")
@doc(
    "Revision n of a post with its changes against revision n-1",
    response=PostRevisionChanges,
    tag="Posts",
    operation_id="post_revision",
)
def revision(post_id: str, revision: int):
    return revision_changes("content", post_id, revision)


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


@bp.post("/preview")
@login_required
@doc(
    "Markdown as a post or comment would show it (sanitised, mentions linked): for a live preview",
    PreviewRequest,
    Preview,
    auth=True,
    tag="Posts",
)
def preview():
    data = body(PreviewRequest)
    return jsonify({"body_html": services().call("content", "preview_markup", data["body"])})


@bp.post("/held-posts/<held_id>/approve")
@login_required
@doc(
    "Approve a new member's held first post (moderators): it becomes the post of the same id, in the feeds",
    response=PostView,
    auth=True,
    tag="Moderation",
    errors=(403,),
)
def approve_held_post(held_id: str):
    return jsonify(present(services().call("content", "approve_held_post", g.caller["id"], held_id)))


@bp.post("/held-posts/<held_id>/reject")
@login_required
@doc(
    "Reject a new member's held first post (moderators): it goes",
    status=204,
    auth=True,
    tag="Moderation",
    errors=(403,),
)
def reject_held_post(held_id: str):
    services().call("content", "reject_held_post", g.caller["id"], held_id)
    return "", 204
