"""A person's own data: the export of everything identity holds on them, and its erasure."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from identity import events
from identity.exceptions import NotFound
from identity.handlers import mutes
from identity.handlers.common import live_user
from identity.handlers.profiles import private_view
from identity.handlers.trust_inputs import recompute_trust
from identity.models import (
    OUTBOX,
    RATE_LIMITS,
    Block,
    Follow,
    HeldUsername,
    KeyVersion,
    Mute,
    ReceivedVote,
    Session,
    SubwikiMembership,
    TrustStats,
    User,
)
from identity.schemas import SessionExportSchema
from svclib import users
from svclib.db import Transaction

# An erased account's username is nobody's for this long, so no one can pass for its owner at once.
USERNAME_HELD = timedelta(days=30)


def get_password_hash(tx: Transaction, user_id: str) -> str:
    return live_user(tx, user_id).password_hash


def erase(tx: Transaction, user_id: str, now: datetime) -> list[str]:
    """Erase an account: its row and everything keyed by its id go; ``user_erased`` carries the id to
    the other services, which forget it too. Only the username stays, held (without the id) so that
    nobody passes for its owner at once. The up-votes it cast leave the trust of those it voted for."""
    # Locked FOR UPDATE first: the username, a key, changes (the lock order in identity.handlers).
    user = tx.session.scalar(
        select(User).where(User.id == user_id).with_for_update().execution_options(populate_existing=True)
    )
    if user is None or user.erased_at is not None:
        raise NotFound("No such user.")
    revoked = tx.session.scalars(
        select(Session.token_hash).where(Session.user_id == user_id, Session.revoked_at.is_(None))
    ).all()
    tx.session.execute(delete(Session).where(Session.user_id == user_id))
    tx.session.execute(delete(Follow).where((Follow.follower_id == user_id) | (Follow.followee_id == user_id)))
    tx.session.execute(delete(Block).where((Block.blocker_id == user_id) | (Block.blocked_id == user_id)))
    tx.session.execute(
        delete(Mute).where((Mute.user_id == user_id) | ((Mute.target_type == "user") & (Mute.target_id == user_id)))
    )
    tx.session.execute(delete(SubwikiMembership).where(SubwikiMembership.user_id == user_id))
    held = tx.session.get(HeldUsername, user.username)
    if held is None:
        tx.session.add(HeldUsername(username=user.username, until=now + USERNAME_HELD))
    else:
        held.until = now + USERNAME_HELD
    voted_for = sorted(set(tx.session.scalars(select(ReceivedVote.author_id).where(ReceivedVote.voter_id == user_id))))
    tx.session.execute(delete(ReceivedVote).where(ReceivedVote.voter_id == user_id))
    tx.session.execute(delete(ReceivedVote).where(ReceivedVote.author_id == user_id))
    tx.session.execute(delete(TrustStats).where(TrustStats.user_id == user_id))
    tx.session.delete(user)
    tx.session.flush()
    users.forget(tx, user_id, keys=(KeyVersion.key, RATE_LIMITS.c.key), outbox=OUTBOX)
    tx.emit(events.UserErased(id=user_id))
    for author_id in voted_for:
        if author_id != user_id:
            recompute_trust(tx, author_id, now)
    return list(revoked)


def forget_announcement(tx: Transaction, user_id: str, event_id: str) -> None:
    """``user_erased`` was published (identity hears it too): the announcement, the last row naming
    the id, leaves the outbox."""
    users.forget(tx, user_id, outbox=OUTBOX, event_id=event_id)


def export(tx: Transaction, user_id: str) -> dict:
    user = live_user(tx, user_id)
    followers = tx.session.scalars(
        select(User.username).join(Follow, Follow.follower_id == User.id).where(Follow.followee_id == user_id)
    ).all()
    sessions = tx.session.scalars(select(Session).where(Session.user_id == user_id).order_by(Session.created_at)).all()
    return {
        "profile": private_view(tx, user.id),
        "followers": list(followers),
        "sessions": SessionExportSchema(many=True).dump(sessions),
        **mutes.export(tx, user_id),
    }
