"""Content's copies of other services' facts: who belongs where (communities), each person's trust and who
blocked whom (identity), each post's quality (the feed, kept in the post's row), and the names a listed post
shows (its author's, identity; its subwiki's, communities)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import bindparam, select, update

from content.consumes import NEW_ACCOUNT_TRUST
from content.kept import post_tag
from content.models import KNOWN_USERS, Block, Member, MemberVersion, PersonName, Post, SubwikiName, Trust
from svclib import users
from svclib.db import Transaction, locked_row


def _newer_membership(tx: Transaction, membership: dict) -> bool:
    """Whether a membership event is newer than the one applied for its membership; it is then the one held.

    The version row stays locked until the transaction ends, so events about one membership apply one
    after the other. An event without a version (from an older producer) applies as it comes.
    """
    key = {"subwiki_id": membership["subwiki_id"], "user_id": membership["user_id"]}
    held = locked_row(tx, MemberVersion, key, {"version": 0})
    version = membership.get("version")
    if version is None:
        return True
    if int(version) <= held.version:
        return False
    held.version = int(version)
    return True


def record_membership(tx: Transaction, membership: dict, joined: bool) -> None:
    """A join or a leave from communities; one no newer than the membership's version held changes nothing."""
    if _newer_membership(tx, membership):
        _set_member(tx, membership, joined, bool(membership.get("is_moderator")))


def record_moderator(tx: Transaction, membership: dict, is_moderator: bool) -> None:
    """A moderator appointed or dismissed (the membership's state, with its version)."""
    if _newer_membership(tx, membership):
        _set_member(tx, membership, True, is_moderator)


def _set_member(tx: Transaction, membership: dict, present: bool, is_moderator: bool) -> None:
    key = (membership["subwiki_id"], membership["user_id"])
    member = tx.session.get(Member, key)
    if present and member is None:
        tx.session.add(
            Member(subwiki_id=key[0], user_id=key[1], subwiki_slug=membership["subwiki"], is_moderator=is_moderator)
        )
    elif present:
        member.is_moderator = is_moderator
    elif member is not None:
        tx.session.delete(member)


def record_trust(
    tx: Transaction, user_id: str, trust: float, as_of: datetime | None = None, version: int | None = None
) -> None:
    """A person's trust from identity; one no newer than the value held (by identity's version of it,
    or for events without one by when it was computed) is ignored."""
    row = tx.session.scalar(select(Trust).where(Trust.user_id == user_id).with_for_update())
    if row is None:
        tx.session.add(Trust(user_id=user_id, trust=trust, as_of=as_of, version=version))
        return
    if version is not None:
        if row.version is not None and int(version) <= row.version:
            return
    elif as_of is not None and row.as_of is not None and as_of <= row.as_of:
        return
    row.trust, row.as_of, row.version = trust, as_of or row.as_of, version if version is not None else row.version


def trust_of(tx: Transaction, user_id: str) -> float:
    row = tx.session.get(Trust, user_id)
    return row.trust if row is not None else NEW_ACCOUNT_TRUST


def record_block(tx: Transaction, block: dict, blocked: bool) -> None:
    """A block or an unblock from identity, applied only when newer than the block's version held.

    Kept from events, as memberships and trust are, rather than asked of identity at each reply: a reply
    or a mention then needs identity neither up nor fast, and a block takes effect here as soon as its
    event arrives (usually within the second of the blocker's request)."""
    key = {"blocker_id": block["blocker_id"], "blocked_id": block["blocked_id"]}
    held = locked_row(tx, Block, key, {"active": False, "version": 0})
    version = block.get("version")
    if version is not None and int(version) <= held.version:
        return
    held.active = blocked
    held.version = int(version) if version is not None else held.version


def blockers_among(tx: Transaction, people: list[str | None], user_id: str) -> set[str]:
    """Which of ``people`` blocked ``user_id``."""
    wanted = {person for person in people if person and person != user_id}
    if not wanted:
        return set()
    return set(
        tx.session.scalars(
            select(Block.blocker_id).where(
                Block.blocked_id == user_id, Block.blocker_id.in_(sorted(wanted)), Block.active.is_(True)
            )
        )
    )


def record_quality(tx: Transaction, post: dict) -> None:
    """The feed's quality of a post, kept in the post's row (for search); one no newer than the version held
    changes nothing. One UPDATE: concurrent changes of one post's quality wait for each other's row lock and
    then test the version again, so the newest stays whatever the order. The post's ``updated_at`` (its
    last edit) is left as it is; its search document is not made again (none of its sources is set)."""
    record_qualities(tx, [post])


def record_qualities(tx: Transaction, posts: list[dict]) -> None:
    """Several posts' qualities from one event (``post_qualities_changed``), each as :func:`record_quality` keeps
    one, in one statement run for them all; in the order of their ids, so that two such events sharing posts
    take their rows' locks in the same order and never wait for each other in a circle. A prebuilt Core statement
    on the transaction's connection: one such event arrives per vote."""
    params = [
        {"post_id": post["id"], "new_quality": float(post["quality"]), "new_version": int(post["version"])}
        for post in sorted(posts, key=lambda post: post["id"])
    ]
    if params:
        tx.connection.execute(_SET_QUALITY, params)
        # On the connection, where content.kept does not see it: the posts' pages show their quality.
        tx.touch(*(post_tag(param["post_id"]) for param in params))


_POSTS = Post.__table__
_SET_QUALITY = (
    update(_POSTS)
    .where(_POSTS.c.id == bindparam("post_id"), _POSTS.c.quality_version < bindparam("new_version"))
    .values(quality=bindparam("new_quality"), quality_version=bindparam("new_version"), updated_at=_POSTS.c.updated_at)
)


def record_person_name(
    tx: Transaction, user: dict, registered: bool, exists: Callable[[str], bool] | None = None
) -> None:
    """A person's names as listed posts show them, from identity's ``user_registered`` (``registered``) and
    ``user_updated``: applied only when newer than the names held by identity's ``profile_version`` (a sequence
    per person), under the row's lock, so that a registration announced again, or two renames in either order,
    leave the newest names.

    A rename of a person content does not know (their known_users row, shared until the transaction ends, so
    that an erasure waits for it or it for the erasure) is tried again later (``NotYet``) while identity says
    the account ``exists``: the registration is still on its way, on its own queue, and the rename, newer, then
    applies after it. Of an account identity no longer has (erased since), the rename is dropped: an erased
    person's names never come back, nor wait in a queue. An event without a
    version (an older producer) applies as before: a registration keeps the names held, a rename replaces them.
    """
    if not registered and not users.known_or_awaited(tx, KNOWN_USERS, user["id"], exists):
        return
    names = {"username": user["username"], "display_name": user.get("display_name") or user["username"]}
    version = user.get("profile_version")
    row = locked_row(tx, PersonName, {"id": user["id"]}, {**names, "version": int(version or 0)})
    if version is None:
        if not registered:
            row.username, row.display_name = names["username"], names["display_name"]
    elif int(version) > row.version:
        row.username, row.display_name, row.version = names["username"], names["display_name"], int(version)


def record_subwiki_name(tx: Transaction, subwiki: dict) -> None:
    """A subwiki's name as listed posts show it; a revision no newer than the one held changes nothing."""
    revision = int(subwiki.get("revision") or 1)
    shown = {"slug": subwiki["slug"], "name": subwiki["name"], "revision": revision}
    row = locked_row(tx, SubwikiName, {"id": subwiki["id"]}, shown)
    if revision > row.revision:
        row.slug, row.name, row.revision = shown["slug"], shown["name"], revision
