"""Pages of facts, in key order, for a service rebuilding its copy (the feed, identity's trust inputs).

Each kind of fact is one function ``(tx, after, limit) -> (items, keys)`` in ``FACTS``: ``keys``
are the items' keys in order, the last one is where the next page starts.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from content.exceptions import Invalid
from content.models import Comment, Post, PostRevision, Report, Upload, Vote
from content.schemas import PostEventSchema
from svclib import pagination
from svclib.db import Transaction

POST_EVENT = PostEventSchema()

Page = tuple[list[dict], list[str]]


def _posts(tx: Transaction, after: str | None, limit: int) -> Page:
    query = select(Post, Upload.filename).outerjoin(Upload, Upload.id == Post.image_id).order_by(Post.id).limit(limit)
    if after:
        query = query.where(Post.id > after)
    rows = tx.session.execute(query).all()
    items = [
        {**POST_EVENT.dump(row.Post), "image_file": row.filename, "removed": row.Post.removed_at is not None}
        for row in rows
    ]
    return items, [row.Post.id for row in rows]


def _votes(tx: Transaction, after: str | None, limit: int) -> Page:
    """Votes on posts (the feed ranks posts only), keyed by post and voter."""
    key = Vote.target_id + ":" + Vote.voter_id
    query = select(Vote, key.label("key")).where(Vote.target_type == "post").order_by(key).limit(limit)
    if after:
        query = query.where(key > after)
    rows = tx.session.execute(query).all()
    items = [
        {"target_type": "post", "target_id": row.Vote.target_id, "voter_id": row.Vote.voter_id, "value": row.Vote.value}
        for row in rows
    ]
    return items, [row.key for row in rows]


def _comments(tx: Transaction, after: str | None, limit: int) -> Page:
    query = select(Comment).order_by(Comment.id).limit(limit)
    if after:
        query = query.where(Comment.id > after)
    rows = tx.session.scalars(query).all()
    items = [
        {
            "id": comment.id,
            "post_id": comment.post_id,
            "author_id": comment.author_id,
            "length": len(comment.body),
            "removed": comment.deleted_at is not None,
        }
        for comment in rows
    ]
    return items, [comment.id for comment in rows]


def _edits(tx: Transaction, after: str | None, limit: int) -> Page:
    """Per post and editor other than its author, how many of their edits stand (not reverted, not reverts)."""
    key = PostRevision.post_id + ":" + PostRevision.editor_id
    query = (
        select(key.label("key"), PostRevision.post_id, PostRevision.editor_id, func.count().label("standing"))
        .join(Post, Post.id == PostRevision.post_id)
        .where(
            PostRevision.revision > 1,
            PostRevision.reverted.is_(False),
            PostRevision.reverted_to.is_(None),
            PostRevision.editor_id != Post.author_id,
        )
        .group_by(PostRevision.post_id, PostRevision.editor_id)
        .order_by(key)
        .limit(limit)
    )
    if after:
        query = query.having(key > after)
    rows = tx.session.execute(query).all()
    items = [{"post_id": row.post_id, "editor_id": row.editor_id, "standing": row.standing} for row in rows]
    return items, [row.key for row in rows]


def _upheld_reports(tx: Transaction, after: str | None, limit: int) -> Page:
    """Per post, how many reports about it moderators upheld."""
    query = (
        select(Report.target_id, func.count().label("count"))
        .where(Report.target_type == "post", Report.action == "uphold", Report.resolved_by.is_not(None))
        .group_by(Report.target_id)
        .order_by(Report.target_id)
        .limit(limit)
    )
    if after:
        query = query.having(Report.target_id > after)
    rows = tx.session.execute(query).all()
    return [{"post_id": row.target_id, "count": row.count} for row in rows], [row.target_id for row in rows]


FACTS: dict[str, Callable[[Transaction, str | None, int], Page]] = {
    "posts": _posts,
    "votes": _votes,
    "comments": _comments,
    "edits": _edits,
    "upheld_reports": _upheld_reports,
}


def list_facts(tx: Transaction, kind: str, after: str | None, limit: int) -> dict:
    """One page of one kind of fact, in key order: ``{"items", "next"}``, ``next`` None on the last page."""
    if kind not in FACTS:
        raise Invalid("Unknown kind of fact.", fields={"kind": [f"Use one of {', '.join(FACTS)}."]})
    limit = pagination.facts_limit(limit)
    items, keys = FACTS[kind](tx, after, limit)
    return pagination.facts_page(items, keys, limit)
