"""Reporting a post or a comment to the subwiki's moderators."""

from __future__ import annotations

from flask import abort, request

from web.api import ApiError
from web.i18n import gettext
from web.views import call, done, form_page, signed_in
from web.views.posts import bp


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
