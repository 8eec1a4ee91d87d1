"""A post's revisions: its history with the changes of each, restoring one, and deciding on held edits."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for

from web.api import ApiError
from web.i18n import gettext
from web.views import api_get, back_path, call, refused, restore_revision, signed_in, wiki_history
from web.views.posts import bp


@bp.get("/posts/<post_id>/history")
def history(post_id: str):
    post = api_get(f"/posts/{post_id}")
    return wiki_history("posts/history.html", f"/posts/{post_id}/revisions", post=post)


@bp.post("/posts/<post_id>/revisions/<int:revision>/revert")
@signed_in
def revert(post_id: str, revision: int):
    return restore_revision(f"/posts/{post_id}/revisions", revision, "posts.history", post_id=post_id)


@bp.post("/posts/<post_id>/pending/<change_id>/<decision>")
@signed_in
def review(post_id: str, change_id: str, decision: str):
    if decision not in ("accept", "reject"):
        abort(404)
    try:
        call("POST", f"/posts/{post_id}/pending/{change_id}/{decision}")
    except ApiError as error:
        return refused(error, url_for("posts.show", post_id=post_id))
    message = gettext("The edit was accepted.") if decision == "accept" else gettext("The edit was rejected.")
    flash(message, "ok")
    return redirect(back_path() or url_for("posts.show", post_id=post_id))
