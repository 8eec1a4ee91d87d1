"""People donations name: donors and recipients, from the service's copy of known accounts."""

from __future__ import annotations

from sqlalchemy import select

from donations.exceptions import NotFound
from donations.models import KNOWN_USERS
from svclib.db import Transaction


def find_person(tx: Transaction, user_id: str | None = None, username: str | None = None):
    column, value = (KNOWN_USERS.c.id, user_id) if user_id else (KNOWN_USERS.c.username, (username or "").lower())
    row = tx.session.execute(select(KNOWN_USERS).where(column == value, KNOWN_USERS.c.erased_at.is_(None))).first()
    if row is None:
        raise NotFound("No such person.")
    return row


def names_of(tx: Transaction, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = tx.session.execute(select(KNOWN_USERS.c.id, KNOWN_USERS.c.username).where(KNOWN_USERS.c.id.in_(ids)))
    return dict(rows.all())


# What a gift to a person whose account was erased names as its recipient: not the platform (NULL),
# not anyone's id.
ERASED_RECIPIENT = ""


def recipient_named(names: dict[str, str], recipient_id: str | None) -> str | None:
    """ "platform", "@username", or None for a person whose account was erased."""
    if recipient_id is None:
        return "platform"
    return f"@{names[recipient_id]}" if recipient_id in names else None
