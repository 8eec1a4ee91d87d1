"""Votes on a post (JSON for the page's script, a redirect without it) and on a comment."""

from __future__ import annotations

from flask import jsonify, redirect, request, url_for

from web.api import ApiError
from web.views import back_path, call, refused, signed_in
from web.views.posts import bp


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.post("/posts/<post_id>/vote")
@signed_in
def vote(post_id: str):
    value = request.form.get("value", "0")
    try:
        if value in ("1", "-1"):
            score = call("PUT", f"/posts/{post_id}/vote", json={"value": int(value)})
        else:
            score = call("DELETE", f"/posts/{post_id}/vote")
    except ApiError as error:
        if wants_json():
            return jsonify({"error": error.message}), error.status
        return refused(error, url_for("posts.show", post_id=post_id))
    if wants_json():
        return jsonify(score)
    return redirect(back_path() or url_for("posts.show", post_id=post_id))


@bp.post("/comments/<comment_id>/vote")
@signed_in
def vote_comment(comment_id: str):
    value = request.form.get("value", "0")
    post_id = request.form.get("post_id", "")
    try:
        if value in ("1", "-1"):
            call("PUT", f"/comments/{comment_id}/vote", json={"value": int(value)})
        else:
            call("DELETE", f"/comments/{comment_id}/vote")
    except ApiError as error:
        return refused(error, url_for("posts.show", post_id=post_id))
    return redirect((back_path() or url_for("posts.show", post_id=post_id)) + f"#c-{comment_id}")
