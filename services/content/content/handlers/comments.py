"""Comments on posts: threaded replies, edits with kept revisions, removal that keeps the thread's shape."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from content import events, markup
from content.exceptions import Forbidden, Invalid
from content.handlers import access
from content.handlers.access import MembershipLookup
from content.models import Comment, CommentRevision
from content.schemas import CommentSchema
from svclib.db import Transaction, utcnow

COMMENT_LIMIT = 10_000
COMMENT = CommentSchema()
SHOWN = ("id", "post_id", "parent_id", "author_id", "body_html", "revision", "up_count", "down_count", "created_at")


def _check_comment(body: str) -> str:
    body = body or ""
    if not body.strip():
        raise Invalid("Write something.", fields={"body": ["Write something."]})
    if len(body) > COMMENT_LIMIT:
        raise Invalid("The comment is too long.", fields={"body": [f"Use at most {COMMENT_LIMIT} characters."]})
    return body


def comment_view(comment: Comment) -> dict:
    data = COMMENT.dump({**{c: getattr(comment, c) for c in SHOWN}, "deleted": comment.deleted_at is not None})
    if comment.deleted_at is not None:
        data.update(body_html="", author_id=None)
    return data


def create_comment(
    tx: Transaction, lookup: MembershipLookup, user_id: str, post_id: str, body: str, parent_id: str | None = None
) -> dict:
    post = access.post(tx, post_id, for_update=True)
    access.require_member(tx, lookup, post.subwiki_id, user_id, "comment")
    body = _check_comment(body)
    if parent_id is not None:
        parent = tx.session.get(Comment, parent_id)
        if parent is None or parent.post_id != post.id:
            raise Invalid("Reply to a comment on this post.", fields={"parent_id": ["Not a comment on this post."]})
    comment = Comment(
        id=uuid.uuid4().hex,
        post_id=post.id,
        parent_id=parent_id,
        author_id=user_id,
        body=body,
        body_html=markup.render(body),
        revision=1,
        up_count=0,
        down_count=0,
    )
    tx.session.add(comment)
    post.comment_count += 1
    tx.session.flush()
    tx.session.add(CommentRevision(comment_id=comment.id, revision=1, body=body))
    tx.emit(
        events.COMMENT_CREATED,
        "comment",
        {
            "id": comment.id,
            "post_id": post.id,
            "subwiki_id": post.subwiki_id,
            "author_id": user_id,
            "parent_id": parent_id,
            "length": len(body),
            "post_author_id": post.author_id,
        },
    )
    return comment_view(comment)


def list_comments(tx: Transaction, post_id: str, sort: str = "new") -> list[dict]:
    """The whole thread as a tree; removed comments keep their place, emptied."""
    post = access.post(tx, post_id)
    comments = tx.session.scalars(select(Comment).where(Comment.post_id == post.id)).all()
    if sort == "quality":
        ordered = sorted(comments, key=lambda c: (c.up_count - c.down_count, c.created_at), reverse=True)
    else:
        ordered = sorted(comments, key=lambda c: c.created_at, reverse=True)
    nodes = {c.id: {**comment_view(c), "children": []} for c in ordered}
    roots = []
    for comment in ordered:
        parent = nodes.get(comment.parent_id) if comment.parent_id else None
        (parent["children"] if parent else roots).append(nodes[comment.id])
    return roots


def edit_comment(tx: Transaction, user_id: str, comment_id: str, body: str) -> dict:
    comment = access.comment(tx, comment_id, for_update=True)
    if comment.author_id != user_id:
        raise Forbidden("Only its author edits a comment.")
    body = _check_comment(body)
    if body != comment.body:
        comment.body, comment.body_html = body, markup.render(body)
        comment.revision += 1
        tx.session.add(CommentRevision(comment_id=comment.id, revision=comment.revision, body=body))
        tx.session.flush()
        tx.emit(
            events.COMMENT_EDITED,
            "comment",
            {"id": comment.id, "post_id": comment.post_id, "author_id": user_id, "length": len(body)},
        )
    return comment_view(comment)


def remove_comment(tx: Transaction, lookup: MembershipLookup, user_id: str, comment_id: str) -> None:
    comment = access.comment(tx, comment_id, for_update=True)
    post = access.post(tx, comment.post_id, for_update=True, include_removed=True)
    by_moderator = access.is_moderator(tx, lookup, post.subwiki_id, user_id)
    if comment.author_id != user_id and not by_moderator:
        raise Forbidden("Only its author or a moderator removes a comment.")
    comment.deleted_at, comment.deleted_by = utcnow(), user_id
    post.comment_count -= 1
    tx.emit(
        events.COMMENT_REMOVED,
        "comment",
        {
            "id": comment.id,
            "post_id": post.id,
            "subwiki_id": post.subwiki_id,
            "author_id": comment.author_id,
            "removed_by": user_id,
            "by_moderator": by_moderator and comment.author_id != user_id,
        },
    )
