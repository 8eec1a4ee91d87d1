"""Spam defences driven by trust (the figures in ``svclib.trustlimits``): how often a person may post
and comment, how many links a post may carry, and the same text twice in a short time refused.

The person's trust is content's own copy, kept from identity's ``user_trust_changed`` (``replicas``):
no question to identity on a write.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from content.exceptions import Duplicate, Invalid
from content.handlers.replicas import trust_of
from content.models import RATE_LIMITS, Comment, Post
from svclib import trustlimits
from svclib.db import Transaction, utcnow


def check_post(tx: Transaction, user_id: str, kind: str, title: str, body: str, url: str | None) -> None:
    """Refuse a post with more links than the author's trust allows (400), the same post again (409
    ``duplicate``), or one beyond the author's posts this hour (429 with ``retry_after``)."""
    trust = trust_of(tx, user_id)
    refusal = trustlimits.check_links(trust, url, title, body)
    if refusal is not None:
        raise Invalid(refusal.message, fields=refusal.fields)
    window = trustlimits.duplicate_window_seconds()
    if window > 0:
        same = tx.session.scalar(
            select(Post.id)
            .where(
                Post.author_id == user_id,
                Post.created_at >= utcnow() - timedelta(seconds=window),
                Post.removed_at.is_(None),
                Post.kind == kind,
                Post.title == title,
                Post.body == body,
                Post.url.is_(None) if url is None else Post.url == url,
            )
            .limit(1)
        )
        if same is not None:
            raise Duplicate("You posted this a moment ago.", post_id=same)
    trustlimits.hit(tx, RATE_LIMITS, "posts", trust, user_id)


def check_comment(tx: Transaction, user_id: str, body: str) -> None:
    """Refuse the same comment again (409 ``duplicate``) or one beyond the author's comments this minute (429)."""
    window = trustlimits.duplicate_window_seconds()
    if window > 0:
        same = tx.session.scalar(
            select(Comment.id)
            .where(
                Comment.author_id == user_id,
                Comment.created_at >= utcnow() - timedelta(seconds=window),
                Comment.deleted_at.is_(None),
                Comment.body == body,
            )
            .limit(1)
        )
        if same is not None:
            raise Duplicate("You wrote this comment a moment ago.", comment_id=same)
    trustlimits.hit(tx, RATE_LIMITS, "comments", trust_of(tx, user_id), user_id)

