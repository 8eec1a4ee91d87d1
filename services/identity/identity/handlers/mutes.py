"""Mutes and blocks: whom and which subwikis a person keeps out of their way.

A mute (of a person or a subwiki) takes their posts out of the muter's home feed, front page and
notifications (the feed keeps a copy from ``user_muted`` / ``user_unmuted``). A block mutes the
person and also keeps them from following (an existing follow of theirs ends), replying to or
mentioning the blocker (content keeps a copy from ``user_blocked`` / ``user_unblocked``). Each
event carries its relation's version, one more than the last event's (identity.handlers.versions).
"""

from __future__ import annotations

from sqlalchemy import select

from identity import events
from identity.exceptions import Invalid
from identity.handlers import versions
from identity.handlers.common import live_user, user_by_username
from identity.handlers.profiles import follow_key, remove_follow
from identity.models import Block, KeyVersion, Mute, User
from svclib import pagination
from svclib.db import Transaction, isoformat

USER, SUBWIKI = "user", "subwiki"


def _mute_key(user_id: str, target_type: str, target_id: str) -> str:
    return f"{user_id}:{target_type}:{target_id}"


def _block_key(blocker_id: str, blocked_id: str) -> str:
    return f"{blocker_id}:{blocked_id}"


def _not_yourself(user_id: str, other_id: str, doing: str) -> None:
    if user_id == other_id:
        message = f"You cannot {doing} yourself."
        raise Invalid(message, fields={"username": [message]})


def _set_mute(tx: Transaction, user_id: str, target_type: str, target_id: str, slug: str | None, muted: bool) -> None:
    held = versions.hold(tx, "mute", _mute_key(user_id, target_type, target_id))
    existing = tx.session.get(Mute, (user_id, target_type, target_id))
    if muted == (existing is not None):
        return
    if muted:
        tx.session.add(Mute(user_id=user_id, target_type=target_type, target_id=target_id, target_slug=slug))
    else:
        tx.session.delete(existing)
    held.version += 1
    tx.session.flush()
    event = events.UserMuted if muted else events.UserUnmuted
    tx.emit(event(user_id=user_id, target_type=target_type, target_id=target_id, version=held.version))


def mute_user(tx: Transaction, user_id: str, username: str, muted: bool = True) -> None:
    """Mute (or with ``muted`` false unmute) a person; idempotent, one event per change."""
    live_user(tx, user_id)
    target = user_by_username(tx, username)
    _not_yourself(user_id, target.id, "mute")
    _set_mute(tx, user_id, USER, target.id, None, muted)


def mute_subwiki(tx: Transaction, user_id: str, subwiki_id: str, slug: str, muted: bool = True) -> None:
    """Mute (or unmute) a subwiki, named by its id and slug (the caller found it in communities)."""
    live_user(tx, user_id)
    _set_mute(tx, user_id, SUBWIKI, subwiki_id, slug, muted)


def block_user(tx: Transaction, blocker_id: str, username: str) -> None:
    """Block a person: ``user_blocked``, and their follow of the blocker ends (``user_unfollowed``).

    The follow's key is held before the follow is looked at, as ``follow_user`` holds it before it
    looks for a block: a follow and a block at the same moment are applied one after the other.
    """
    live_user(tx, blocker_id)
    blocked = user_by_username(tx, username)
    _not_yourself(blocker_id, blocked.id, "block")
    held = versions.hold(tx, "block", _block_key(blocker_id, blocked.id))
    follow = versions.hold(tx, "follow", follow_key(blocked.id, blocker_id))
    if tx.session.get(Block, (blocker_id, blocked.id)) is None:
        tx.session.add(Block(blocker_id=blocker_id, blocked_id=blocked.id))
        held.version += 1
        tx.session.flush()
        tx.emit(events.UserBlocked(blocker_id=blocker_id, blocked_id=blocked.id, version=held.version))
    remove_follow(tx, blocked.id, blocker_id, follow)


def unblock_user(tx: Transaction, blocker_id: str, username: str) -> None:
    blocked = user_by_username(tx, username)
    held = versions.hold(tx, "block", _block_key(blocker_id, blocked.id))
    existing = tx.session.get(Block, (blocker_id, blocked.id))
    if existing is not None:
        tx.session.delete(existing)
        held.version += 1
        tx.emit(events.UserUnblocked(blocker_id=blocker_id, blocked_id=blocked.id, version=held.version))


# --- the caller's own lists, in pages by name


def _person(row) -> dict:
    return {"id": row.id, "username": row.username, "display_name": row.display_name}


def _people_page(tx: Transaction, query, limit: int | None, cursor: str | None) -> dict:
    size = pagination.limit(limit)
    after = pagination.decode(cursor, (str,))
    if after is not None:
        query = query.where(User.username > after[0])
    rows = tx.session.execute(query.order_by(User.username).limit(size + 1)).all()
    page = pagination.page(list(rows), size, lambda row: (row.username,))
    page["items"] = [{"person": _person(row), "created_at": isoformat(row.created_at)} for row in page["items"]]
    return page


def muted_people(tx: Transaction, user_id: str, limit: int | None = None, cursor: str | None = None) -> dict:
    live_user(tx, user_id)
    query = (
        select(User.id, User.username, User.display_name, Mute.created_at)
        .join(Mute, (Mute.target_id == User.id) & (Mute.target_type == USER))
        .where(Mute.user_id == user_id, User.erased_at.is_(None))
    )
    return _people_page(tx, query, limit, cursor)


def blocked_people(tx: Transaction, user_id: str, limit: int | None = None, cursor: str | None = None) -> dict:
    live_user(tx, user_id)
    query = (
        select(User.id, User.username, User.display_name, Block.created_at)
        .join(Block, Block.blocked_id == User.id)
        .where(Block.blocker_id == user_id, User.erased_at.is_(None))
    )
    return _people_page(tx, query, limit, cursor)


# Whom a reader blocked, by id, as a page of comments marks them: at most this many (``complete`` says whether
# that was all), so that one person's thousands of blocks never make every page's answer large.
BLOCKED_IDS = 1000


def blocked_ids(tx: Transaction, user_id: str, limit: int = BLOCKED_IDS) -> dict:
    """``{"ids": [...], "complete": bool}``: the people ``user_id`` blocked (erased or not), sorted, at most
    ``limit`` of them."""
    query = select(Block.blocked_id).where(Block.blocker_id == user_id).order_by(Block.blocked_id).limit(limit + 1)
    ids = list(tx.connection.execute(query).scalars())
    return {"ids": ids[:limit], "complete": len(ids) <= limit}


def muted_subwikis(tx: Transaction, user_id: str, limit: int | None = None, cursor: str | None = None) -> dict:
    """The subwikis muted, by slug: ``{"items": [{"subwiki": {"id", "slug"}, "created_at"}], "next_cursor"}``."""
    live_user(tx, user_id)
    size = pagination.limit(limit)
    query = select(Mute).where(Mute.user_id == user_id, Mute.target_type == SUBWIKI)
    after = pagination.decode(cursor, (str,))
    if after is not None:
        query = query.where(Mute.target_slug > after[0])
    rows = tx.session.scalars(query.order_by(Mute.target_slug).limit(size + 1)).all()
    page = pagination.page(list(rows), size, lambda mute: (mute.target_slug,))
    page["items"] = [
        {"subwiki": {"id": mute.target_id, "slug": mute.target_slug}, "created_at": isoformat(mute.created_at)}
        for mute in page["items"]
    ]
    return page


def export(tx: Transaction, user_id: str) -> dict:
    """What the export shows: whom and what the person muted and blocked, by name."""
    people = tx.session.execute(
        select(Mute.target_type, Mute.target_slug, User.username)
        .outerjoin(User, (Mute.target_type == USER) & (User.id == Mute.target_id))
        .where(Mute.user_id == user_id)
    ).all()
    blocked = tx.session.scalars(
        select(User.username).join(Block, Block.blocked_id == User.id).where(Block.blocker_id == user_id)
    ).all()
    return {
        "mutes": {
            "users": sorted(row.username for row in people if row.target_type == USER and row.username),
            "subwikis": sorted(row.target_slug for row in people if row.target_type == SUBWIKI),
        },
        "blocks": sorted(blocked),
    }


# --- facts for the copies other services rebuild (feed, content), each with its latest event's version


def list_mutes(tx: Transaction, after: str | None, limit: int) -> dict:
    limit, after = pagination.facts_limit(limit), pagination.facts_after(after)
    key = Mute.user_id + ":" + Mute.target_type + ":" + Mute.target_id
    query = (
        select(key.label("k"), Mute.user_id, Mute.target_type, Mute.target_id, KeyVersion.version)
        .outerjoin(KeyVersion, (KeyVersion.kind == "mute") & (KeyVersion.key == key))
        .order_by(key)
        .limit(limit)
    )
    rows = tx.session.execute(query.where(key > after) if after else query).all()
    items = [
        {"user_id": r.user_id, "target_type": r.target_type, "target_id": r.target_id, "version": r.version}
        for r in rows
    ]
    return pagination.facts_page(items, [r.k for r in rows], limit)


def list_blocks(tx: Transaction, after: str | None, limit: int) -> dict:
    limit, after = pagination.facts_limit(limit), pagination.facts_after(after)
    key = Block.blocker_id + ":" + Block.blocked_id
    query = (
        select(key.label("k"), Block.blocker_id, Block.blocked_id, KeyVersion.version)
        .outerjoin(KeyVersion, (KeyVersion.kind == "block") & (KeyVersion.key == key))
        .order_by(key)
        .limit(limit)
    )
    rows = tx.session.execute(query.where(key > after) if after else query).all()
    items = [{"blocker_id": r.blocker_id, "blocked_id": r.blocked_id, "version": r.version} for r in rows]
    return pagination.facts_page(items, [r.k for r in rows], limit)
