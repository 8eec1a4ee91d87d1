"""A post as a whole: protecting it (only trusted members edit it), removing it as spam (a moderator), removing it."""

from __future__ import annotations

from flask import request, url_for

from web.api import ApiError
from web.i18n import gettext
from web.views import call, done, refused, signed_in
from web.views.posts import bp


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
