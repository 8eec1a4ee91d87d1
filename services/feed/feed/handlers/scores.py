"""A post's scores: recomputed by every event that changes its facts, and as it ages; a new quality is
announced once per transaction, with the post's next version (``post_quality_changed``, or for several posts
``post_qualities_changed``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import object_session

from feed import events, ranking
from feed.models import FeedPost
from svclib.db import Transaction, utcnow

# The session's record of the posts whose quality a transaction changed (announce_qualities reads it).
QUALITY_CHANGED = "feed.quality_changed"
# A change of quality smaller than this is the arithmetic's noise, not news.
QUALITY_EPSILON = 1e-9


def _hours(post: FeedPost, now: datetime) -> float:
    return max(0.0, (now - post.posted_at).total_seconds() / 3600)


def rescore(post: FeedPost, now: datetime) -> None:
    before = post.quality or 0.0
    post.approval = ranking.approval(post.up_weight, post.down_weight)
    post.quality = ranking.quality(post.up_weight, post.down_weight, post.commenters, post.editors, post.penalty)
    session = object_session(post)
    if session is not None and abs(post.quality - before) > QUALITY_EPSILON:
        session.info.setdefault(QUALITY_CHANGED, set()).add(post.id)
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


def next_quality_version(held: int | None) -> int:
    """A post's next quality version: after the one held, and never below the clock's microseconds, so that
    versions keep growing after the read model is rebuilt (or restored) and its versions start over."""
    return max((held or 0) + 1, int(utcnow().timestamp() * 1_000_000))


def announce_qualities(tx: Transaction) -> int:
    """Announce each post whose quality this transaction changed (the posts are locked by the handler that
    rescored them); returns how many."""
    changed = sorted(tx.session.info.pop(QUALITY_CHANGED, ()))
    # A post this transaction adds (its votes came first) is versioned before it is written: no read, no update.
    new = {row.id: row for row in tx.session.new if isinstance(row, FeedPost)} if changed else {}
    announced = []
    for post_id in changed:
        post = new.get(post_id) or tx.session.get(FeedPost, post_id)
        if post is None:
            continue
        post.quality_version = next_quality_version(post.quality_version)
        announced.append(events.PostQuality(id=post.id, quality=float(post.quality), version=post.quality_version))
    emit_qualities(tx, announced)
    return len(changed)


# A trust change rescores every post its person voted on: hundreds for an active voter at full size.
QUALITIES_PER_EVENT = 200


def emit_qualities(tx: Transaction, qualities: list[events.PostQuality]) -> None:
    """One post's new quality as ``post_quality_changed``; several as ``post_qualities_changed``, up to
    ``QUALITIES_PER_EVENT`` a message: one message, and one transaction of its consumers, for a trust change's
    posts rather than one for each (content applied 2,000 such events a minute under ``make load``)."""
    if len(qualities) == 1:
        (one,) = qualities
        tx.emit(events.PostQualityChanged(id=one.id, quality=one.quality, version=one.version))
        return
    tx.emit_all(
        [
            events.PostQualitiesChanged(posts=qualities[start : start + QUALITIES_PER_EVENT])
            for start in range(0, len(qualities), QUALITIES_PER_EVENT)
        ]
    )


def announce_rebuilt(tx: Transaction, announced: dict[str, tuple[float, int]]) -> int:
    """After the read model was rebuilt: announce each post whose quality is not the one announced before
    (``announced``: each post's quality and version then), or that was not there; returns how many."""
    tx.session.info.pop(QUALITY_CHANGED, None)
    changed = []
    for post in tx.session.scalars(select(FeedPost).order_by(FeedPost.id)):
        quality, version = announced.get(post.id, (None, 0))
        post.quality_version = version
        if quality is None or abs(post.quality - quality) > QUALITY_EPSILON:
            post.quality_version = next_quality_version(version)
            changed.append(events.PostQuality(id=post.id, quality=float(post.quality), version=post.quality_version))
    if changed:
        emit_qualities(tx, changed)
    return len(changed)
