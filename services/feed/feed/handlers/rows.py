"""Finding and locking the read model's rows.

Locks are taken in one order, so that no two events ever wait on each other:

1. the voter's trust row (``FeedTrust``): a vote shares it (FOR SHARE), so that a change of
   the voter's trust, which holds it (FOR UPDATE), reweighs every vote or waits for it;
2. the author's row (``FeedAuthor``), before any of the author's posts;
3. posts, FOR UPDATE, in id order: a change of several posts locks them all by id first
   (``lock_posts``); a post's votes, comments and edits change only under its lock. A post not
   held yet has its place locked instead (``hold_post``), which its creation takes too. A person's or a
   subwiki's names (``FeedPerson``, ``FeedSubwiki``) are locked before the posts that show them (a post's
   creation shares its subwiki's, then its author's, after the author's row and its own place, and before it
   locks any other post);
4. last, the version row of the key a state event is about (``FeedVersion``).

A row is locked in the mode its transaction needs when it is first read, never upgraded.

A post's votes and comments travel on queues of their own, consumed beside ``post_created``'s, so
one may arrive before the post does. It is kept all the same, and counted into the post when the
post comes (``post_created``); a removal that comes first is kept too, and the post comes removed.
An edit or a revert that comes first is delivered again later (``svclib.events.NotYet``).

Events that carry a state (a vote, a membership, a follow, a trust value, a name) carry their
source's version of it, a sequence per key: one no newer than the version held for its key
is not applied (``newer``; a trust value or a name by the version on its own row), so late and
repeated deliveries change nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from feed.consumes import NEW_ACCOUNT_TRUST
from feed.models import FeedPost, FeedTrust, FeedVersion
from svclib.db import Transaction, locked_row, name_lock, utcnow


def locked_post(tx: Transaction, post_id: str) -> FeedPost | None:
    """The post, locked: concurrent events about one post must not lose each other's updates."""
    return tx.session.scalar(_LOCKED_POST, {"post_id": post_id})


_LOCKED_POST = select(FeedPost).where(FeedPost.id == bindparam("post_id")).with_for_update()  # built once


def held_post(tx: Transaction, post_id: str) -> FeedPost | None:
    """The post, locked; one not held yet has its place locked, so that its creation, if on its way, waits for
    this transaction to end and then counts what it kept (or this one waits for the creation, and gets it)."""
    row = locked_post(tx, post_id)
    if row is None:
        hold_post(tx, post_id)
        row = locked_post(tx, post_id)
    return row


def hold_post(tx: Transaction, post_id: str) -> None:
    """Lock the place of a post the feed may not hold yet, until the transaction ends."""
    name_lock(tx, f"feed-post:{post_id}")


def lock_posts(tx: Transaction, *conditions) -> list[str]:
    """Lock every post that matches, in id order, before a statement changes them all; their ids."""
    return list(tx.session.scalars(select(FeedPost.id).where(*conditions).order_by(FeedPost.id).with_for_update()))


def trust_row(tx: Transaction, user_id: str, share: bool = False) -> FeedTrust:
    """A person's trust row, locked: a vote and a change of its voter's trust are applied one after the other."""
    return locked_row(tx, FeedTrust, {"user_id": user_id}, {"trust": NEW_ACCOUNT_TRUST}, share=share)


def shared_trust(tx: Transaction, user_id: str) -> float:
    """A voter's trust, their row shared (FOR SHARE) until the transaction ends, made first if missing, as
    :func:`trust_row` with ``share`` does: two prebuilt Core statements at most, no ORM object (a vote needs
    only the value)."""
    statements = _trust_statements(tx.connection.dialect.name)
    params = {"user_id": user_id}
    held = tx.row(statements["share"], params)
    if held is None:
        tx.run(statements["make"], {**params, "trust": NEW_ACCOUNT_TRUST, "now": utcnow()})
        held = tx.row(statements["share"], params)
    return held.trust


_TRUST_STATEMENTS: dict[str, dict[str, Any]] = {}


def _trust_statements(dialect: str) -> dict[str, Any]:
    built = _TRUST_STATEMENTS.get(dialect)
    if built is None:
        table = FeedTrust.__table__
        insert_into = postgresql.insert if dialect == "postgresql" else sqlite.insert
        now = bindparam("now")  # every value a parameter: run on psycopg (svclib.db.driver)
        built = _TRUST_STATEMENTS[dialect] = {
            "share": select(table.c.trust).where(table.c.user_id == bindparam("user_id")).with_for_update(read=True),
            "make": insert_into(table)
            .values(user_id=bindparam("user_id"), trust=bindparam("trust"), created_at=now, updated_at=now)
            .on_conflict_do_nothing(),
        }
    return built


def newer(tx: Transaction, kind: str, key: str, version: int | None) -> bool:
    """Whether a state event of ``version`` for ``key`` is newer than the one held; it is then held.

    The key's version row stays locked until the transaction ends: events about one key are
    applied one after the other. An event without a version (from an older producer) applies.
    """
    if version is None:
        return True
    # One statement: the row made with this version, or moved to it only if older; an upsert locks the
    # row it meets whether or not it changes it. A row comes back only when this version is newer.
    params = {"kind": kind, "key": key, "version": int(version), "now": utcnow()}
    return tx.row(_version_upsert(tx.connection.dialect.name), params) is not None


_VERSION_UPSERT: dict[str, Any] = {}


def _version_upsert(dialect: str):
    """``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` the held one is older ``RETURNING``, built once per dialect."""
    statement = _VERSION_UPSERT.get(dialect)
    if statement is None:
        table = FeedVersion.__table__
        insert_into = postgresql.insert if dialect == "postgresql" else sqlite.insert
        now = bindparam("now")  # every value a parameter: run on psycopg (svclib.db.driver)
        values = {"kind": bindparam("kind"), "key": bindparam("key"), "version": bindparam("version")}
        upsert = insert_into(table).values(**values, created_at=now, updated_at=now)
        statement = _VERSION_UPSERT[dialect] = upsert.on_conflict_do_update(
            index_elements=[table.c.kind, table.c.key],
            set_={"version": upsert.excluded.version, "updated_at": upsert.excluded.updated_at},
            where=table.c.version < upsert.excluded.version,
        ).returning(table.c.version)
    return statement
