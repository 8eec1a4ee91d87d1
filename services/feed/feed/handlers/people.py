"""People, subwikis and who follows or belongs to what: names shown on entries and the home feed's sources."""

from __future__ import annotations

from sqlalchemy import update

from feed.handlers.rows import lock_posts, newer
from feed.models import FeedFollow, FeedMembership, FeedMute, FeedPerson, FeedPost, FeedSubwiki
from svclib.db import Transaction


def person_changed(tx: Transaction, user: dict) -> None:
    """An author's name as the feed shows it (registered, renamed or erased)."""
    person = tx.session.get(FeedPerson, user["id"])
    if person is None:
        tx.session.add(
            FeedPerson(
                id=user["id"], username=user["username"], display_name=user.get("display_name") or user["username"]
            )
        )
    else:
        person.username = user.get("username", person.username)
        person.display_name = user.get("display_name") or person.display_name
    tx.session.flush()
    shown = tx.session.get(FeedPerson, user["id"])
    lock_posts(tx, FeedPost.author_id == user["id"])
    tx.session.execute(
        update(FeedPost)
        .where(FeedPost.author_id == user["id"])
        .values(author_username=shown.username, author_display_name=shown.display_name)
    )


def subwiki_named(tx: Transaction, subwiki: dict) -> None:
    row = tx.session.get(FeedSubwiki, subwiki["id"])
    if row is None:
        tx.session.add(FeedSubwiki(id=subwiki["id"], slug=subwiki["slug"], name=subwiki["name"]))
    else:
        row.slug, row.name = subwiki["slug"], subwiki["name"]
    lock_posts(tx, FeedPost.subwiki_id == subwiki["id"])
    tx.session.execute(
        update(FeedPost).where(FeedPost.subwiki_id == subwiki["id"]).values(subwiki_name=subwiki["name"])
    )


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
