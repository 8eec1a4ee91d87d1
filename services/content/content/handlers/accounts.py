"""A person's own contributions: everything content keeps about them (their export), and what
erasing their account leaves behind.

Erasure is anonymous, not pseudonymous: what the community built with them stays (posts,
revisions, comments, decided held edits, reports, pictures posts show), with no author at all,
so nothing links those pieces to each other or to the account; what was theirs alone goes
(votes, which leave every count, held edits still waiting, request keys, their copies of
memberships and trust); unused uploads lose their owner and go with the daily sweep.
"""

from __future__ import annotations

from sqlalchemy import select

from content.models import (
    KNOWN_USERS,
    OUTBOX,
    RATE_LIMITS,
    REQUEST_KEYS,
    Block,
    Comment,
    CommentRevision,
    FirstPostApproval,
    HeldPost,
    Member,
    MemberVersion,
    PendingChange,
    PersonName,
    Post,
    PostRevision,
    Report,
    Trust,
    Upload,
    Vote,
    VoteVersion,
)
from svclib import ratelimit, users
from svclib.db import Transaction, isoformat

# Columns that keep their row but lose an erased person's id.
ANONYMISED = (
    Post.author_id,
    Post.removed_by,
    PostRevision.editor_id,
    PendingChange.editor_id,
    PendingChange.decided_by,
    Comment.author_id,
    Comment.deleted_by,
    Report.reporter_id,
    Report.target_author_id,
    Report.resolved_by,
    Upload.owner_id,
    FirstPostApproval.set_by,
    HeldPost.decided_by,
)
# Rows that were the person's alone.
DELETED = (
    Member.user_id,
    MemberVersion.user_id,
    PersonName.id,
    Trust.user_id,
    REQUEST_KEYS.c.caller_id,
    VoteVersion.voter_id,
    Block.blocker_id,
    Block.blocked_id,
    HeldPost.author_id,  # a held post was never shown: it goes with its author
)


def _time(value) -> str | None:
    return isoformat(value) if value is not None else None


def export(tx: Transaction, user_id: str) -> dict:
    """Everything content keeps that the person made or did."""
    session = tx.session
    posts = session.scalars(select(Post).where(Post.author_id == user_id).order_by(Post.created_at)).all()
    revisions = session.execute(
        select(PostRevision, Post.author_id)
        .join(Post, Post.id == PostRevision.post_id)
        .where(PostRevision.editor_id == user_id)
        .order_by(PostRevision.created_at, PostRevision.id)
    ).all()
    written: dict[str, list[dict]] = {}
    edits_to_others = []
    for revision, author_id in revisions:
        shown = {
            "post_id": revision.post_id,
            "revision": revision.revision,
            "title": revision.title,
            "body": revision.body,
            "url": revision.url,
            "edit_summary": revision.edit_summary,
            "reverted": revision.reverted,
            "reverted_to": revision.reverted_to,
            "created_at": _time(revision.created_at),
        }
        written.setdefault(revision.post_id, []).append(shown)
        if author_id != user_id:
            edits_to_others.append(shown)
    comments = session.scalars(select(Comment).where(Comment.author_id == user_id).order_by(Comment.created_at)).all()
    comment_revisions: dict[str, list[dict]] = {}
    if comments:
        for row in session.scalars(
            select(CommentRevision)
            .where(CommentRevision.comment_id.in_([c.id for c in comments]))
            .order_by(CommentRevision.comment_id, CommentRevision.revision)
        ):
            comment_revisions.setdefault(row.comment_id, []).append({"revision": row.revision, "body": row.body})
    held = session.scalars(
        select(PendingChange).where(PendingChange.editor_id == user_id).order_by(PendingChange.created_at)
    ).all()
    held_posts = session.scalars(
        select(HeldPost).where(HeldPost.author_id == user_id).order_by(HeldPost.created_at, HeldPost.id)
    ).all()
    reports = session.scalars(select(Report).where(Report.reporter_id == user_id).order_by(Report.created_at)).all()
    uploads = session.scalars(select(Upload).where(Upload.owner_id == user_id).order_by(Upload.created_at)).all()
    votes = session.scalars(select(Vote).where(Vote.voter_id == user_id).order_by(Vote.target_type, Vote.target_id))
    return {
        "account": users.export(tx, KNOWN_USERS, user_id),
        "posts": [
            {
                "id": post.id,
                "kind": post.kind,
                "subwiki": post.subwiki_slug,
                "title": post.title,
                "body": post.body,
                "url": post.url,
                "image_id": post.image_id,
                "created_at": _time(post.created_at),
                "removed_at": _time(post.removed_at),
                "revisions": written.get(post.id, []),
            }
            for post in posts
        ],
        "edits_to_others_posts": edits_to_others,
        "comments": [
            {
                "id": comment.id,
                "post_id": comment.post_id,
                "parent_id": comment.parent_id,
                "body": comment.body,
                "deleted": comment.deleted_at is not None,
                "created_at": _time(comment.created_at),
                "revisions": comment_revisions.get(comment.id, []),
            }
            for comment in comments
        ],
        "votes": [{"target_type": v.target_type, "target_id": v.target_id, "value": v.value} for v in votes],
        "held_edits": [
            {
                "id": change.id,
                "post_id": change.post_id,
                "base_revision": change.base_revision,
                "title": change.title,
                "body": change.body,
                "url": change.url,
                "edit_summary": change.edit_summary,
                "status": change.status,
                "created_at": _time(change.created_at),
            }
            for change in held
        ],
        "held_posts": [
            {
                "id": waiting.id,
                "kind": waiting.kind,
                "subwiki": waiting.subwiki_slug,
                "title": waiting.title,
                "body": waiting.body,
                "url": waiting.url,
                "image_id": waiting.image_id,
                "status": waiting.status,
                "created_at": _time(waiting.created_at),
                "decided_at": _time(waiting.decided_at),
            }
            for waiting in held_posts
        ],
        "reports": [
            {
                "id": report.id,
                "target_type": report.target_type,
                "target_id": report.target_id,
                "reason": report.reason,
                "status": report.status,
                "created_at": _time(report.created_at),
            }
            for report in reports
        ],
        "uploads": [
            {
                "image_id": upload.id,
                "filename": upload.filename,
                "content_type": upload.content_type,
                "width": upload.width,
                "height": upload.height,
                "created_at": _time(upload.created_at),
            }
            for upload in uploads
        ],
    }


def erase(tx: Transaction, user_id: str) -> None:
    """Leave nothing of ``user_id`` in content's database, its known_users row first."""
    users.erase(tx, KNOWN_USERS, user_id)
    session = tx.session
    # Votes leave the counts of what they were cast on (each target locked, in id order).
    for vote in session.scalars(
        select(Vote).where(Vote.voter_id == user_id).order_by(Vote.target_type, Vote.target_id)
    ).all():
        model = Post if vote.target_type == "post" else Comment
        target = session.scalar(select(model).where(model.id == vote.target_id).with_for_update())
        if target is not None:
            if vote.value == 1:
                target.up_count = max(0, target.up_count - 1)
            elif vote.value == -1:
                target.down_count = max(0, target.down_count - 1)
        session.delete(vote)
    # Held edits still waiting were only proposals; decided ones are part of a post's history.
    for change in session.scalars(
        select(PendingChange).where(PendingChange.editor_id == user_id, PendingChange.status == "pending")
    ).all():
        session.delete(change)
    ratelimit.forget(tx, RATE_LIMITS, user_id)  # upload, report and edit counts
    session.flush()
    # Pictures no post shows lose their owner too, and go with the daily sweep of unused uploads.
    users.forget(tx, user_id, anonymise=ANONYMISED, delete_where=DELETED, outbox=OUTBOX)
