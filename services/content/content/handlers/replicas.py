"""Content's copies of other services' facts: who belongs where (communities) and each person's trust (identity)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from content.models import NEW_ACCOUNT_TRUST, Member, Trust
from svclib.db import Transaction


def record_membership(tx: Transaction, membership: dict, joined: bool) -> None:
    key = (membership["subwiki_id"], membership["user_id"])
    member = tx.session.get(Member, key)
    if joined and member is None:
        tx.session.add(
            Member(
                subwiki_id=key[0],
                user_id=key[1],
                subwiki_slug=membership["subwiki"],
                is_moderator=bool(membership.get("is_moderator")),
            )
        )
    elif not joined and member is not None:
        tx.session.delete(member)


def record_moderator(tx: Transaction, membership: dict, is_moderator: bool) -> None:
    record_membership(tx, membership, joined=True)
    tx.session.flush()
    member = tx.session.get(Member, (membership["subwiki_id"], membership["user_id"]))
    member.is_moderator = is_moderator


def record_trust(tx: Transaction, user_id: str, trust: float, as_of: datetime | None = None) -> None:
    """A person's trust from identity; a change computed before the value held (arriving late) is ignored."""
    row = tx.session.scalar(select(Trust).where(Trust.user_id == user_id).with_for_update())
    if row is None:
        tx.session.add(Trust(user_id=user_id, trust=trust, as_of=as_of))
    elif as_of is None or row.as_of is None or as_of > row.as_of:
        row.trust, row.as_of = trust, as_of or row.as_of


def trust_of(tx: Transaction, user_id: str) -> float:
    row = tx.session.get(Trust, user_id)
    return row.trust if row is not None else NEW_ACCOUNT_TRUST
