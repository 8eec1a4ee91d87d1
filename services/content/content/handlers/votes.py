"""Votes: each member's one vote (+1 or -1) on a post or a comment, kept as counts on the target."""

from __future__ import annotations

from sqlalchemy import select

from content import events
from content.exceptions import Invalid, NotFound
from content.handlers import access
from content.models import KNOWN_USERS, Comment, Post, Vote, VoteVersion
from svclib.db import Transaction


def _tally(target: Post | Comment, previous: int | None, value: int | None) -> None:
    """Take the previous vote out of the target's counts and put the new one in."""
    if previous == 1:
        target.up_count -= 1
    elif previous == -1:
        target.down_count -= 1
    if value == 1:
        target.up_count += 1
    elif value == -1:
        target.down_count += 1


def vote(tx: Transaction, user_id: str, target_type: str, target_id: str, value: int | None) -> dict:
    """Cast (+1/-1), change or remove (None) the caller's one vote; returns the score."""
    if value not in (1, -1, None):
        raise Invalid("A vote is +1 or -1.", fields={"value": ["Use 1 or -1."]})
    if target_type == "post":
        target = access.post(tx, target_id, for_update=True)
    else:
        target = access.comment(tx, target_id, for_update=True)
    known = tx.session.execute(select(KNOWN_USERS.c.id).where(KNOWN_USERS.c.id == user_id)).first()
    if known is None:
        raise NotFound("No such user.")
    existing = tx.session.get(Vote, (target_type, target_id, user_id))
    previous = existing.value if existing else None
    if previous == value:
        return {"up": target.up_count, "down": target.down_count, "my_vote": value or 0}
    _tally(target, previous, value)
    if value is None:
        tx.session.delete(existing)
    elif existing is None:
        tx.session.add(Vote(target_type=target_type, target_id=target_id, voter_id=user_id, value=value))
    else:
        existing.value = value
    # The target's row lock serialises one person's votes on it: each change gets the next version.
    version = tx.session.get(VoteVersion, (target_type, target_id, user_id))
    if version is None:
        version = VoteVersion(target_type=target_type, target_id=target_id, voter_id=user_id, version=0)
        tx.session.add(version)
    version.version += 1
    event = events.VoteRemoved if value is None else events.VoteCast
    tx.emit(
        event(
            target_type=target_type,
            target_id=target_id,
            voter_id=user_id,
            value=value,
            previous=previous,
            target_author_id=target.author_id,
            version=version.version,
            **({"subwiki_id": target.subwiki_id} if target_type == "post" else {}),
        )
    )
    return {"up": target.up_count, "down": target.down_count, "my_vote": value or 0}
