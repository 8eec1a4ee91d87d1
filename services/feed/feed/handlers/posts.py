"""A post's facts from content's events: the post itself, its author's count, edits, comments and upheld reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, bindparam, exists, func, literal_column, select, update

from feed import ranking
from feed.handlers.rows import held_post, hold_post, lock_posts, locked_post, newer
from feed.handlers.scores import rescore
from feed.handlers.votes import tally
from feed.models import FeedAuthor, FeedComment, FeedEdit, FeedPerson, FeedPost, FeedSubwiki, FeedVersion, FeedVote
from svclib.db import Transaction, locked_row, parse_time
from svclib.events import NotYet

EARLY_REMOVAL = "removed-early"  # the FeedVersion kind that keeps a removal that came before its post


def post_created(tx: Transaction, post: dict, now: datetime) -> None:
    if not post.get("author_id"):
        return  # an erased author's post (a rebuild's fact): out of every feed, as author_erased leaves it
    author = author_row(tx, post["author_id"])
    # Its place locked first: a vote, comment or removal of it that came before it is counted below, or waits.
    hold_post(tx, post["id"])
    kept = _kept_before(tx, post["id"], post["subwiki_id"])
    if kept.held:
        return
    removed = bool(kept.removed)
    # The author's names, their row shared before any of their posts is locked (rows.py): a rename under way is
    # waited for, or waits for this post to be held.
    person = tx.session.scalar(_SHARED_PERSON.where(FeedPerson.id == post["author_id"]))
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
        visible=not removed,
        up_weight=0.0,
        down_weight=0.0,
        up_count=0,
        down_count=0,
        comment_count=0,
        commenters=0,
        editors=0,
        penalty=0.0,
        small_author=count_author(tx, author, 0 if removed else +1),
    )
    if person is not None:
        row.author_username, row.author_display_name = person.username, person.display_name
    row.subwiki_name = kept.subwiki
    _count_early(row, kept)
    # Held by the session before it is scored, so that a quality given by what came first is announced
    # (scores.rescore records it on the post's session): content assumes 0 for a new post.
    tx.session.add(row)
    rescore(row, now)


def _kept_before(tx: Transaction, post_id: str, subwiki_id: str) -> Row:
    """What the feed keeps that a new post needs, read in one statement under the post's hold: whether the feed
    holds the post already, whether its removal came first (``post_removed`` kept it), its subwiki's name, and
    the votes and comments on it that came first, counted. The subwiki's row is shared (FOR SHARE on PostgreSQL)
    until the transaction ends, as the author's names are next: a rename under way (``subwiki_named``, which
    holds the row while it renames the posts it sees) is waited for and its new name read, or it waits for this
    post to be held and then renames it too. Nothing else is locked.

    One statement, not one for each: every statement waits its turn among the process's other workers, and
    under load that wait, not the work, is most of the time a new post takes to show on its pages."""
    return tx.connection.execute(_KEPT_BEFORE, {"post_id": post_id, "subwiki_id": subwiki_id}).one()


def _kept_before_statement():
    """``_kept_before``'s statement, built once: each fact a subquery of one SELECT, the votes summed up and down
    as ``tally`` tells them apart (a value above 0 counts up), the subwiki's name locked in its subquery."""
    post_id = bindparam("post_id")
    votes = FeedVote.post_id == post_id
    comments = (FeedComment.post_id == post_id, FeedComment.visible.is_(True))

    def tallied(*where):
        return (
            select(func.count()).select_from(FeedVote).where(votes, *where).scalar_subquery(),
            select(func.coalesce(func.sum(FeedVote.weight), 0.0)).where(votes, *where).scalar_subquery(),
        )

    up_count, up_weight = tallied(FeedVote.value > 0)
    down_count, down_weight = tallied(FeedVote.value <= 0)
    return select(
        exists().where(FeedPost.id == post_id).label("held"),
        exists().where(FeedVersion.kind == EARLY_REMOVAL, FeedVersion.key == post_id).label("removed"),
        select(FeedSubwiki.name)
        .where(FeedSubwiki.id == bindparam("subwiki_id"))
        .with_for_update(read=True)
        .scalar_subquery()
        .label("subwiki"),
        up_count.label("up_count"),
        up_weight.label("up_weight"),
        down_count.label("down_count"),
        down_weight.label("down_weight"),
        select(func.count()).select_from(FeedComment).where(*comments).scalar_subquery().label("comments"),
        select(func.count(func.distinct(FeedComment.author_id)))
        .where(*comments, FeedComment.substantive.is_(True))
        .scalar_subquery()
        .label("commenters"),
    )


_KEPT_BEFORE = _kept_before_statement()


def _count_early(row: FeedPost, kept: Row) -> None:
    """Count into a new post the votes and comments on it that reached the feed before it did. The votes
    come summed by value: every vote weighs 0 or more, so their sums are what counting them one at a time
    gives; the people discussing it are counted as ``recount_commenters`` counts them."""
    tally(row, 1, kept.up_weight, +1, votes=kept.up_count)
    tally(row, -1, kept.down_weight, +1, votes=kept.down_count)
    row.comment_count, row.commenters = kept.comments, kept.commenters


def _visible_comments(tx: Transaction, post_id: str) -> int:
    tx.session.flush()  # read on the driver, after the session's own changes (no autoflush there)
    return tx.row(_VISIBLE_COMMENTS, {"post_id": post_id})[0]


# Counts of a post's comments, built once and run on psycopg (svclib.db.driver).
_VISIBLE_COMMENTS = (
    select(func.count())
    .select_from(FeedComment)
    .where(FeedComment.post_id == bindparam("post_id"), FeedComment.visible.is_(True))
)
_COMMENTERS = select(func.count(func.distinct(FeedComment.author_id))).where(
    FeedComment.post_id == bindparam("post_id"), FeedComment.substantive.is_(True), FeedComment.visible.is_(True)
)
_EDITORS = (
    select(func.count())
    .select_from(FeedEdit)
    .where(FeedEdit.post_id == bindparam("post_id"), FeedEdit.standing > literal_column("0"))
)


_SHARED_PERSON = select(FeedPerson).with_for_update(read=True)


def author_row(tx: Transaction, author_id: str) -> FeedAuthor:
    """The author's count of live posts, locked: posts are counted in and out one at a time."""
    return locked_row(tx, FeedAuthor, {"author_id": author_id}, {"posts": 0})


def few(posts: int) -> bool:
    return posts < ranking.CONFIG.NEW_CREATOR_POSTS


def count_author(tx: Transaction, author: FeedAuthor, delta: int) -> bool:
    """Count the author's live posts; whether the author has few (their posts' new-creator flag, which
    follows the count across the threshold)."""
    was_small = few(author.posts)
    author.posts = max(0, author.posts + delta)
    small = few(author.posts)
    if small != was_small:
        lock_posts(tx, FeedPost.author_id == author.author_id)
        tx.session.execute(update(FeedPost).where(FeedPost.author_id == author.author_id).values(small_author=small))
    return small


def post_edited(tx: Transaction, post: dict, now: datetime) -> None:
    row = _edited_post(tx, post["id"])
    row.title, row.url = post.get("title", row.title), post.get("url", row.url)
    _count_edits(tx, row, post.get("editor_id"), +1)
    rescore(row, now)


def post_reverted(tx: Transaction, post: dict, now: datetime) -> None:
    row = _edited_post(tx, post["id"])
    row.title, row.url = post.get("title", row.title), post.get("url", row.url)
    for undone in post.get("reverted_edits", []):
        _count_edits(tx, row, undone["editor_id"], -1)
    rescore(row, now)


def _edited_post(tx: Transaction, post_id: str) -> FeedPost:
    """The post an edit or a revert is about, locked. One not held yet is on its way (content announces every
    post before any edit of it, on another queue): the event is tried again later (``NotYet``), not dropped,
    which would leave the post's title and its editors as they were before the edit for good."""
    row = locked_post(tx, post_id)
    if row is None:
        raise NotYet(f"post {post_id} is not held yet")
    return row


def edits_stood(tx: Transaction, edit: dict, now: datetime) -> None:
    """``edit["standing"]`` more edits by ``edit["editor_id"]`` stand on ``edit["post_id"]`` (a rebuild's fact)."""
    row = locked_post(tx, edit["post_id"])
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
    recount_editors(tx, row)


def recount_commenters(tx: Transaction, row: FeedPost) -> None:
    """People whose substantive comments on the post are visible (an erased person's count for no one)."""
    tx.session.flush()
    row.commenters = tx.row(_COMMENTERS, {"post_id": row.id})[0]


def recount_editors(tx: Transaction, row: FeedPost) -> None:
    tx.session.flush()
    row.editors = tx.row(_EDITORS, {"post_id": row.id})[0]


def post_removed(tx: Transaction, post: dict) -> None:
    author_id = tx.session.scalar(select(FeedPost.author_id).where(FeedPost.id == post["id"]))
    if author_id is None:
        hold_post(tx, post["id"])
        author_id = tx.session.scalar(select(FeedPost.author_id).where(FeedPost.id == post["id"]))
        if author_id is None:
            # Not held yet: its creation may be on its way (another queue); it will come removed.
            newer(tx, EARLY_REMOVAL, post["id"], 1)
            return
    author = author_row(tx, author_id)
    if few(author.posts - 1) != few(author.posts):
        # Its removal will change every post of the author: they are all locked first, in id order.
        lock_posts(tx, FeedPost.author_id == author_id)
    row = locked_post(tx, post["id"])
    if row.visible:
        row.visible = False
        row.small_author = count_author(tx, author, -1)


def comment_changed(tx: Transaction, comment: dict, visible: bool, now: datetime) -> None:
    """A comment made (``visible``) or removed: the post's count of comments and of people discussing it.

    Kept even when the post is not held yet (it is counted when the post comes). A removed comment is
    never shown again: a removal that came before its creation, or a creation delivered again, leaves it out.
    """
    row = held_post(tx, comment["post_id"])
    existing = tx.session.get(FeedComment, comment["id"])
    if existing is None:
        post_author = row.author_id if row is not None else comment.get("post_author_id")
        tx.session.add(
            FeedComment(
                id=comment["id"],
                post_id=comment["post_id"],
                author_id=comment.get("author_id"),
                substantive=visible
                and ranking.substantive(comment.get("length", 0), comment["author_id"], post_author),
                visible=visible,
            )
        )
    elif not visible:
        existing.visible = False
    if row is None:
        return
    recount_commenters(tx, row)
    row.comment_count = _visible_comments(tx, row.id)
    rescore(row, now)


def report_resolved(tx: Transaction, report: dict, now: datetime) -> None:
    if report.get("action") == "uphold" and report.get("target_type") == "post":
        reports_upheld(tx, {"post_id": report["target_id"], "count": 1}, now)


def reports_upheld(tx: Transaction, reports: dict, now: datetime) -> None:
    """``reports["count"]`` more reports on ``reports["post_id"]`` were upheld."""
    row = locked_post(tx, reports["post_id"])
    if row is not None:
        row.penalty += ranking.penalty(reports["count"])
        rescore(row, now)
