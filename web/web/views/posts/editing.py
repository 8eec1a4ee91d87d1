"""Editing a post as a wiki page: the form, a preview of the changes line by line, then the edit
(live, or held for a trusted member or a moderator to review)."""

from __future__ import annotations

from flask import request

from web.api import ApiError
from web.helpers import diff_lines
from web.i18n import gettext
from web.views import api_get, call, done, form_page, signed_in
from web.views.posts import bp


@bp.route("/posts/<post_id>/edit", methods=["GET", "POST"])
@signed_in
def edit(post_id: str):
    post = api_get(f"/posts/{post_id}")
    if request.method == "GET":
        form = {
            "title": post["title"],
            "body": post.get("body") or "",
            "url": post.get("url") or "",
            "base_revision": post["revision"],
        }
        return form_page("posts/edit.html", post=post, form=form, preview=None)
    form = request.form
    proposed = {"title": form.get("title", ""), "body": form.get("body", ""), "url": form.get("url", "")}
    if form.get("action") == "preview":
        preview = {
            name: diff_lines(post.get(name) or "", proposed[name])
            for name in ("title", "url", "body")
            if (post.get(name) or "") != proposed[name]
        }
        return form_page("posts/edit.html", post=post, preview=preview)
    body = {"title": proposed["title"], "base_revision": int(form.get("base_revision") or post["revision"])}
    body["edit_summary"] = form.get("edit_summary", "")
    if post["kind"] in ("article", "text", "image", "cartoon"):
        body["body"] = proposed["body"]
    if post["kind"] == "link":
        body["url"] = proposed["url"]
        body["body"] = proposed["body"]
    try:
        result = call("PATCH", f"/posts/{post_id}", json=body)
    except ApiError as error:
        if error.status == 401:
            raise
        return form_page("posts/edit.html", error, post=post, preview=None)
    if result and result.get("pending"):
        return done(
            gettext("Thank you! Your edit waits for a trusted member or a moderator to review it."),
            "posts.show",
            post_id=post_id,
        )
    return done(gettext("Your edit is live."), "posts.show", post_id=post_id)
