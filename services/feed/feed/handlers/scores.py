"""A post's scores: recomputed by every event that changes its facts, and as it ages."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from feed import ranking
from feed.models import FeedPost
from svclib.db import Transaction


def _hours(post: FeedPost, now: datetime) -> float:
    return max(0.0, (now - post.posted_at).total_seconds() / 3600)


def rescore(post: FeedPost, now: datetime) -> None:
    post.approval = ranking.approval(post.up_weight, post.down_weight)
    post.quality = ranking.quality(post.up_weight, post.down_weight, post.commenters, post.editors, post.penalty)
    post.rank = ranking.rank(post.quality, _hours(post, now))
    post.refreshed_at = now
    post.refresh_due = now + timedelta(hours=ranking.refresh_after_hours(_hours(post, now)))


def refresh_decay(tx: Transaction, now: datetime, batch: int = 500) -> int:
    """Rescore the recent posts whose rank the age decay has moved enough, one batch at a time."""
    recent = now - timedelta(days=ranking.CONFIG.REFRESH_WINDOW_DAYS + 1)
    rows = tx.session.scalars(
        select(FeedPost)
        .where(FeedPost.refresh_due <= now, FeedPost.posted_at > recent, FeedPost.visible.is_(True))
        .order_by(FeedPost.refresh_due)
        .limit(batch)
        # Posts an event holds are skipped (rescored by that event): the refresh never waits for a lock.
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        rescore(row, now)
    return len(rows)
