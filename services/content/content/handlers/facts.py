"""Pages of facts, in key order, for a service rebuilding its copy (the feed, identity's trust inputs).

Each kind of fact is one function ``(tx, after, limit) -> (items, keys)`` in ``FACTS``: ``keys``
are the items' keys in order, the last one is where the next page starts.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from content import markup
from content.exceptions import Invalid
from content.handlers import mentions
from content.handlers.access import moderators_of
from content.models import Comment, HeldPost, PendingChange, Post, PostRevision, Report, Upload, Vote, VoteVersion
from content.schemas import PostEventSchema
from svclib import pagination
from svclib.db import Transaction, isoformat

POST_EVENT = PostEventSchema()

Page = tuple[list[dict], list[str]]


def _posts(tx: Transaction, after: str | None, limit: int) -> Page:
    query = select(Post, Upload.filename).outerjoin(Upload, Upload.id == Post.image_id).order_by(Post.id).limit(limit)
    if after:
        query = query.where(Post.id > after)
    rows = tx.session.execute(query).all()
    named = _mentioned(tx, [(row.Post.body_html, row.Post.author_id) for row in rows])
    items = [
        {
            **POST_EVENT.dump(row.Post),
            "image_file": row.filename,
            "removed": row.Post.removed_at is not None,
            "removed_at": isoformat(row.Post.removed_at) if row.Post.removed_at else None,
            "by_moderator": row.Post.removed_by is not None and row.Post.removed_by != row.Post.author_id,
            "mentions": mentioned,
        }
        for row, mentioned in zip(rows, named, strict=True)
    ]
    return items, [row.Post.id for row in rows]


_LINKED = re.compile(r'<a href="' + re.escape(markup.PROFILE_PATH) + r'([a-z0-9_]+)" class="mention">')


def _mentioned(tx: Transaction, texts: list[tuple[str, str]]) -> list[list[str]]:
    """For each (html, author), the ids of the people its mention links name, as its event named them."""
    names = [list(dict.fromkeys(_LINKED.findall(html or ""))) for html, _ in texts]
    ids = mentions.people(tx, sorted({name for found in names for name in found}))
    return [
        [ids[n] for n in found if n in ids and ids[n] != author][: markup.MENTION_LIMIT]
        for found, (_, author) in zip(names, texts, strict=True)
    ]


def _votes(tx: Transaction, after: str | None, limit: int) -> Page:
    """Votes on posts (the feed ranks posts only), keyed by post and voter, each with the version its
    latest event carried: a copy rebuilt from them then ignores the older events still on their way."""
    key = Vote.target_id + ":" + Vote.voter_id
    query = (
        select(Vote, VoteVersion.version, key.label("key"))
        .outerjoin(
            VoteVersion,
            (VoteVersion.target_type == Vote.target_type)
            & (VoteVersion.target_id == Vote.target_id)
            & (VoteVersion.voter_id == Vote.voter_id),
        )
        .where(Vote.target_type == "post")
        .order_by(key)
        .limit(limit)
    )
    if after:
        query = query.where(key > after)
    rows = tx.session.execute(query).all()
    items = [
        {
            "target_type": "post",
            "target_id": row.Vote.target_id,
            "voter_id": row.Vote.voter_id,
            "value": row.Vote.value,
            "version": row.version,
        }
        for row in rows
    ]
    return items, [row.key for row in rows]


def _comments(tx: Transaction, after: str | None, limit: int) -> Page:
    parent = aliased(Comment)
    query = (
        select(
            Comment, Post.author_id.label("post_author_id"), Post.subwiki_id, parent.author_id.label("parent_author")
        )
        .join(Post, Post.id == Comment.post_id)
        .outerjoin(parent, (parent.id == Comment.parent_id) & parent.deleted_at.is_(None))
        .order_by(Comment.id)
        .limit(limit)
    )
    if after:
        query = query.where(Comment.id > after)
    rows = tx.session.execute(query).all()
    named = _mentioned(tx, [(row.Comment.body_html, row.Comment.author_id) for row in rows])
    items = [
        {
            "id": row.Comment.id,
            "post_id": row.Comment.post_id,
            "subwiki_id": row.subwiki_id,
            "author_id": row.Comment.author_id,
            "parent_id": row.Comment.parent_id,
            "parent_author_id": row.parent_author,
            "post_author_id": row.post_author_id,
            "length": len(row.Comment.body),
            "removed": row.Comment.deleted_at is not None,
            "created_at": isoformat(row.Comment.created_at),
            "removed_at": isoformat(row.Comment.deleted_at) if row.Comment.deleted_at else None,
            "by_moderator": row.Comment.deleted_by is not None and row.Comment.deleted_by != row.Comment.author_id,
            "mentions": mentioned,
        }
        for row, mentioned in zip(rows, named, strict=True)
    ]
    return items, [row.Comment.id for row in rows]


def _revisions(tx: Transaction, after: str | None, limit: int) -> Page:
    """Edits applied to posts by others than their authors (not reverts), as post_edited said them."""
    query = (
        select(PostRevision, Post.author_id, Post.subwiki_id)
        .join(Post, Post.id == PostRevision.post_id)
        .where(PostRevision.revision > 1, PostRevision.reverted_to.is_(None), PostRevision.editor_id != Post.author_id)
        .order_by(PostRevision.id)
        .limit(limit)
    )
    if after:
        query = query.where(PostRevision.id > int(after))
    rows = tx.session.execute(query).all()
    items = [
        {
            "id": row.PostRevision.post_id,
            "author_id": row.author_id,
            "subwiki_id": row.subwiki_id,
            "editor_id": row.PostRevision.editor_id,
            "created_at": isoformat(row.PostRevision.created_at),
        }
        for row in rows
    ]
    return items, [str(row.PostRevision.id) for row in rows]


def _held_edits(tx: Transaction, after: str | None, limit: int) -> Page:
    """Edits held for review, as post_edit_pending said them, with how they were decided."""
    query = (
        select(PendingChange, Post.author_id, Post.subwiki_id)
        .join(Post, Post.id == PendingChange.post_id)
        .order_by(PendingChange.id)
        .limit(limit)
    )
    if after:
        query = query.where(PendingChange.id > after)
    rows = tx.session.execute(query).all()
    moderators = moderators_of(tx, {row.subwiki_id for row in rows})
    items = [
        {
            "id": row.PendingChange.id,
            "post_id": row.PendingChange.post_id,
            "subwiki_id": row.subwiki_id,
            "editor_id": row.PendingChange.editor_id,
            "post_author_id": row.author_id,
            "reviewer_ids": moderators[row.subwiki_id],
            "status": row.PendingChange.status,
            "decided_by": row.PendingChange.decided_by,
            "created_at": isoformat(row.PendingChange.created_at),
            "decided_at": isoformat(row.PendingChange.updated_at),
        }
        for row in rows
    ]
    return items, [row.PendingChange.id for row in rows]


def _held_posts(tx: Transaction, after: str | None, limit: int) -> Page:
    """First posts held for approval, as post_held said them, with how they were decided."""
    query = select(HeldPost).order_by(HeldPost.id).limit(limit)
    if after:
        query = query.where(HeldPost.id > after)
    rows = tx.session.scalars(query).all()
    moderators = moderators_of(tx, {row.subwiki_id for row in rows})
    items = [
        {
            "id": row.id,
            "subwiki_id": row.subwiki_id,
            "subwiki": row.subwiki_slug,
            "author_id": row.author_id,
            "title": row.title,
            "reviewer_ids": moderators[row.subwiki_id],
            "status": row.status,
            "decided_by": row.decided_by,
            "created_at": isoformat(row.created_at),
            "decided_at": isoformat(row.decided_at) if row.decided_at else None,
        }
        for row in rows
    ]
    return items, [row.id for row in rows]


def _resolved_reports(tx: Transaction, after: str | None, limit: int) -> Page:
    """Resolved reports, each as report_resolved told its reporter (closed with an upheld one: upheld)."""
    comment = aliased(Comment)
    query = (
        select(Report, comment.post_id)
        .outerjoin(comment, (Report.target_type == "comment") & (comment.id == Report.target_id))
        .where(Report.status == "resolved")
        .order_by(Report.id)
        .limit(limit)
    )
    if after:
        query = query.where(Report.id > after)
    rows = tx.session.execute(query).all()
    items = [
        {
            "id": row.Report.id,
            "subwiki_id": row.Report.subwiki_id,
            "action": "dismiss" if row.Report.action == "dismiss" else "uphold",
            "target_type": row.Report.target_type,
            "target_id": row.Report.target_id,
            "post_id": row.Report.target_id if row.Report.target_type == "post" else row.post_id,
            "reporter_ids": [row.Report.reporter_id],
            "resolved_at": isoformat(row.Report.updated_at),
        }
        for row in rows
    ]
    return items, [row.Report.id for row in rows]


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
    "revisions": _revisions,
    "held_edits": _held_edits,
    "held_posts": _held_posts,
    "resolved_reports": _resolved_reports,
}


def list_facts(tx: Transaction, kind: str, after: str | None, limit: int) -> dict:
    """One page of one kind of fact, in key order: ``{"items", "next"}``, ``next`` None on the last page."""
    if kind not in FACTS:
        raise Invalid("Unknown kind of fact.", fields={"kind": [f"Use one of {', '.join(FACTS)}."]})
    limit = pagination.facts_limit(limit)
    after = pagination.facts_after(after)
    items, keys = FACTS[kind](tx, after, limit)
    return pagination.facts_page(items, keys, limit)
