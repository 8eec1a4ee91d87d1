"""People, subwikis and who follows or belongs to what: names shown on entries and the home feed's sources."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import update

from feed.handlers.rows import lock_posts, newer
from feed.models import KNOWN_USERS, FeedFollow, FeedMembership, FeedMute, FeedPerson, FeedPost, FeedSubwiki
from svclib import users
from svclib.db import Transaction, locked_row


def person_changed(tx: Transaction, user: dict) -> None:
    """An author's names as the feed shows them (registered, renamed, or a rebuild's fact), applied only when
    newer than the names held by identity's ``profile_version`` (a sequence per person), so that a registration
    delivered again, or two renames in either order, leave the newest; an event without a version (an older
    producer) applies as it comes. The person's row is locked first, then their posts (``post_created`` shares
    the row before it counts the post in; ``person_renamed`` keeps an erasure out)."""
    version = user.get("profile_version")
    names = {"username": user["username"], "display_name": user.get("display_name") or user["username"]}
    person = locked_row(tx, FeedPerson, {"id": user["id"]}, {**names, "version": int(version or 0)})
    if version is None:
        person.username = user.get("username", person.username)
        person.display_name = user.get("display_name") or person.display_name
    elif int(version) < person.version:
        return
    else:  # newer, or the one just made from this event
        person.username, person.display_name, person.version = names["username"], names["display_name"], int(version)
    tx.session.flush()
    lock_posts(tx, FeedPost.author_id == user["id"])
    tx.session.execute(
        update(FeedPost)
        .where(FeedPost.author_id == user["id"])
        .values(author_username=person.username, author_display_name=person.display_name)
    )


def person_renamed(tx: Transaction, user: dict, exists: Callable[[str], bool] | None = None) -> None:
    """Identity's ``user_updated``. A person the feed does not know (their known_users row, shared until the
    transaction ends, so that an erasure waits for it or it for the erasure) is tried again later
    (``NotYet``) while identity says the account ``exists``: their registration is still on its way, on its
    own queue, and the rename, newer, then applies after it. Of an account identity no longer has (erased
    since), the rename is dropped: an erased person's names never come back, nor wait in a queue.
    """
    if users.known_or_awaited(tx, KNOWN_USERS, user["id"], exists):
        person_changed(tx, user)


def subwiki_named(tx: Transaction, subwiki: dict) -> None:
    """A subwiki's names as the feed shows them (communities' ``subwiki_created`` and ``subwiki_edited``, or a
    rebuild's fact), applied only when newer than the ones held by the subwiki's ``revision`` (communities'
    version of it, one more each edit); an event without one applies. The subwiki's row is locked first, then
    the posts that show another name, which are renamed: a post's creation shares the row while it copies the
    name (``post_created``), so a post made meanwhile is either renamed here or made with the new name. An edit
    that leaves the name as it is (of the subwiki's summary or description) only records its revision: no post
    is locked or changed, and no kept page dropped (``feed.kept``)."""
    revision = subwiki.get("revision")
    shown = {"slug": subwiki["slug"], "name": subwiki["name"]}
    row = locked_row(tx, FeedSubwiki, {"id": subwiki["id"]}, {**shown, "revision": int(revision or 0)})
    if revision is not None and int(revision) < row.revision:
        return
    row.slug, row.name = shown["slug"], shown["name"]
    if revision is not None:
        row.revision = int(revision)
    named_otherwise = (FeedPost.subwiki_id == subwiki["id"], FeedPost.subwiki_name.is_distinct_from(subwiki["name"]))
    if lock_posts(tx, *named_otherwise):
        tx.session.execute(update(FeedPost).where(*named_otherwise).values(subwiki_name=subwiki["name"]))


def membership_changed(tx: Transaction, membership: dict, joined: bool) -> None:
    key = (membership["user_id"], membership["subwiki_id"])
    if newer(tx, "membership", ":".join(key), membership.get("version")):
        _keep(tx, FeedMembership, {"user_id": key[0], "subwiki_id": key[1]}, joined)


def follow_changed(tx: Transaction, follow: dict, following: bool) -> None:
    key = (follow["follower_id"], follow["followee_id"])
    if newer(tx, "follow", ":".join(key), follow.get("version")):
        _keep(tx, FeedFollow, {"follower_id": key[0], "followee_id": key[1]}, following)


def mute_changed(tx: Transaction, mute: dict, muted: bool) -> None:
    """A person or a subwiki muted or unmuted (identity's user_muted / user_unmuted, with the mute's version)."""
    key = (mute["user_id"], mute["target_type"], mute["target_id"])
    if newer(tx, "mute", ":".join(key), mute.get("version")):
        _keep(tx, FeedMute, {"user_id": key[0], "kind": key[1], "target_id": key[2]}, muted)


def block_changed(tx: Transaction, block: dict, blocked: bool) -> None:
    """A person blocked or unblocked: in the feed a block is a mute of its own kind (a mute of the same
    person stays when the block is lifted)."""
    key = (block["blocker_id"], block["blocked_id"])
    if newer(tx, "block", ":".join(key), block.get("version")):
        _keep(tx, FeedMute, {"user_id": key[0], "kind": "block", "target_id": key[1]}, blocked)


def _keep(tx: Transaction, model, key: dict, kept: bool) -> None:
    """Hold the row of ``model`` with ``key`` when ``kept``, else make sure there is none."""
    existing = tx.session.get(model, tuple(key.values()))
    if kept and existing is None:
        tx.session.add(model(**key))
    elif not kept and existing is not None:
        tx.session.delete(existing)
