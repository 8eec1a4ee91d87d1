"""Writing in a post's discussion: a comment or a reply, editing one's comment, deleting it."""

from __future__ import annotations

from flask import abort, redirect, request, url_for

from web.api import ApiError
from web.i18n import gettext
from web.views import api_get, api_get_all, call, done, form_page, refused, signed_in
from web.views.posts import bp
from web.views.posts.threads import MAX_DEPTH, find_comment


@bp.post("/posts/<post_id>/comments")
@signed_in
def comment(post_id: str):
    body = request.form.get("body", "")
    parent_id = request.form.get("parent_id") or None
    try:
        created = call("POST", f"/posts/{post_id}/comments", json={"body": body, "parent_id": parent_id})
    except ApiError as error:
        if error.status == 401:
            raise
        post, comments = api_get_all((f"/posts/{post_id}", None), (f"/posts/{post_id}/comments", None))
        return form_page(
            "posts/show.html",
            error,
            post=post,
            comments=comments["items"],
            sort="quality",
            pending=[],
            max_depth=MAX_DEPTH,
            focus=None,
            failed_parent=parent_id,
        )
    return redirect(url_for("posts.show", post_id=post_id) + f"#c-{created['id']}")


@bp.route("/comments/<comment_id>/edit", methods=["GET", "POST"])
@signed_in
def edit_comment(comment_id: str):
    post_id = request.values.get("post_id", "")
    if request.method == "GET":
        comments = api_get(f"/posts/{post_id}/comments")["items"] if post_id else []
        node = find_comment(comments, comment_id)
        if node is None:
            abort(404)
        return form_page("posts/edit_comment.html", comment=node, post_id=post_id, form={"body": node.get("body", "")})
    try:
        call("PATCH", f"/comments/{comment_id}", json={"body": request.form.get("body", "")})
    except ApiError as error:
        if error.status == 401:
            raise
        return form_page("posts/edit_comment.html", error, comment={"id": comment_id}, post_id=post_id)
    return redirect(url_for("posts.show", post_id=post_id) + f"#c-{comment_id}")


@bp.post("/comments/<comment_id>/delete")
@signed_in
def delete_comment(comment_id: str):
    post_id = request.form.get("post_id", "")
    try:
        call("DELETE", f"/comments/{comment_id}")
    except ApiError as error:
        return refused(error, url_for("posts.show", post_id=post_id))
    return done(gettext("The comment was deleted."), "posts.show", post_id=post_id)
