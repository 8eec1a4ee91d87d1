"""Notifications: the list, in the reader's language, marking them read, and which kinds to get;
the header's unread badge (read in the background while the page is prepared).

The badge's count is held in the member's session for ``WEB_UNREAD_SECONDS`` (15 by default; 0 asks
on every page), as sites' badges are refreshed now and then rather than on every page: someone reading
one page after another asks the API for one thing a page, not two. The notifications page always asks
afresh, and marking them read forgets the count held, so the badge never shows what the member has
just read."""

from __future__ import annotations

import os
import time
from concurrent.futures import TimeoutError as FutureTimeout

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from web.api import ApiError
from web.helpers import _, money
from web.i18n import gettext, ngettext
from web.views import api_get, api_get_later, call, signed_in

bp = Blueprint("notifications", __name__)

KINDS = {
    "reply_to_post": _("Replies to my posts"),
    "reply_to_comment": _("Replies to my comments"),
    "mention": _("Mentions of me"),
    "edit_applied": _("Edits to my posts"),
    "edit_held": _("Edits waiting for my review"),
    "edit_accepted": _("My held edits accepted"),
    "edit_rejected": _("My held edits rejected"),
    "post_held": _("First posts waiting for my approval"),
    "post_approved": _("My first posts approved"),
    "post_rejected": _("My first posts rejected"),
    "report_resolved": _("My reports resolved"),
    "content_removed": _("My content removed by a moderator"),
    "follower": _("New followers"),
    "donation": _("Donations to me"),
    "badge": _("My badges"),
}


def now() -> float:
    return time.time()


def unread_seconds() -> float:
    """How long the header's count is held in the session (``WEB_UNREAD_SECONDS``)."""
    try:
        return max(0.0, float(os.environ.get("WEB_UNREAD_SECONDS", "15")))
    except ValueError:
        return 15.0


def _held_count() -> int | None:
    """The count held in the session while it is fresh, else None."""
    held = session.get("unread")
    if request.endpoint == "notifications.index" or not (isinstance(held, list) and len(held) == 2):
        return None
    count, asked_at = held
    if not (isinstance(count, int) and isinstance(asked_at, (int, float))):
        return None
    return count if 0 <= now() - asked_at < unread_seconds() else None


def start_unread_count() -> None:
    """For a signed-in person's page, the header's unread count: held in the session while fresh, else
    asked for now, in the background; read by ``unread_count``."""
    if g.get("token") and request.method == "GET" and request.endpoint not in (None, "static_asset", "healthz"):
        held = _held_count()
        if held is not None:
            g.unread_held = held
        else:
            g.unread = api_get_later("/notifications/unread")


def unread_count() -> int:
    """The unread count for the header, 0 when unknown: a page never fails for its badge. A count the API
    gave is held in the session; a failure is not, so the next page asks again."""
    if "unread_held" in g:
        return g.unread_held
    future = g.get("unread")
    if future is None:
        return 0
    try:
        answer = future.result(timeout=2)
    except (ApiError, FutureTimeout):
        return 0
    if not isinstance(answer, dict):
        return 0
    count = int(answer.get("unread", 0))
    g.unread_held = count
    if unread_seconds() > 0:
        session["unread"] = [count, int(now())]
    return count


def _who(actors: list[dict], count: int) -> str:
    def name(actor: dict) -> str:
        return f"@{actor['username']}" if actor.get("username") else gettext("a deleted member")

    if not actors or count == 0:
        return gettext("Someone")
    if count >= 3:
        return ngettext("%(num)d person", "%(num)d people", count)
    if count == 2 and len(actors) > 1:
        return gettext("%(first)s and %(second)s", first=name(actors[0]), second=name(actors[1]))
    return name(actors[0])


def sentence(item: dict) -> str:
    """What happened, in the reader's language."""
    kind, detail, n = item["kind"], item.get("detail") or {}, max(1, item.get("actor_count") or 1)
    who = _who(item.get("actors") or [], item.get("actor_count") or 0)
    title = (item.get("post") or {}).get("title") or gettext("a post")
    if kind == "reply_to_post":
        return ngettext(
            "%(who)s replied to your post “%(title)s”",
            "%(who)s replied to your post “%(title)s”",
            n,
            who=who,
            title=title,
        )
    if kind == "reply_to_comment":
        return ngettext(
            "%(who)s replied to your comment on “%(title)s”",
            "%(who)s replied to your comment on “%(title)s”",
            n,
            who=who,
            title=title,
        )
    if kind == "mention":
        return gettext("%(who)s mentioned you in “%(title)s”", who=who, title=title)
    if kind == "edit_applied":
        return ngettext(
            "%(who)s edited your post “%(title)s”", "%(who)s edited your post “%(title)s”", n, who=who, title=title
        )
    if kind == "edit_held":
        return ngettext(
            "%(who)s proposed an edit to “%(title)s” for your review",
            "%(who)s proposed edits to “%(title)s” for your review",
            n,
            who=who,
            title=title,
        )
    if kind == "edit_accepted":
        return gettext("%(who)s accepted your edit of “%(title)s”", who=who, title=title)
    if kind == "edit_rejected":
        return gettext("%(who)s rejected your edit of “%(title)s”", who=who, title=title)
    if kind == "post_held":
        subwiki = detail.get("subwiki") or ""
        if (item.get("count") or 1) > 1:
            return ngettext(
                "%(num)d first post waits for your approval in %(subwiki)s",
                "%(num)d first posts wait for your approval in %(subwiki)s",
                item["count"],
                subwiki=subwiki,
            )
        return gettext(
            "%(who)s's first post “%(title)s” waits for your approval in %(subwiki)s",
            who=who,
            title=detail.get("title") or title,
            subwiki=subwiki,
        )
    if kind == "post_approved":
        return gettext("%(who)s approved your post “%(title)s”: it is up", who=who, title=detail.get("title") or title)
    if kind == "post_rejected":
        return gettext("%(who)s rejected your post “%(title)s”", who=who, title=detail.get("title") or title)
    if kind == "report_resolved":
        if detail.get("action") == "uphold":
            return gettext("Your report was upheld: the content was removed.")
        return gettext("Your report was dismissed.")
    if kind == "content_removed":
        text = (
            gettext("A moderator removed your comment on “%(title)s”.", title=title)
            if detail.get("target_type") == "comment"
            else gettext("A moderator removed your post “%(title)s”.", title=title)
        )
        reason = detail.get("reason")
        return f"{text} {gettext('Reason: %(reason)s', reason=reason)}" if reason else text
    if kind == "follower":
        return ngettext("%(who)s followed you", "%(who)s followed you", n, who=who)
    if kind == "donation":
        if detail.get("public") and detail.get("amount_cents") is not None:
            amount = money(detail["amount_cents"], detail.get("currency") or "EUR")
            return gettext("%(who)s donated %(amount)s to you. Thank you for creating!", who=who, amount=amount)
        return gettext("Someone donated to you. Thank you for creating!")
    if kind == "badge":
        return gettext("You earned the supporter badge. Thank you!")
    return kind


def link(item: dict) -> str:
    target = item.get("target") or {}
    if target.get("type") == "comment" and target.get("post_id"):
        return url_for("posts.thread", post_id=target["post_id"], comment_id=target["id"])
    if target.get("type") == "post" and target.get("id"):
        return url_for("posts.show", post_id=target["id"])
    if target.get("type") == "user" and target.get("id"):
        return url_for("people.profile", username=target["id"])
    if target.get("type") == "held_posts" and target.get("id"):
        return url_for("held_posts.queue", slug=target["id"])
    if target.get("type") == "subwiki" and target.get("id"):
        return url_for("subwikis.show", slug=target["id"])
    if target.get("type") == "donations":
        return url_for("donations.donate")
    return url_for("notifications.index")


@bp.get("/notifications")
@signed_in
def index():
    params = {"limit": 25}
    if request.args.get("cursor"):
        params["cursor"] = request.args["cursor"]
    page = api_get("/notifications", params=params)
    items = [{**item, "sentence": sentence(item), "href": link(item)} for item in page["items"]]
    settings = api_get("/me/notification-settings")
    return render_template(
        "notifications/index.html",
        page=page,
        items=items,
        settings=settings,
        kinds=[(kind, gettext(label)) for kind, label in KINDS.items()],
    )


@bp.post("/notifications/read")
@signed_in
def mark_read():
    up_to = request.form.get("up_to", "")
    call("POST", "/notifications/read", json={"up_to": int(up_to)} if up_to.isdigit() else {})
    session.pop("unread", None)
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/settings")
@signed_in
def change_settings():
    call("PATCH", "/me/notification-settings", json={kind: request.form.get(kind) == "on" for kind in KINDS})
    return redirect(url_for("notifications.index"))
