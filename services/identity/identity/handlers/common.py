"""Lookups every identity use case shares."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

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


def live_user(tx: Transaction, user_id: str) -> User:
    user = tx.session.get(User, user_id)
    if user is None or user.erased_at is not None:
        raise NotFound("No such user.")
    return user
