"""The feed's read model, kept from events (its pages are read in feed.pages).

Writes (events) update a post's facts and recompute its scores at once; a timer
refreshes the age decay of recent posts in batches. Reads never compute scores
and never scan all posts: every page is an indexed range scan from a cursor.

Locks are taken in one order, so that no two events ever wait on each other:

1. the voter's trust row (``FeedTrust``): a vote shares it (FOR SHARE), so that a change of
   the voter's trust, which holds it (FOR UPDATE), reweighs every vote or waits for it;
2. the author's row (``FeedAuthor``), before any of the author's posts;
3. posts, FOR UPDATE, in id order: a change of several posts locks them all by id first
   (``_lock_posts``); a post's votes, comments and edits change only under its lock;
4. last, the version row of the key a state event is about (``FeedVersion``).

A row is locked in the mode its transaction needs when it is first read, never upgraded.

Events that carry a state (a vote, a membership, a follow, a trust value) carry their
source's version of it, a sequence per key: one no newer than the version held for its key
is not applied (``_newer``; a trust value by the version on its own row), so late and
repeated deliveries change nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from feed import ranking
from feed.models import (
    NEW_ACCOUNT_TRUST,
    FeedAuthor,
    FeedComment,
    FeedEdit,
    FeedFollow,
    FeedMembership,
    FeedPerson,
    FeedPost,
    FeedSubwiki,
    FeedTrust,
    FeedVersion,
    FeedVote,
)
from svclib.db import Transaction, parse_time, utcnow

C = ranking.CONFIG


def _hours(post: FeedPost, now: datetime) -> float:
    return max(0.0, (now - post.posted_at).total_seconds() / 3600)


def rescore(post: FeedPost, now: datetime) -> None:
    post.approval = ranking.approval(post.up_weight, post.down_weight)
    post.quality = ranking.quality(post.up_weight, post.down_weight, post.commenters, post.editors, post.penalty)
    post.rank = ranking.rank(post.quality, _hours(post, now))
    post.refreshed_at = now
    post.refresh_due = now + timedelta(hours=ranking.refresh_after_hours(_hours(post, now)))


def _post(tx: Transaction, post_id: str) -> FeedPost | None:
    """The post, locked: concurrent events about one post must not lose each other's updates."""
    return tx.session.scalar(select(FeedPost).where(FeedPost.id == post_id).with_for_update())


def _lock_posts(tx: Transaction, *conditions) -> None:
    """Lock every post that matches, in id order, before a statement changes them all."""
    tx.session.execute(select(FeedPost.id).where(*conditions).order_by(FeedPost.id).with_for_update())


def _locked_row(tx: Transaction, model, key: dict, defaults: dict, share: bool = False):
    """The row of ``model`` with ``key``, locked (FOR SHARE with ``share``), made with ``defaults`` first if missing.

    Two events may find it missing at once: the insert skips a row another made meanwhile
    (ON CONFLICT DO NOTHING) and both then lock the one row, one after the other.
    """
    query = select(model).filter_by(**key).with_for_update(read=share)
    row = tx.session.scalar(query)
    if row is None:
        insert = postgresql.insert if tx.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        now = utcnow()
        values = {**key, **defaults, "created_at": now, "updated_at": now}
        tx.session.execute(insert(model).values(**values).on_conflict_do_nothing())
        row = tx.session.scalar(query.execution_options(populate_existing=True))
    return row


def _trust_row(tx: Transaction, user_id: str, share: bool = False) -> FeedTrust:
    """A person's trust row, locked: a vote and a change of its voter's trust are applied one after the other."""
    return _locked_row(tx, FeedTrust, {"user_id": user_id}, {"trust": NEW_ACCOUNT_TRUST}, share=share)


def _newer(tx: Transaction, kind: str, key: str, version: int | None) -> bool:
    """Whether a state event of ``version`` for ``key`` is newer than the one held; it is then held.

    The key's version row stays locked until the transaction ends: events about one key are
    applied one after the other. An event without a version (from an older producer) applies.
    """
    if version is None:
        return True
    held = _locked_row(tx, FeedVersion, {"kind": kind, "key": key}, {"version": 0})
    if version <= held.version:
        return False
    held.version = version
    return True


# --- facts from events ----------------------------------------------------------


def post_created(tx: Transaction, post: dict, now: datetime) -> None:
    author = _author_row(tx, post["author_id"])
    if tx.session.get(FeedPost, post["id"]) is not None:
        return
    row = FeedPost(
        id=post["id"],
        subwiki_id=post["subwiki_id"],
        subwiki_slug=post["subwiki"],
        author_id=post["author_id"],
        kind=post["kind"],
        title=post["title"],
        url=post.get("url"),
        image_file=post.get("image_file"),
        posted_at=parse_time(post["created_at"]),
        visible=True,
        up_weight=0.0,
        down_weight=0.0,
        up_count=0,
        down_count=0,
        comment_count=0,
        commenters=0,
        editors=0,
        penalty=0.0,
        small_author=_count_author(tx, author, +1),
    )
    person = tx.session.get(FeedPerson, row.author_id)
    if person is not None:
        row.author_username, row.author_display_name = person.username, person.display_name
    subwiki = tx.session.get(FeedSubwiki, row.subwiki_id)
    row.subwiki_name = subwiki.name if subwiki is not None else None
    rescore(row, now)
    tx.session.add(row)


def _author_row(tx: Transaction, author_id: str) -> FeedAuthor:
    """The author's count of live posts, locked: posts are counted in and out one at a time."""
    return _locked_row(tx, FeedAuthor, {"author_id": author_id}, {"posts": 0})


def _few(posts: int) -> bool:
    return posts < C.NEW_CREATOR_POSTS


def _count_author(tx: Transaction, author: FeedAuthor, delta: int) -> bool:
    """Count the author's live posts; whether the author has few (their posts' new-creator flag, which
    follows the count across the threshold)."""
    was_small = _few(author.posts)
    author.posts = max(0, author.posts + delta)
    small = _few(author.posts)
    if small != was_small:
        _lock_posts(tx, FeedPost.author_id == author.author_id)
        tx.session.execute(update(FeedPost).where(FeedPost.author_id == author.author_id).values(small_author=small))
    return small


def post_edited(tx: Transaction, post: dict, now: datetime) -> None:
    row = _post(tx, post["id"])
    if row is None:
        return
    row.title, row.url = post.get("title", row.title), post.get("url", row.url)
    _count_edits(tx, row, post.get("editor_id"), +1)
    rescore(row, now)


def post_reverted(tx: Transaction, post: dict, now: datetime) -> None:
    row = _post(tx, post["id"])
    if row is None:
        return
    row.title, row.url = post.get("title", row.title), post.get("url", row.url)
    for undone in post.get("reverted_edits", []):
        _count_edits(tx, row, undone["editor_id"], -1)
    rescore(row, now)


def edits_stood(tx: Transaction, edit: dict, now: datetime) -> None:
    """``edit["standing"]`` more edits by ``edit["editor_id"]`` stand on ``edit["post_id"]`` (a rebuild's fact)."""
    row = _post(tx, edit["post_id"])
    if row is not None:
        _count_edits(tx, row, edit["editor_id"], edit["standing"])
        rescore(row, now)


def _count_edits(tx: Transaction, row: FeedPost, editor_id: str | None, delta: int) -> None:
    """Count how many of an editor's edits stand; editors with at least one count, the author never."""
    if not editor_id or editor_id == row.author_id:
        return
    edit = tx.session.get(FeedEdit, (row.id, editor_id))
    if edit is None:
        edit = FeedEdit(post_id=row.id, editor_id=editor_id, standing=0)
        tx.session.add(edit)
    edit.standing = max(0, edit.standing + delta)
    _recount_editors(tx, row)


def _recount_editors(tx: Transaction, row: FeedPost) -> None:
    tx.session.flush()
    row.editors = tx.session.scalar(
        select(func.count()).select_from(FeedEdit).where(FeedEdit.post_id == row.id, FeedEdit.standing > 0)
    )


def post_removed(tx: Transaction, post: dict) -> None:
    author_id = tx.session.scalar(select(FeedPost.author_id).where(FeedPost.id == post["id"]))
    if author_id is None:
        return
    author = _author_row(tx, author_id)
    if _few(author.posts - 1) != _few(author.posts):
        # Its removal will change every post of the author: they are all locked first, in id order.
        _lock_posts(tx, FeedPost.author_id == author_id)
    row = _post(tx, post["id"])
    if row.visible:
        row.visible = False
        row.small_author = _count_author(tx, author, -1)


def author_erased(tx: Transaction, user_id: str) -> None:
    """The person's posts leave the feeds and their names are forgotten (the gateway shows them as gone)."""
    tx.session.execute(delete(FeedPerson).where(FeedPerson.id == user_id))
    _lock_posts(tx, FeedPost.author_id == user_id)
    tx.session.execute(
        update(FeedPost)
        .where(FeedPost.author_id == user_id)
        .values(visible=False, author_username=None, author_display_name=None)
    )
    tx.session.execute(
        delete(FeedFollow).where(or_(FeedFollow.follower_id == user_id, FeedFollow.followee_id == user_id))
    )
    tx.session.execute(delete(FeedMembership).where(FeedMembership.user_id == user_id))


def comment_changed(tx: Transaction, comment: dict, visible: bool, now: datetime) -> None:
    row = _post(tx, comment["post_id"])
    if row is None:
        return
    existing = tx.session.get(FeedComment, comment["id"])
    if existing is None:
        if not visible:
            return
        substantive = ranking.substantive(comment.get("length", 0), comment["author_id"], row.author_id)
        tx.session.add(
            FeedComment(
                id=comment["id"], post_id=row.id, author_id=comment["author_id"], substantive=substantive, visible=True
            )
        )
    else:
        existing.visible = visible
    tx.session.flush()
    row.commenters = tx.session.scalar(
        select(func.count(func.distinct(FeedComment.author_id))).where(
            FeedComment.post_id == row.id, FeedComment.substantive.is_(True), FeedComment.visible.is_(True)
        )
    )
    row.comment_count = tx.session.scalar(
        select(func.count())
        .select_from(FeedComment)
        .where(FeedComment.post_id == row.id, FeedComment.visible.is_(True))
    )
    rescore(row, now)


def vote_changed(tx: Transaction, vote: dict, now: datetime) -> None:
    """A person's vote on a post is now ``vote["value"]`` (1, -1, or none: withdrawn).

    A vote on one's own post is shown in the post's counts but weighs nothing in its ranking:
    it would let anyone raise their own rank.
    """
    if vote["target_type"] != "post":
        return
    trust = _trust_row(tx, vote["voter_id"], share=True)
    row = _post(tx, vote["target_id"])
    if row is None or not _newer(tx, "vote", f"{row.id}:{vote['voter_id']}", vote.get("version")):
        return
    existing = tx.session.get(FeedVote, (row.id, vote["voter_id"]))
    if existing is not None:
        _tally(row, existing.value, existing.weight, -1)
        tx.session.delete(existing)
        tx.session.flush()
    if vote.get("value") in (1, -1):
        weight = _weight(row, vote["voter_id"], trust.trust)
        tx.session.add(FeedVote(post_id=row.id, voter_id=vote["voter_id"], value=vote["value"], weight=weight))
        _tally(row, vote["value"], weight, +1)
    rescore(row, now)


def _weight(row: FeedPost, voter_id: str, trust: float) -> float:
    """What ``voter_id``'s vote on ``row`` weighs in its ranking: nothing on their own post."""
    return 0.0 if voter_id == row.author_id else ranking.vote_weight(trust)


def _tally(row: FeedPost, value: int, weight: float, sign: int) -> None:
    """Count a vote of ``value`` and ``weight`` into (``sign`` 1) or out of (-1) the post's tally."""
    if value > 0:
        row.up_weight = max(0.0, row.up_weight + sign * weight)
        row.up_count += sign
    else:
        row.down_weight = max(0.0, row.down_weight + sign * weight)
        row.down_count += sign


def report_resolved(tx: Transaction, report: dict, now: datetime) -> None:
    if report.get("action") == "uphold" and report.get("target_type") == "post":
        reports_upheld(tx, {"post_id": report["target_id"], "count": 1}, now)


def reports_upheld(tx: Transaction, reports: dict, now: datetime) -> None:
    """``reports["count"]`` more reports on ``reports["post_id"]`` were upheld."""
    row = _post(tx, reports["post_id"])
    if row is not None:
        row.penalty += ranking.penalty(reports["count"])
        rescore(row, now)


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
    _lock_posts(tx, FeedPost.author_id == user["id"])
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
    _lock_posts(tx, FeedPost.subwiki_id == subwiki["id"])
    tx.session.execute(
        update(FeedPost).where(FeedPost.subwiki_id == subwiki["id"]).values(subwiki_name=subwiki["name"])
    )


def membership_changed(tx: Transaction, membership: dict, joined: bool) -> None:
    key = (membership["user_id"], membership["subwiki_id"])
    if _newer(tx, "membership", ":".join(key), membership.get("version")):
        _keep(tx, FeedMembership, {"user_id": key[0], "subwiki_id": key[1]}, joined)


def follow_changed(tx: Transaction, follow: dict, following: bool) -> None:
    key = (follow["follower_id"], follow["followee_id"])
    if _newer(tx, "follow", ":".join(key), follow.get("version")):
        _keep(tx, FeedFollow, {"follower_id": key[0], "followee_id": key[1]}, following)


def _keep(tx: Transaction, model, key: dict, kept: bool) -> None:
    """Hold the row of ``model`` with ``key`` when ``kept``, else make sure there is none."""
    existing = tx.session.get(model, tuple(key.values()))
    if kept and existing is None:
        tx.session.add(model(**key))
    elif not kept and existing is not None:
        tx.session.delete(existing)


def trust_changed(
    tx: Transaction,
    user_id: str,
    trust: float,
    now: datetime,
    as_of: datetime | None = None,
    version: int | None = None,
) -> None:
    """Every vote of this person is reweighed, so that a post's score follows its voters' current trust.

    Changes may arrive out of order (a retried event, two consumers): one no newer than the
    value held (by identity's version of it, or else by when it was computed) is ignored.
    """
    row = _trust_row(tx, user_id)
    if version is not None:
        if row.version is not None and version <= row.version:
            return
    elif as_of is not None and row.as_of is not None and as_of <= row.as_of:
        return
    row.trust, row.as_of, row.version = trust, as_of or row.as_of, version or row.version
    votes = select(FeedVote).where(FeedVote.voter_id == user_id).order_by(FeedVote.post_id)
    for vote in tx.session.scalars(votes).all():
        post = _post(tx, vote.post_id)
        if post is None:
            continue
        weight = _weight(post, user_id, trust)
        if vote.weight == weight:
            continue
        _tally(post, vote.value, vote.weight, -1)
        _tally(post, vote.value, weight, +1)
        vote.weight = weight
        rescore(post, now)


def rescore_all(tx: Transaction, now: datetime) -> None:
    for row in tx.session.scalars(select(FeedPost)).all():
        rescore(row, now)


def refresh_decay(tx: Transaction, now: datetime, batch: int = 500) -> int:
    """Rescore the recent posts whose rank the age decay has moved enough, one batch at a time."""
    recent = now - timedelta(days=C.REFRESH_WINDOW_DAYS + 1)
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
