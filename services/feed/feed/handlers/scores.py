"""A post's scores: recomputed by every event that changes its facts, and as it ages; a new quality gets the
post's next version in the transaction that changed it, and is announced (``post_quality_changed``, or for several
posts ``post_qualities_changed``) by the next announcement of the qualities marked due
(``announce_due``, every ``QUALITY_ANNOUNCE_SECONDS``), or at once when that is 0."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import object_session

from feed import events, ranking
from feed.models import FeedPost, FeedQualityDue
from svclib import settings
from svclib.db import Transaction, utcnow

# The session's record of the posts whose quality a transaction changed (announce_qualities reads it).
QUALITY_CHANGED = "feed.quality_changed"
# A change of quality smaller than this is the arithmetic's noise, not news.
QUALITY_EPSILON = 1e-9
# Seconds between two announcements of the qualities marked due (the feed's service timer); 0: each transaction
# announces the qualities it changed itself. Content shows a post's quality, and ranks search by it, this much
# later at most (besides the message's way), and applies one message a moment instead of one a vote.
QUALITY_ANNOUNCE_SECONDS = float(settings.env("QUALITY_ANNOUNCE_SECONDS", "1"))
# Posts taken by one announcement's transaction at most (its messages hold QUALITIES_PER_EVENT each).
ANNOUNCE_BATCH = 1000


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


def announce_qualities(tx: Transaction, coalesce: bool | None = None) -> int:
    """Version each post whose quality this transaction changed (the posts are locked by the handler that
    rescored them) and mark it due for the next announcement (``announce_due``), or with ``coalesce`` false
    (``QUALITY_ANNOUNCE_SECONDS`` 0 by default) announce it now; returns how many."""
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
    if not announced:
        return len(changed)
    if coalesce if coalesce is not None else QUALITY_ANNOUNCE_SECONDS > 0:
        # One statement for all of them, in id order (the posts' own order): the marks are a handler's last locks.
        now = utcnow()
        marks = [{"post_id": post.id, "now": now} for post in announced]
        tx.connection.execute(_statements(tx.connection.dialect.name)["mark"], marks)
    else:
        emit_qualities(tx, announced)
    return len(changed)


def announce_due(tx: Transaction, limit: int = ANNOUNCE_BATCH) -> int:
    """Announce the qualities marked due, ``limit`` posts at most, in their id order: each post's mark taken away
    and its quality and version as committed now announced; returns how many marks were taken.

    A mark a transaction still holds (it marked the post and has not committed) is skipped, left for the next
    announcement: taken now, its change could not be read yet and would never be announced. A post changed
    again after its mark was taken is marked again, by that change. Nothing here waits for a lock (another
    replica's announcement takes other marks), and consumers apply a quality only over an older version, so an
    announcement that reads a quality after a later one did changes nothing."""
    take = _statements(tx.connection.dialect.name)["take"]
    taken = [row.post_id for row in tx.connection.execute(take, {"n": limit})]
    if not taken:
        return 0
    rows = tx.connection.execute(
        select(FeedPost.id, FeedPost.quality, FeedPost.quality_version)
        .where(FeedPost.id.in_(taken))
        .order_by(FeedPost.id)
    )
    emit_qualities(
        tx,
        [
            events.PostQuality(id=row.id, quality=float(row.quality), version=row.quality_version)
            for row in rows
            if row.quality_version is not None
        ],
    )
    return len(taken)


_STATEMENTS: dict[str, dict] = {}


def _statements(dialect: str) -> dict:
    """The marks' statements, built once per dialect: a post marked due (an existing mark counted, and so
    locked until this transaction ends), and up to ``:n`` marks not held by another transaction taken away."""
    built = _STATEMENTS.get(dialect)
    if built is None:
        insert_into = postgresql.insert if dialect == "postgresql" else sqlite.insert
        due = FeedQualityDue.__table__
        mark = insert_into(due).values(
            post_id=bindparam("post_id"), marks=1, created_at=bindparam("now"), updated_at=bindparam("now")
        )
        mark = mark.on_conflict_do_update(
            index_elements=[due.c.post_id], set_={"marks": due.c.marks + 1, "updated_at": mark.excluded.updated_at}
        )
        waiting = select(due.c.post_id).order_by(due.c.post_id).limit(bindparam("n")).with_for_update(skip_locked=True)
        take = delete(due).where(due.c.post_id.in_(waiting.scalar_subquery())).returning(due.c.post_id)
        built = _STATEMENTS[dialect] = {"mark": mark, "take": take}
    return built


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
