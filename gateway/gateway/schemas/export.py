"""GET /me/export: everything each service keeps about the caller, one section per service, each
with the records it holds (so that a client can read an export without guessing its shape)."""

from __future__ import annotations

from marshmallow import fields, validate

from gateway.schemas.base import Answer, time_field
from gateway.schemas.notifications import NotificationSettings
from gateway.schemas.people import PrivateUser


def nullable_string(**kwargs):
    return fields.String(allow_none=True, **kwargs)


class KnownAccount(Answer):
    """The copy of the account a service keeps to name people."""

    id = fields.String()
    username = fields.String()
    registered_at = time_field()


# --- identity


class SessionRecord(Answer):
    id = fields.String()
    created_at = time_field()
    expires_at = time_field()
    revoked_at = time_field(allow_none=True)


class MutesRecord(Answer):
    users = fields.List(fields.String(), metadata={"description": "usernames"})
    subwikis = fields.List(fields.String(), metadata={"description": "slugs"})


class IdentityExport(Answer):
    profile = fields.Nested(PrivateUser)
    followers = fields.List(fields.String(), metadata={"description": "usernames of the people who follow you"})
    sessions = fields.List(fields.Nested(SessionRecord))
    mutes = fields.Nested(MutesRecord)
    blocks = fields.List(fields.String(), metadata={"description": "usernames of the people you blocked"})


# --- communities


class MembershipRecord(Answer):
    subwiki = fields.String()
    is_moderator = fields.Boolean()


class SubwikiEditRecord(Answer):
    subwiki = fields.String()
    revision = fields.Integer()
    summary = fields.String()
    description = fields.String()
    edit_summary = fields.String()
    restored_from = fields.Integer(allow_none=True)
    created_at = time_field()


class ModerationRecord(Answer):
    subwiki = fields.String()
    action = fields.String()
    target_type = nullable_string()
    target_id = nullable_string()
    reason = nullable_string()
    created_at = time_field()


class CommunitiesExport(Answer):
    account = fields.Nested(KnownAccount, allow_none=True)
    memberships = fields.List(fields.Nested(MembershipRecord))
    moderator_of = fields.List(fields.String())
    subwikis_started = fields.List(fields.String())
    subwiki_edits = fields.List(fields.Nested(SubwikiEditRecord))
    moderation = fields.List(fields.Nested(ModerationRecord))


# --- content


class RevisionRecord(Answer):
    post_id = fields.String()
    revision = fields.Integer()
    title = fields.String()
    body = fields.String()
    url = nullable_string()
    edit_summary = nullable_string()
    reverted = fields.Boolean()
    reverted_to = fields.Integer(allow_none=True)
    created_at = time_field()


class PostRecord(Answer):
    id = fields.String()
    kind = fields.String()
    subwiki = fields.String()
    title = fields.String()
    body = fields.String()
    url = nullable_string()
    image_id = nullable_string()
    created_at = time_field()
    removed_at = time_field(allow_none=True)
    revisions = fields.List(fields.Nested(RevisionRecord), metadata={"description": "the revisions you wrote"})


class CommentRevisionRecord(Answer):
    revision = fields.Integer()
    body = fields.String()


class CommentRecord(Answer):
    id = fields.String()
    post_id = fields.String()
    parent_id = nullable_string()
    body = fields.String()
    deleted = fields.Boolean()
    created_at = time_field()
    revisions = fields.List(fields.Nested(CommentRevisionRecord))


class VoteRecord(Answer):
    target_type = fields.String()
    target_id = fields.String()
    value = fields.Integer()


class HeldEditRecord(Answer):
    id = fields.String()
    post_id = fields.String()
    base_revision = fields.Integer()
    title = fields.String()
    body = fields.String()
    url = nullable_string()
    edit_summary = nullable_string()
    status = fields.String()
    created_at = time_field()


class HeldPostRecord(Answer):
    """A first post held for a moderator's approval: waiting, approved (then also among your posts, of the
    same id) or rejected."""

    id = fields.String()
    kind = fields.String()
    subwiki = fields.String()
    title = fields.String()
    body = fields.String()
    url = nullable_string()
    image_id = nullable_string()
    status = fields.String(validate=validate.OneOf(["waiting", "approved", "rejected"]))
    created_at = time_field()
    decided_at = time_field(allow_none=True)


class ReportRecord(Answer):
    id = fields.String()
    target_type = fields.String()
    target_id = fields.String()
    reason = fields.String()
    status = fields.String()
    created_at = time_field()


class UploadRecord(Answer):
    image_id = fields.String()
    filename = nullable_string()
    content_type = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    created_at = time_field()
    url = fields.String()


class ContentExport(Answer):
    account = fields.Nested(KnownAccount, allow_none=True)
    posts = fields.List(fields.Nested(PostRecord))
    edits_to_others_posts = fields.List(fields.Nested(RevisionRecord))
    comments = fields.List(fields.Nested(CommentRecord))
    votes = fields.List(fields.Nested(VoteRecord))
    held_edits = fields.List(fields.Nested(HeldEditRecord))
    held_posts = fields.List(fields.Nested(HeldPostRecord))
    reports = fields.List(fields.Nested(ReportRecord))
    uploads = fields.List(fields.Nested(UploadRecord))


# --- feed


class FeedVoteRecord(Answer):
    post_id = fields.String()
    value = fields.Integer()
    weight = fields.Float(metadata={"description": "what your vote counted for, from your trust"})


class NotificationRecord(Answer):
    id = fields.Integer()
    kind = fields.String()
    actor_ids = fields.List(fields.String())
    actor_count = fields.Integer()
    count = fields.Integer()
    post_id = nullable_string()
    comment_id = nullable_string()
    subwiki_id = nullable_string()
    detail = fields.Dict()
    read = fields.Boolean()
    occurred_at = time_field()


class NotificationsRecord(Answer):
    settings = fields.Nested(NotificationSettings)
    notifications = fields.List(fields.Nested(NotificationRecord))


class FeedMuteRecord(Answer):
    kind = fields.String(metadata={"description": "user, subwiki or block (a blocked person is muted too)"})
    target_id = fields.String(metadata={"description": "the person's or the subwiki's id"})


class FeedExport(Answer):
    account = fields.Nested(KnownAccount, allow_none=True)
    mutes = fields.List(fields.Nested(FeedMuteRecord), metadata={"description": "the feed's copy of your mutes"})
    following = fields.List(fields.String())
    subwikis = fields.List(fields.String())
    trust = fields.Float()
    votes = fields.List(fields.Nested(FeedVoteRecord))
    notifications = fields.Nested(NotificationsRecord)


# --- donations


class DonationRecord(Answer):
    donation_id = fields.String()
    status = fields.String()
    amount_cents = fields.Integer()
    currency = fields.String()
    recipient = fields.String()
    recurring = nullable_string()
    public = fields.Boolean()
    created_at = time_field()
    checkout_url = nullable_string()
    pledge_id = nullable_string()


class PledgeRecord(Answer):
    id = fields.String()
    status = fields.String()
    amount_cents = fields.Integer()
    currency = fields.String()
    recipient = fields.String()
    next_charge_at = time_field(allow_none=True)


class DonationsExport(Answer):
    account = fields.Nested(KnownAccount, allow_none=True)
    donations = fields.List(fields.Nested(DonationRecord))
    pledges = fields.List(fields.Nested(PledgeRecord))


class Export(Answer):
    """Everything each service holds about the caller, one section per service."""

    identity = fields.Nested(IdentityExport)
    communities = fields.Nested(CommunitiesExport)
    content = fields.Nested(ContentExport)
    feed = fields.Nested(FeedExport)
    donations = fields.Nested(DonationsExport)
