"""A subwiki's first posts held for approval: its moderators' queue (approve, reject) and the switch that
holds each new member's first post; the author sees their own there, pending."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for

from web.api import ApiError
from web.i18n import gettext
from web.views import api_get_all, call, cursor_params, done, refused, signed_in, switch

bp = Blueprint("held_posts", __name__)

DECISIONS = ("approve", "reject")


@bp.get("/s/<slug>/first-posts")
@signed_in
def queue(slug: str):
    subwiki, page = api_get_all((f"/subwikis/{slug}", None), (f"/subwikis/{slug}/held-posts", cursor_params()))
    return render_template("held_posts/queue.html", subwiki=subwiki, page=page)


@bp.post("/s/<slug>/first-post-approval")
@signed_in
def approval(slug: str):
    required = request.form.get("required") == "1"
    refusal = switch(required, f"/subwikis/{slug}/first-post-approval", url_for("held_posts.queue", slug=slug))
    if refusal is not None:
        return refusal
    message = (
        gettext("From now on, each new member's first post here waits for a moderator's approval.")
        if required
        else gettext("New members' first posts are shown at once again; those already waiting still wait.")
    )
    return done(message, "held_posts.queue", slug=slug)


@bp.post("/held-posts/<held_id>/<decision>")
@signed_in
def decide(held_id: str, decision: str):
    if decision not in DECISIONS:
        abort(404)
    slug = request.form.get("slug", "")
    back = url_for("held_posts.queue", slug=slug) if slug else url_for("feed.front")
    try:
        call("POST", f"/held-posts/{held_id}/{decision}")
    except ApiError as error:
        return refused(error, back)
    if decision == "approve":
        message = gettext("Approved: the post is up, and its author is told.")
    else:
        message = gettext("Rejected: the post will not be shown, and its author is told.")
    if not slug:
        return done(message, "feed.front")
    return done(message, "held_posts.queue", slug=slug)
