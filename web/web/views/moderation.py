"""Moderators' queues for a subwiki: open reports, and edits held for review."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from web.api import ApiError
from web.i18n import gettext
from web.views import api_get, call, done, refused, signed_in

bp = Blueprint("moderation", __name__)


@bp.get("/s/<slug>/moderation")
@signed_in
def queues(slug: str):
    subwiki = api_get(f"/subwikis/{slug}")
    try:
        reports = api_get(f"/subwikis/{slug}/reports")
    except ApiError as error:
        if error.status != 403:
            raise
        reports = None
    params = {"cursor": request.args["cursor"]} if request.args.get("cursor") else None
    try:
        queue = api_get(f"/subwikis/{slug}/pending", params=params)
    except ApiError as error:
        if error.status != 403:
            raise
        queue = {"items": [], "next_cursor": None}
    held = [{"post": change["post"], "change": change} for change in queue["items"]]
    return render_template("moderation/queues.html", subwiki=subwiki, reports=reports, held=held, queue=queue)


@bp.post("/reports/<report_id>/resolve")
@signed_in
def resolve(report_id: str):
    slug = request.form.get("slug", "")
    action = "uphold" if request.form.get("action") == "uphold" else "dismiss"
    try:
        call("POST", f"/reports/{report_id}/resolve", json={"action": action})
    except ApiError as error:
        return refused(error, url_for("moderation.queues", slug=slug))
    message = gettext("Upheld: the reported item is removed.") if action == "uphold" else gettext("Dismissed.")
    return done(message, "moderation.queues", slug=slug)
