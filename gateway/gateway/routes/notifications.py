"""Notifications: what happened to the caller's posts, comments, edits, reports and profile.

The feed service keeps them from events; here the people in them get their names (one batch
call), and each gets a target to open and a sentence in English.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from gateway.auth import login_required
from gateway.routes import body, doc, query, services
from gateway.schemas import (
    MarkedRead,
    MarkReadRequest,
    NotificationPage,
    NotificationSettings,
    NotificationSettingsRequest,
    PageQuery,
    UnreadCount,
)

bp = Blueprint("notifications", __name__, url_prefix="/api/v1")

DELETED = {"id": None, "username": None, "display_name": "a deleted member"}

# What each kind says after its people ("ada", "ada and bob", "ada and 2 others").
SAYS = {
    "reply_to_post": "replied to your post",
    "reply_to_comment": "replied to your comment",
    "mention": "mentioned you",
    "edit_applied": "edited your post",
    "edit_held": "proposed an edit for your review on",
    "edit_accepted": "accepted your edit of",
    "edit_rejected": "rejected your edit of",
    "follower": "followed you",
    "donation": "donated to you",
}


def _name(actor: dict) -> str:
    return f"@{actor['username']}" if actor["username"] else actor["display_name"]


def _names(actors: list[dict], count: int) -> str:
    """ "@ada", "@ada and @bob", "3 people"."""
    if not actors:
        return "Someone"
    if count >= 3:
        return f"{count} people"
    if count == 2 and len(actors) > 1:
        return f"{_name(actors[0])} and {_name(actors[1])}"
    return _name(actors[0])


def _text(item: dict, actors: list[dict]) -> str:
    kind, detail, title = item["kind"], item["detail"], item.get("post_title")
    about = f" “{title}”" if title else ""
    if kind == "report_resolved":
        outcome = "upheld: the content was removed" if detail.get("action") == "uphold" else "dismissed"
        return f"Your report was {outcome}."
    if kind == "content_removed":
        reason = f" Reason: {detail['reason']}" if detail.get("reason") else ""
        return f"A moderator removed your {detail.get('target_type', 'post')}{about}.{reason}"
    if kind == "badge":
        return f"You earned the {detail.get('badge', 'supporter')} badge. Thank you!"
    if kind == "post_held":
        where = f" in {detail.get('subwiki')}" if detail.get("subwiki") else ""
        if item["count"] > 1:
            return f"{item['count']} first posts wait for your approval{where}."
        who = _names(actors, item["actor_count"])
        return f"{who}'s first post “{detail.get('title', '')}” waits for your approval{where}."
    if kind == "post_approved":
        return (
            f"{_names(actors, item['actor_count'])} approved your post “{title or detail.get('title', '')}”: it is up."
        )
    if kind == "post_rejected":
        return f"{_names(actors, item['actor_count'])} rejected your post “{detail.get('title', '')}”."
    if kind == "donation":
        if detail.get("public") and detail.get("amount_cents") is not None:
            amount = f"{detail['amount_cents'] / 100:.2f} {detail.get('currency', '')}".strip()
            return f"{_names(actors, item['actor_count'])} donated {amount} to you."
        return "Someone donated to you."
    return f"{_names(actors, item['actor_count'])} {SAYS[kind]}{about}."


def _target(item: dict, actors: list[dict], me: str) -> dict:
    kind = item["kind"]
    if kind == "follower":
        return {"type": "user", "id": actors[0]["username"] if actors else None, "post_id": None}
    if kind == "badge":
        return {"type": "user", "id": me, "post_id": None}
    if kind == "donation":
        return {"type": "donations", "id": None, "post_id": None}
    if kind == "post_held":
        return {"type": "held_posts", "id": item["detail"].get("subwiki"), "post_id": None}
    if kind == "post_rejected":
        return {"type": "subwiki", "id": item["detail"].get("subwiki"), "post_id": None}
    if item["comment_id"]:
        return {"type": "comment", "id": item["comment_id"], "post_id": item["post_id"]}
    return {"type": "post", "id": item["post_id"], "post_id": item["post_id"]}


def present(items: list[dict], me: str) -> list[dict]:
    """The feed's notifications as the API shows them, their people named with one call."""
    wanted = sorted({actor for item in items for actor in item["actor_ids"] if actor})
    found = services().call("identity", "get_people", wanted) if wanted else {}
    shown = []
    for item in items:
        actors = [
            {"id": actor, "username": found[actor]["username"], "display_name": found[actor]["display_name"]}
            if actor in found
            else DELETED
            for actor in item["actor_ids"]
        ]
        shown.append(
            {
                "id": item["id"],
                "kind": item["kind"],
                "text": _text(item, actors),
                "actors": actors,
                "actor_count": item["actor_count"],
                "count": item["count"],
                "post": {"id": item["post_id"], "title": item.get("post_title") if item["post_id"] else None},
                "target": _target(item, actors, me),
                "detail": item["detail"],
                "read": item["read"],
                "created_at": item["occurred_at"],
            }
        )
    return shown


@bp.get("/notifications")
@login_required
@doc(
    "Your notifications, newest first, grouped where several people did the same",
    response=NotificationPage,
    auth=True,
    tag="Notifications",
    query=PageQuery,
)
def list_notifications():
    args = query(PageQuery)
    page = services().call("feed", "notifications", g.caller["id"], args["limit"], args["cursor"])
    return jsonify({"items": present(page["items"], g.caller["username"]), "next_cursor": page["next_cursor"]})


@bp.get("/notifications/unread")
@login_required
@doc("How many notifications you have not read (one cheap count)", response=UnreadCount, auth=True, tag="Notifications")
def unread():
    return jsonify({"unread": services().call("feed", "unread_notifications", g.caller["id"])})


@bp.post("/notifications/read")
@login_required
@doc(
    "Mark your notifications read, all of them or up to an id",
    MarkReadRequest,
    MarkedRead,
    auth=True,
    tag="Notifications",
)
def mark_read():
    data = body(MarkReadRequest)
    marked = services().call("feed", "mark_notifications_read", g.caller["id"], data["up_to"])
    return jsonify({"marked": marked, "unread": services().call("feed", "unread_notifications", g.caller["id"])})


@bp.get("/me/notification-settings")
@login_required
@doc(
    "Which kinds of notification you get (each on or off)",
    response=NotificationSettings,
    auth=True,
    tag="Notifications",
)
def get_settings():
    return jsonify(services().call("feed", "notification_settings", g.caller["id"]))


@bp.patch("/me/notification-settings")
@login_required
@doc(
    "Turn kinds of notification on or off; kinds not named keep their setting",
    NotificationSettingsRequest,
    NotificationSettings,
    auth=True,
    tag="Notifications",
)
def change_settings():
    data = body(NotificationSettingsRequest)
    return jsonify(services().call("feed", "change_notification_settings", g.caller["id"], data))
