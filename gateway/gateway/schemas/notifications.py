"""Answers about notifications: a page of them, the unread count, the settings."""

from __future__ import annotations

from marshmallow import fields, validate

from gateway.schemas.base import Answer, page_of, time_field
from gateway.schemas.requests import NOTIFICATION_KINDS

NotificationSettings = type(
    "NotificationSettings",
    (Answer,),
    {
        kind: fields.Boolean(metadata={"description": "on: notifications of this kind are shown"})
        for kind in NOTIFICATION_KINDS
    },
)


class NotificationActor(Answer):
    id = fields.String(allow_none=True, metadata={"description": "null for a deleted member"})
    username = fields.String(allow_none=True)
    display_name = fields.String(metadata={"description": "'a deleted member' for an erased account"})


class NotificationTarget(Answer):
    type = fields.String(validate=validate.OneOf(["post", "comment", "user", "donations", "held_posts", "subwiki"]))
    id = fields.String(
        allow_none=True,
        metadata={
            "description": "the post's or comment's id, or the username; for held_posts (the subwiki's queue of"
            " first posts waiting for approval) and subwiki, the subwiki's slug"
        },
    )
    post_id = fields.String(allow_none=True, metadata={"description": "the post a comment is on"})


class NotificationPost(Answer):
    id = fields.String(allow_none=True)
    title = fields.String(allow_none=True, metadata={"description": "null when the feed does not hold it"})


class Notification(Answer):
    id = fields.Integer(metadata={"description": "grows: pass to POST /notifications/read"})
    kind = fields.String(validate=validate.OneOf(NOTIFICATION_KINDS))
    text = fields.String(metadata={"description": "what happened, in English (the site writes its own)"})
    actors = fields.List(
        fields.Nested(NotificationActor), metadata={"description": "who, newest first (a group names up to 50)"}
    )
    actor_count = fields.Integer(metadata={"description": "how many people in all"})
    count = fields.Integer(metadata={"description": "how many events this groups"})
    post = fields.Nested(NotificationPost, metadata={"description": "the post it is about (id null when none)"})
    target = fields.Nested(NotificationTarget, metadata={"description": "what to open"})
    detail = fields.Dict(
        metadata={
            "description": "by kind: content_removed {target_type, reason}; donation {public, and amount_cents and"
            " currency only when public}; report_resolved {action: uphold|dismiss, target_type}; badge {badge};"
            " edit_held {change_id}; post_held, post_approved and post_rejected {held_post_id, title, subwiki}"
            " (a held post is in no feed: its title and subwiki's slug travel here); otherwise {}"
        }
    )
    read = fields.Boolean()
    created_at = time_field()


NotificationPage = page_of(Notification, "NotificationPage")


class UnreadCount(Answer):
    unread = fields.Integer(metadata={"description": "unread notifications, at most 100"})


class MarkedRead(Answer):
    marked = fields.Integer(metadata={"description": "how many were unread and now are read"})
    unread = fields.Integer()
