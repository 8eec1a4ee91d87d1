"""A post: reading, voting, the discussion, wiki edits with their history and held edits,
protection, reports; submitting a new post; the pictures people uploaded."""

from __future__ import annotations

from concurrent.futures import Future

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, url_for

from web.api import ApiError
from web.helpers import diff_lines
from web.i18n import gettext
from web.views import (
    api_get,
    api_get_later,
    back_path,
    call,
    done,
    form_page,
    refused,
    restore_revision,
    signed_in,
    wiki_history,
    with_blocks,
)

bp = Blueprint("posts", __name__)
KINDS = ("link", "article", "image", "cartoon", "text")
MAX_DEPTH = 6


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def find_comment(nodes: list[dict], comment_id: str) -> dict | None:
    for node in nodes:
        if node["id"] == comment_id:
            return node
        found = find_comment(node.get("children", []), comment_id)
        if found:
            return found
    return None


def count_comments(nodes: list[dict]) -> int:
    return sum(1 + count_comments(n.get("children", [])) for n in nodes)


def _pending(post_id: str, started: Future | None = None) -> list[dict]:
    """Held edits of the post, for a member who may see them (none for anyone else)."""
    if not g.token:
        return []
    try:
        return (started or api_get_later(f"/posts/{post_id}/pending")).result()["items"]
    except ApiError as error:
        if error.status in (401, 503):
            raise
        return []


@bp.get("/posts/<post_id>")
def show(post_id: str):
    sort = request.args.get("sort") if request.args.get("sort") in ("quality", "new") else "quality"
    pending = api_get_later(f"/posts/{post_id}/pending") if g.token else None
    params = {"sort": sort, "cursor": request.args["cursor"]} if request.args.get("cursor") else {"sort": sort}
    (post, comments), blocked = with_blocks((f"/posts/{post_id}", None), (f"/posts/{post_id}/comments", params))
    return render_template(
        "posts/show.html",
        blocked=blocked,
        post=post,
        comments=comments["items"],
        comments_next=comments.get("next_cursor"),
        sort=sort,
        pending=_pending(post_id, pending),
        max_depth=MAX_DEPTH,
        focus=None,
    )


@bp.get("/posts/<post_id>/thread/<comment_id>")
def thread(post_id: str, comment_id: str):
    (post, thread), blocked = with_blocks((f"/posts/{post_id}", None), (f"/comments/{comment_id}/thread", None))
    node = find_comment(thread["items"], comment_id)
    if node is None:
        abort(404)
    return render_template(
        "posts/show.html",
        blocked=blocked,
        post=post,
        comments=[node],
        sort="quality",
        pending=[],
        max_depth=MAX_DEPTH,
        focus=node,
        failed_parent=request.args.get("reply"),
    )


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
        (post, comments), blocked = with_blocks((f"/posts/{post_id}", None), (f"/posts/{post_id}/comments", None))
        return form_page(
            "posts/show.html",
            error,
            blocked=blocked,
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


@bp.route("/report/<kind>/<target_id>", methods=["GET", "POST"])
@signed_in
def report(kind: str, target_id: str):
    if kind not in ("post", "comment"):
        abort(404)
    post_id = request.values.get("post_id", target_id if kind == "post" else "")
    if request.method == "GET":
        return form_page("posts/report.html", kind=kind, target_id=target_id, post_id=post_id)
    try:
        call("POST", f"/{kind}s/{target_id}/reports", json={"reason": request.form.get("reason", "")})
    except ApiError as error:
        if error.status == 401:
            raise
        return form_page("posts/report.html", error, kind=kind, target_id=target_id, post_id=post_id)
    return done(gettext("Thank you. The moderators will look at it."), "posts.show", post_id=post_id)


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


@bp.post("/posts/<post_id>/protection")
@signed_in
def protection(post_id: str):
    method = "PUT" if request.form.get("protect") == "1" else "DELETE"
    try:
        call(method, f"/posts/{post_id}/protection")
    except ApiError as error:
        return refused(error, url_for("posts.show", post_id=post_id))
    message = gettext("The post is protected.") if method == "PUT" else gettext("The post is open to every member.")
    return done(message, "posts.show", post_id=post_id)


@bp.post("/posts/<post_id>/spam")
@signed_in
def spam(post_id: str):
    """A moderator removes the post as spam: its author's other recent posts here go with it."""
    try:
        call("POST", f"/posts/{post_id}/spam")
    except ApiError as error:
        return refused(error, url_for("posts.show", post_id=post_id))
    return done(gettext("Removed as spam, with its author's other recent posts."), "feed.front")


@bp.post("/posts/<post_id>/delete")
@signed_in
def delete(post_id: str):
    try:
        call("DELETE", f"/posts/{post_id}")
    except ApiError as error:
        return refused(error, url_for("posts.show", post_id=post_id))
    return done(gettext("The post was removed."), "feed.front")


def _my_subwikis() -> list[str]:
    return api_get("/me").get("subwikis", [])


@bp.route("/submit", methods=["GET", "POST"])
@signed_in
def submit():
    subwikis = _my_subwikis()
    if request.method == "GET":
        form = {"subwiki": request.args.get("subwiki", ""), "kind": request.args.get("kind", "link")}
        return form_page("posts/submit.html", form=form, subwikis=subwikis, kinds=KINDS)
    form = request.form
    kind = form.get("kind") if form.get("kind") in KINDS else "link"
    body: dict = {"kind": kind, "title": form.get("title", "")}
    if kind == "link":
        body["url"] = form.get("url", "")
    if form.get("body"):
        body["body"] = form["body"]
    try:
        if kind in ("image", "cartoon"):
            picture = request.files.get("picture")
            if picture is None or not picture.filename:
                raise ApiError(400, "validation_error", "", {"picture": [gettext("Choose a picture to upload.")]})
            uploaded = call(
                "POST",
                "/uploads",
                files={"file": (picture.filename, picture.stream, picture.mimetype)},
                timeout=20,
            )
            body["image_id"] = uploaded["image_id"]
        created = call("POST", f"/subwikis/{form.get('subwiki', '')}/posts", json=body)
    except ApiError as error:
        if error.status == 401:
            raise
        if error.status == 404:
            error = ApiError(400, "validation_error", "", {"subwiki": [gettext("Choose one of your subwikis.")]})
        if error.status == 413:
            error = ApiError(413, "payload_too_large", "", {"picture": [gettext("The picture is too large.")]})
        if "image_id" in error.fields or "file" in error.fields:
            error.fields["picture"] = error.fields.pop("image_id", []) + error.fields.pop("file", [])
        return form_page("posts/submit.html", error, subwikis=subwikis, kinds=KINDS)
    if created.get("pending"):  # a new member's first post, held until the subwiki's moderators approve it
        return done(
            gettext("Your post waits for a moderator's approval; until then only you and the moderators see it."),
            "subwikis.show",
            slug=created["held_post"]["subwiki"],
        )
    return done(gettext("Your post is up."), "posts.show", post_id=created["id"])


@bp.get("/api/v1/uploads/<name>")
def picture(name: str):
    """People's pictures, from the API's storage, on this site (so no page asks another host)."""
    response = call("GET", f"/api/v1/uploads/{name}", raw=True)
    if response.status_code != 200:
        abort(404)
    served = Response(response.content, content_type=response.headers.get("Content-Type", "application/octet-stream"))
    served.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    served.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return served


@bp.post("/preview")
@signed_in
def preview():
    """Markdown as the API will show it, for the live preview under a text box (JavaScript only)."""
    try:
        answer = call("POST", "/preview", json={"body": request.form.get("body", "")})
    except ApiError as error:
        return jsonify({"error": error.message}), error.status
    return jsonify({"body_html": answer["body_html"]})
