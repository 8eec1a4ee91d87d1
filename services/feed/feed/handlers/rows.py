"""Finding and locking the read model's rows.

Locks are taken in one order, so that no two events ever wait on each other:

1. the voter's trust row (``FeedTrust``): a vote shares it (FOR SHARE), so that a change of
   the voter's trust, which holds it (FOR UPDATE), reweighs every vote or waits for it;
2. the author's row (``FeedAuthor``), before any of the author's posts;
3. posts, FOR UPDATE, in id order: a change of several posts locks them all by id first
   (``lock_posts``); a post's votes, comments and edits change only under its lock;
4. last, the version row of the key a state event is about (``FeedVersion``).

A row is locked in the mode its transaction needs when it is first read, never upgraded.

Events that carry a state (a vote, a membership, a follow, a trust value) carry their
source's version of it, a sequence per key: one no newer than the version held for its key
is not applied (``newer``; a trust value by the version on its own row), so late and
repeated deliveries change nothing.
"""

from __future__ import annotations

from sqlalchemy import select

from feed.consumes import NEW_ACCOUNT_TRUST
from feed.models import FeedPost, FeedTrust, FeedVersion
from svclib.db import Transaction, locked_row


def locked_post(tx: Transaction, post_id: str) -> FeedPost | None:
    """The post, locked: concurrent events about one post must not lose each other's updates."""
    return tx.session.scalar(select(FeedPost).where(FeedPost.id == post_id).with_for_update())


def lock_posts(tx: Transaction, *conditions) -> None:
    """Lock every post that matches, in id order, before a statement changes them all."""
    tx.session.execute(select(FeedPost.id).where(*conditions).order_by(FeedPost.id).with_for_update())


def trust_row(tx: Transaction, user_id: str, share: bool = False) -> FeedTrust:
    """A person's trust row, locked: a vote and a change of its voter's trust are applied one after the other."""
    return locked_row(tx, FeedTrust, {"user_id": user_id}, {"trust": NEW_ACCOUNT_TRUST}, share=share)


def newer(tx: Transaction, kind: str, key: str, version: int | None) -> bool:
    """Whether a state event of ``version`` for ``key`` is newer than the one held; it is then held.

    The key's version row stays locked until the transaction ends: events about one key are
    applied one after the other. An event without a version (from an older producer) applies.
    """
    if version is None:
        return True
    held = locked_row(tx, FeedVersion, {"kind": kind, "key": key}, {"version": 0})
    if version <= held.version:
        return False
    held.version = version
    return True
