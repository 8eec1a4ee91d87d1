"""Reading a post: the post with its discussion (sorted, a page at a time) and the edits held for review,
or one thread of it."""

from __future__ import annotations

from flask import abort, g, render_template, request

from web.api import ApiError
from web.views import answer_page, api_get, api_get_all
from web.views.posts import bp
from web.views.posts.threads import MAX_DEPTH, find_comment


def _pending(post_id: str, post: dict) -> list[dict]:
    """Held edits of the post, for a member who may see them (none for anyone else): asked for only when the
    post says some are held (``held_edits``, given to a signed-in reader)."""
    if not g.token or not post.get("held_edits"):
        return []
    try:
        return api_get(f"/posts/{post_id}/pending")["items"]
    except ApiError as error:
        if error.status in (401, 503):
            raise
        return []


@bp.get("/posts/<post_id>")
def show(post_id: str):
    sort = request.args.get("sort") if request.args.get("sort") in ("quality", "new") else "quality"
    params = {"comments": sort}
    if request.args.get("cursor"):
        params["comments_cursor"] = request.args["cursor"]

    def write(answer: dict) -> str:
        post = dict(answer)
        comments = post.pop("comments")
        return render_template(
            "posts/show.html",
            post=post,
            comments=comments["items"],
            comments_next=comments.get("next_cursor"),
            sort=sort,
            pending=_pending(post_id, post),
            max_depth=MAX_DEPTH,
            focus=None,
        )

    # The post and its discussion's page in one request (the API's ?comments=), made on this thread; a page
    # with edits held for review is written each time (their list is another call).
    return answer_page(
        f"/posts/{post_id}", params, write, discussed, "post", kept=lambda post: not post.get("held_edits")
    )


def discussed(post: dict) -> list[str]:
    """When the post and each comment of its page (replies included) were written: the page says how long ago."""
    moments, todo = [post.get("created_at") or ""], list(post["comments"]["items"])
    while todo:
        comment = todo.pop()
        moments.append(comment.get("created_at") or "")
        todo.extend(comment.get("children") or ())
    return moments


@bp.get("/posts/<post_id>/thread/<comment_id>")
def thread(post_id: str, comment_id: str):
    post, thread = api_get_all((f"/posts/{post_id}", None), (f"/comments/{comment_id}/thread", None))
    node = find_comment(thread["items"], comment_id)
    if node is None:
        abort(404)
    return render_template(
        "posts/show.html",
        post=post,
        comments=[node],
        sort="quality",
        pending=[],
        max_depth=MAX_DEPTH,
        focus=node,
        failed_parent=request.args.get("reply"),
    )
