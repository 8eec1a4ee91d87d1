"""Events the identity service publishes: one declared type each (svclib.contracts), emitted through it.

Consumed here: communities' member_joined / member_left keep the subwiki list of each profile; content's
post_edited, post_reverted, vote_cast, vote_removed (each vote with its "version") and report_resolved
feed trust (identity/trust.py); donations' donation_completed gives the supporter badge (consumes.py
names the fields read). Versions: identity.handlers.versions.
"""

from __future__ import annotations

from svclib.contracts import Event


class UserFields(Event):
    """A person as other services show them; ``profile_version`` is the profile's (1 at registration, one more
    each change): a copy of these fields applies an event only when newer than the one it holds."""

    id: str
    username: str
    display_name: str
    created_at: str
    profile_version: int

    @classmethod
    def of(cls, user) -> UserFields:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            created_at=_iso(user.created_at),
            profile_version=user.profile_version,
        )


def _iso(value) -> str:
    return value.isoformat()  # as the profiles' schemas write it


class UserRegistered(UserFields, event_type="user_registered", entity="user"):
    """Someone signed up."""


class UserUpdated(UserFields, event_type="user_updated", entity="user"):
    """A person's display name (or another shown field) changed."""


class UserErased(Event, event_type="user_erased", entity="user"):
    """An account was erased: every service forgets what it holds of the person."""

    id: str


class FollowFields(Event):
    """A follow relation; ``version`` is the relation's: apply an event only when newer than the one applied."""

    follower_id: str
    followee_id: str
    version: int


class UserFollowed(FollowFields, event_type="user_followed", entity="follow"):
    """Someone follows someone."""


class UserUnfollowed(FollowFields, event_type="user_unfollowed", entity="follow"):
    """Someone stopped following someone."""


class MuteFields(Event):
    """A mute: ``user_id`` does not want the posts of a person (``target_type`` "user") or a subwiki ("subwiki")
    in their home feed, front page and notifications; ``version`` is the mute's, as a follow's."""

    user_id: str
    target_type: str
    target_id: str
    version: int


class UserMuted(MuteFields, event_type="user_muted", entity="mute"):
    """Someone muted a person or a subwiki."""


class UserUnmuted(MuteFields, event_type="user_unmuted", entity="mute"):
    """Someone unmuted a person or a subwiki."""


class BlockFields(Event):
    """A block: ``blocker_id`` mutes ``blocked_id``, who may not follow, reply to or mention them;
    ``version`` is the block's, as a follow's."""

    blocker_id: str
    blocked_id: str
    version: int


class UserBlocked(BlockFields, event_type="user_blocked", entity="block"):
    """Someone blocked a person (their follow of the blocker ends, with its own user_unfollowed)."""


class UserUnblocked(BlockFields, event_type="user_unblocked", entity="block"):
    """Someone lifted a block."""


class UserTrustChanged(Event, event_type="user_trust_changed", entity="user"):
    """A person's trust moved at least 0.02 (``identity.trust.TOLD_STEP``) from the value last told, or reached the
    floor or 1.0; a newer value carries a higher ``version``."""

    id: str
    trust: float
    version: int


class UserBadgeAwarded(Event, event_type="user_badge_awarded", entity="user"):
    """A badge shown on a profile, awarded once per person and badge."""

    id: str
    badge: str
