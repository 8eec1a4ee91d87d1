"""A person's own data: the export of everything identity holds on them, and its erasure."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from identity import events
from identity.exceptions import NotFound
from identity.handlers.common import live_user
from identity.handlers.profiles import private_view
from identity.models import Follow, HeldUsername, Session, SubwikiMembership, User
from identity.schemas import SessionExportSchema
from svclib.db import Transaction

# An erased account's username is nobody's for this long, so no one can pass for its owner at once.
USERNAME_HELD = timedelta(days=30)


def get_password_hash(tx: Transaction, user_id: str) -> str:
    return live_user(tx, user_id).password_hash


def erase(tx: Transaction, user_id: str, now: datetime) -> list[str]:
    """Erase an account: personal data gone, the id kept so content can be anonymised."""
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
    tx.session.execute(delete(SubwikiMembership).where(SubwikiMembership.user_id == user_id))
    held = tx.session.get(HeldUsername, user.username)
    if held is None:
        tx.session.add(HeldUsername(username=user.username, until=now + USERNAME_HELD))
    else:
        held.until = now + USERNAME_HELD
    user.username = f"deleted_{user.id[:20]}"
    user.email = user.email_normalised = f"{user.id}@erased.invalid"
    user.display_name = "Deleted account"
    user.bio = ""
    user.password_hash = ""
    user.badges = []
    user.erased_at = now
    tx.emit(events.USER_ERASED, "user", {"id": user.id})
    return list(revoked)


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
    }
