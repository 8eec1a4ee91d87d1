"""Votes: each member's one vote (+1 or -1) on a post or a comment, kept as counts on the target.

A vote is the busiest write there is (a popular post gets them by the thousand), so it runs as a
few prebuilt Core statements, built once per dialect: the target's row locked (only the columns a
vote needs, never a post's text), the voter's vote, the vote written, its version moved on, the
counts changed, and the event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, exists, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite

from content import events
from content.exceptions import Invalid, NotFound
from content.kept import discussion_tag, post_tag
from content.models import KNOWN_USERS, Comment, Post, Vote, VoteVersion
from svclib import users
from svclib.db import Transaction, utcnow


def _tally(up: int, down: int, previous: int | None, value: int | None) -> tuple[int, int]:
    """The target's counts with the previous vote taken out and the new one put in."""
    if previous == 1:
        up -= 1
    elif previous == -1:
        down -= 1
    if value == 1:
        up += 1
    elif value == -1:
        down += 1
    return up, down


def vote(tx: Transaction, user_id: str, target_type: str, target_id: str, value: int | None) -> dict:
    """Cast (+1/-1), change or remove (None) the caller's one vote; returns the score."""
    if value not in (1, -1, None):
        raise Invalid("A vote is +1 or -1.", fields={"value": ["Use 1 or -1."]})
    statements = _statements(tx.connection.dialect.name)
    kind = "post" if target_type == "post" else "comment"
    key = {"target_type": target_type, "target_id": target_id, "voter_id": user_id}
    # The target's row lock serialises one person's votes on it: what is read after it is current.
    target = tx.row(statements[f"lock_{kind}"], {"target_id": target_id, "voter_id": user_id})
    if target is None or target.gone:
        raise NotFound(f"No such {kind}.")
    if not target.known:  # the voter's registration may not have arrived yet: ContentService.vote asks identity
        raise users.unknown(NotFound("No such user."), user_id)
    found = tx.row(statements["read_vote"], key)
    previous = None if found is None else found.value
    if previous == value:
        return {"up": target.up_count, "down": target.down_count, "my_vote": value or 0}
    up, down = _tally(target.up_count, target.down_count, previous, value)
    now = utcnow()
    if value is None:
        tx.run(statements["forget_vote"], key)
    else:
        tx.run(statements["keep_vote"], {**key, "value": value, "now": now})
    # Each change gets the next version (kept when the vote is removed, see VoteVersion).
    version = tx.row(statements["next_version"], {**key, "now": now}).version
    tx.run(statements[f"count_{kind}"], {"target_id": target_id, "up": up, "down": down, "now": now})
    # Written on the connection, where content.kept does not see it: the page's score moved.
    tx.touch(discussion_tag(target.post_id) if kind == "comment" else post_tag(target_id))
    event = events.VoteRemoved if value is None else events.VoteCast
    tx.emit(
        event(
            target_type=target_type,
            target_id=target_id,
            voter_id=user_id,
            value=value,
            previous=previous,
            target_author_id=target.author_id,
            version=version,
            **({"subwiki_id": target.subwiki_id} if target_type == "post" else {}),
        )
    )
    return {"up": up, "down": down, "my_vote": value or 0}


_STATEMENTS: dict[str, dict[str, Any]] = {}


def _statements(dialect: str) -> dict[str, Any]:
    """The statements a vote runs, built once per dialect, every value a parameter (the time too: ``:now``), so
    that on PostgreSQL they run on psycopg (``svclib.db.driver``)."""
    built = _STATEMENTS.get(dialect)
    if built is not None:
        return built
    insert_into = postgresql.insert if dialect == "postgresql" else sqlite.insert
    posts, comments, votes, versions = Post.__table__, Comment.__table__, Vote.__table__, VoteVersion.__table__
    known = exists().where(KNOWN_USERS.c.id == bindparam("voter_id")).label("known")
    now = bindparam("now")  # the time, a parameter as every value: run on psycopg (svclib.db.driver)
    key = (
        (votes.c.target_type == bindparam("target_type"))
        & (votes.c.target_id == bindparam("target_id"))
        & (votes.c.voter_id == bindparam("voter_id"))
    )
    keep = insert_into(votes).values(
        target_type=bindparam("target_type"),
        target_id=bindparam("target_id"),
        voter_id=bindparam("voter_id"),
        value=bindparam("value"),
        created_at=now,
        updated_at=now,
    )
    keep = keep.on_conflict_do_update(
        index_elements=[votes.c.target_type, votes.c.target_id, votes.c.voter_id],
        set_={"value": keep.excluded.value, "updated_at": keep.excluded.updated_at},
    )
    bump = insert_into(versions).values(
        target_type=bindparam("target_type"),
        target_id=bindparam("target_id"),
        voter_id=bindparam("voter_id"),
        version=literal_column("1"),
        created_at=now,
        updated_at=now,
    )
    bump = bump.on_conflict_do_update(
        index_elements=[versions.c.target_type, versions.c.target_id, versions.c.voter_id],
        set_={"version": versions.c.version + literal_column("1"), "updated_at": bump.excluded.updated_at},
    ).returning(versions.c.version)
    built = _STATEMENTS[dialect] = {
        "lock_post": _lock(posts, posts.c.removed_at, known, posts.c.subwiki_id),
        "lock_comment": _lock(comments, comments.c.deleted_at, known, comments.c.post_id),
        "read_vote": select(votes.c.value).where(key),
        "keep_vote": keep,
        "forget_vote": delete(votes).where(key),
        "next_version": bump,
        "count_post": _count(posts, now),
        "count_comment": _count(comments, now),
    }
    return built


def _lock(table, gone_at, known, *extra):
    """A target's row locked, only what a vote needs: its author, counts, whether it is gone, whether the voter
    is known (and ``extra``: a post's subwiki, a comment's post)."""
    return (
        select(
            *extra, table.c.author_id, table.c.up_count, table.c.down_count, gone_at.is_not(None).label("gone"), known
        )
        .where(table.c.id == bindparam("target_id"))
        .with_for_update(of=table)
    )


def _count(table, now):
    """A target's counts set to the tally's."""
    return (
        update(table)
        .where(table.c.id == bindparam("target_id"))
        .values(up_count=bindparam("up"), down_count=bindparam("down"), updated_at=now)
    )
