"""Spam defences driven by trust (the figures in ``svclib.trustlimits``): how often a person may post
and comment, how many links a post may carry, and the same text twice in a short time refused; and the
moderators' "remove as spam", which takes the author's other recent posts with the one judged.

The person's trust is content's own copy, kept from identity's ``user_trust_changed`` (``replicas``):
no question to identity on a write.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from content import events
from content.exceptions import Duplicate, Forbidden, Invalid
from content.handlers import access
from content.handlers.access import MembershipLookup
from content.handlers.replicas import trust_of
from content.models import RATE_LIMITS, Comment, Post
from svclib import trustlimits
from svclib.db import Transaction, utcnow


def _written_lately(tx: Transaction, model, user_id: str, *alike) -> str | None:
    """The id of a post or comment (``model``) like this one (``alike``) that the person wrote within the
    repeat window, if any; None when repeats are allowed."""
    window = trustlimits.duplicate_window_seconds()
    if window <= 0:
        return None
    recent = model.created_at >= utcnow() - timedelta(seconds=window)
    return tx.session.scalar(select(model.id).where(model.author_id == user_id, recent, *alike).limit(1))


def check_post(tx: Transaction, user_id: str, kind: str, title: str, body: str, url: str | None) -> None:
    """Refuse a post with more links than the author's trust allows (400), the same post again (409
    ``duplicate``), or one beyond the author's posts this hour (429 with ``retry_after``)."""
    trust = trust_of(tx, user_id)
    refusal = trustlimits.check_links(trust, url, title, body)
    if refusal is not None:
        raise Invalid(refusal.message, fields=refusal.fields)
    same = _written_lately(
        tx,
        Post,
        user_id,
        Post.removed_at.is_(None),
        Post.kind == kind,
        Post.title == title,
        Post.body == body,
        Post.url.is_(None) if url is None else Post.url == url,
    )
    if same is not None:
        raise Duplicate("You posted this a moment ago.", post_id=same)
    trustlimits.hit(tx, RATE_LIMITS, "posts", trust, user_id)


def check_comment(tx: Transaction, user_id: str, body: str) -> None:
    """Refuse the same comment again (409 ``duplicate``) or one beyond the author's comments this minute (429)."""
    same = _written_lately(tx, Comment, user_id, Comment.deleted_at.is_(None), Comment.body == body)
    if same is not None:
        raise Duplicate("You wrote this comment a moment ago.", comment_id=same)
    trustlimits.hit(tx, RATE_LIMITS, "comments", trust_of(tx, user_id), user_id)


# How far back "remove as spam" takes an author's other posts with the one judged.
SPAM_SWEEP = timedelta(days=7)


def remove_as_spam(tx: Transaction, lookup: MembershipLookup, user_id: str, post_id: str) -> dict:
    """A moderator removes a post as spam: its author's other posts of the last ``SPAM_SWEEP`` in the subwikis
    this moderator moderates go with it, each out of every feed at once (``post_removed``), and ``spam_removed``
    tells identity, which lowers the author's trust by its rules (as an upheld report)."""
    post = access.post(tx, post_id, for_update=True)
    if not access.is_moderator(tx, lookup, post.subwiki_id, user_id):
        raise Forbidden("Only this subwiki's moderators remove posts as spam.")
    if post.author_id is None or post.author_id == user_id:
        raise Forbidden("Remove as spam a post by someone else.")
    author_id, now = post.author_id, utcnow()
    others = tx.session.scalars(
        select(Post)
        .where(
            Post.author_id == author_id,
            Post.id != post.id,
            Post.removed_at.is_(None),
            Post.created_at >= now - SPAM_SWEEP,
        )
        .order_by(Post.id)
        .with_for_update()
    ).all()
    taken = [post] if post.removed_at is None else []
    moderates = {post.subwiki_id: True}
    for subwiki_id in {other.subwiki_id for other in others} - set(moderates):
        moderates[subwiki_id] = access.is_moderator(tx, lookup, subwiki_id, user_id)
    taken += [other for other in others if moderates[other.subwiki_id]]
    for removed in taken:
        removed.removed_at, removed.removed_by = now, user_id
        tx.emit(events.PostRemoved.of(removed, removed_by=user_id, by_moderator=True, reason="Removed as spam."))
    removed_ids = sorted(removed.id for removed in taken)
    tx.emit(
        events.SpamRemoved(
            post_id=post.id,
            subwiki_id=post.subwiki_id,
            author_id=author_id,
            removed_by=user_id,
            removed_post_ids=removed_ids,
        )
    )
    return {"post_id": post.id, "author_id": author_id, "removed_post_ids": removed_ids}
