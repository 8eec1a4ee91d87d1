"""Edits held for review: a trusted member or a moderator accepts or rejects each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from content import events
from content.exceptions import Conflict, Forbidden, NotFound
from content.handlers import access
from content.handlers.access import MembershipLookup
from content.handlers.edits import EditPolicy, apply_edit
from content.handlers.posts import post_view
from content.handlers.replicas import trust_of
from content.models import PendingChange, Post
from content.schemas import PendingSchema
from svclib import pagination, wiki
from svclib.db import Transaction

PENDING = PendingSchema()


def _require_reviewer(tx: Transaction, lookup: MembershipLookup, post: Post, user_id: str, policy: EditPolicy) -> None:
    access.require_member(tx, lookup, post.subwiki_id, user_id, "review edits")
    if not (
        access.is_moderator(tx, lookup, post.subwiki_id, user_id) or trust_of(tx, user_id) >= policy.trust_threshold
    ):
        raise Forbidden("Only trusted members and moderators review held edits.")


def _pending(tx: Transaction, post: Post, change_id: str) -> PendingChange:
    change = tx.session.get(PendingChange, change_id)
    if change is None or change.post_id != post.id or change.status != "pending":
        raise NotFound("No such held edit.")
    return change


def list_pending(tx: Transaction, lookup: MembershipLookup, user_id: str, post_id: str) -> list[dict]:
    post = access.post(tx, post_id)
    access.require_member(tx, lookup, post.subwiki_id, user_id, "see held edits")
    changes = tx.session.scalars(
        select(PendingChange)
        .where(PendingChange.post_id == post.id, PendingChange.status == "pending")
        .order_by(PendingChange.created_at)
    ).all()
    return [held(post, change) for change in changes]


def held(post: Post, change: PendingChange) -> dict:
    """A held edit as reviewers see it: its changes against the post as it stands now."""
    current = {"title": post.title, "body": post.body, "url": post.url or ""}
    return {
        **PENDING.dump(change),
        "changes": wiki.diff(current, {"title": change.title, "body": change.body, "url": change.url or ""}),
    }


def list_subwiki_pending(
    tx: Transaction,
    lookup: MembershipLookup,
    user_id: str,
    slug: str,
    limit: int | None,
    cursor: str | None,
    policy: EditPolicy,
) -> dict:
    """A subwiki's queue of held edits, the longest waiting first, for those who may review them."""
    subwiki_id = access.subwiki_id(tx, lookup, slug, user_id)
    access.require_member(tx, lookup, subwiki_id, user_id, "review edits")
    if not (access.is_moderator(tx, lookup, subwiki_id, user_id) or trust_of(tx, user_id) >= policy.trust_threshold):
        raise Forbidden("Only trusted members and moderators review held edits.")
    size = pagination.limit(limit)
    query = (
        select(PendingChange, Post)
        .join(Post, Post.id == PendingChange.post_id)
        .where(Post.subwiki_id == subwiki_id, Post.removed_at.is_(None), PendingChange.status == "pending")
    )
    after = pagination.decode(cursor, (datetime, str))
    if after is not None:
        query = query.where(
            or_(
                PendingChange.created_at > after[0],
                (PendingChange.created_at == after[0]) & (PendingChange.id > after[1]),
            )
        )
    rows = tx.session.execute(query.order_by(PendingChange.created_at, PendingChange.id).limit(size + 1)).all()
    result = pagination.page(list(rows), size, lambda row: (row.PendingChange.created_at, row.PendingChange.id))
    result["items"] = [
        {**held(row.Post, row.PendingChange), "post": {"id": row.Post.id, "title": row.Post.title}}
        for row in result["items"]
    ]
    return result


def accept_pending(
    tx: Transaction, lookup: MembershipLookup, user_id: str, post_id: str, change_id: str, policy: EditPolicy
) -> dict:
    post = access.post(tx, post_id, for_update=True)
    _require_reviewer(tx, lookup, post, user_id, policy)
    change = _pending(tx, post, change_id)
    if change.base_revision != post.revision:
        raise Conflict(
            "The post changed after this edit was made; it cannot be applied as it is.", current_revision=post.revision
        )
    change.status, change.decided_by = "accepted", user_id
    mentioned = apply_edit(tx, post, change.editor_id, change.title, change.body, change.url, change.edit_summary)
    tx.emit(
        events.PostEdited.of(
            post,
            editor_id=change.editor_id,
            edit_summary=change.edit_summary,
            accepted_by=user_id,
            change_id=change.id,
            mentions=mentioned,
        )
    )
    return post_view(tx, lookup, post, user_id)


def reject_pending(
    tx: Transaction, lookup: MembershipLookup, user_id: str, post_id: str, change_id: str, policy: EditPolicy
) -> None:
    post = access.post(tx, post_id)
    _require_reviewer(tx, lookup, post, user_id, policy)
    change = _pending(tx, post, change_id)
    change.status, change.decided_by = "rejected", user_id
    tx.emit(
        events.PostEditRejected(
            id=change.id,
            post_id=post.id,
            subwiki_id=post.subwiki_id,
            editor_id=change.editor_id,
            rejected_by=user_id,
        )
    )
