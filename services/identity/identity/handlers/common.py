"""Lookups every identity use case shares."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, select

from identity.exceptions import NotFound
from identity.models import User
from svclib.db import Transaction


def aware(value: datetime) -> datetime:
    """SQLite gives back naive datetimes; every time identity stores is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def user_by_username(tx: Transaction, username: str) -> User:
    user = tx.session.scalar(select(User).where(User.username == username.lower(), User.erased_at.is_(None)))
    if user is None:
        raise NotFound("No such user.")
    return user


def live_user(tx: Transaction, user_id: str, lock: bool = False) -> User:
    """The live account ``user_id``; with ``lock``, its row locked (FOR UPDATE) until the transaction ends."""
    user = tx.session.get(User, user_id, with_for_update=lock or None, populate_existing=lock)
    if user is None or user.erased_at is not None:
        raise NotFound("No such user.")
    return user


def lock_people(tx: Transaction, user_ids: list[str]) -> dict[str, User]:
    """Lock the live accounts among ``user_ids`` for this transaction (step 1 of the lock order)."""
    wanted = sorted({user_id for user_id in user_ids if user_id})
    if not wanted:
        return {}
    rows = tx.session.scalars(
        select(User)
        .where(User.id.in_(wanted))
        .order_by(User.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).all()
    return {user.id: user for user in rows if user.erased_at is None}


_USERS = User.__table__
LOCK_PERSON = select(_USERS.c.erased_at).where(_USERS.c.id == bindparam("user_id")).with_for_update(key_share=True)


def lock_person(tx: Transaction, user_id: str) -> bool:
    """Lock one person's row as :func:`lock_people` does (step 1 of the lock order), without loading it
    into the session; whether the account is live."""
    row = tx.connection.execute(LOCK_PERSON, {"user_id": user_id}).first()
    return row is not None and row.erased_at is None
