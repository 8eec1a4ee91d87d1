"""Writing comments on posts: threaded replies, edits with kept revisions, removal that keeps the thread's shape
(a post's discussion is read in ``content.handlers.discussion``)."""

from __future__ import annotations

import uuid

from content import events
from content.exceptions import Forbidden, Invalid
from content.handlers import access, idempotency, mentions, replicas, spam
from content.handlers.access import MembershipLookup
from content.models import Comment, CommentRevision
from content.schemas import CommentSchema
from svclib.db import Transaction, utcnow

COMMENT_LIMIT = 10_000
MAX_DEPTH = 8  # replies nest at most this many levels below a top-level comment
COMMENT = CommentSchema()
SHOWN = (
    "id",
    "post_id",
    "parent_id",
    "author_id",
    "body",
    "body_html",
    "revision",
    "up_count",
    "down_count",
    "created_at",
)


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
        data.update(body="", body_html="", author_id=None)
    return data


def create_comment(
    tx: Transaction,
    lookup: MembershipLookup,
    user_id: str,
    post_id: str,
    body: str,
    parent_id: str | None = None,
    idempotency_key: str | None = None,
) -> dict:
    """A comment, or a reply to ``parent_id``; a reply to a comment MAX_DEPTH levels down joins that
    comment's own parent, so threads never nest deeper than MAX_DEPTH. With an ``idempotency_key``
    the same request again answers with the comment it made."""
    request = {"post_id": post_id, "body": body, "parent_id": parent_id}
    made = idempotency.claim(tx, user_id, idempotency_key, "create_comment", request)
    if made is not None:
        return comment_view(tx.session.get(Comment, made))
    post = access.post(tx, post_id, for_update=True)
    access.require_member(tx, lookup, post.subwiki_id, user_id, "comment")
    body = _check_comment(body)
    spam.check_comment(tx, user_id, body)
    comment_id, root_id, depth, parent_author_id = uuid.uuid4().hex, None, 0, None
    if parent_id is not None:
        parent = tx.session.get(Comment, parent_id)
        if parent is None or parent.post_id != post.id:
            raise Invalid("Reply to a comment on this post.", fields={"parent_id": ["Not a comment on this post."]})
        if parent.depth >= MAX_DEPTH and parent.parent_id is not None:
            parent_id, depth = parent.parent_id, parent.depth
        else:
            depth = parent.depth + 1
        root_id = parent.root_id or parent.id
        parent_author_id = parent.author_id if parent.deleted_at is None else None
    answered = parent_author_id if parent_id is not None else post.author_id
    if replicas.blockers_among(tx, [answered], user_id):
        raise Forbidden("This person blocked you: you cannot reply to them.")
    body_html, mentioned = mentions.render(tx, body, user_id)
    comment = Comment(
        id=comment_id,
        post_id=post.id,
        parent_id=parent_id,
        root_id=root_id or comment_id,
        depth=depth,
        author_id=user_id,
        body=body,
        body_html=body_html,
        revision=1,
        up_count=0,
        down_count=0,
    )
    tx.session.add(comment)
    post.comment_count += 1
    tx.session.flush()
    tx.session.add(CommentRevision(comment_id=comment.id, revision=1, body=body))
    tx.emit(
        events.CommentCreated(
            id=comment.id,
            post_id=post.id,
            subwiki_id=post.subwiki_id,
            author_id=user_id,
            parent_id=parent_id,
            length=len(body),
            post_author_id=post.author_id,
            parent_author_id=parent_author_id,
            mentions=mentioned,
        )
    )
    idempotency.settle(tx, user_id, idempotency_key, comment.id)
    return comment_view(comment)


def edit_comment(tx: Transaction, user_id: str, comment_id: str, body: str) -> dict:
    comment = access.comment(tx, comment_id, for_update=True)
    if comment.author_id != user_id:
        raise Forbidden("Only its author edits a comment.")
    body = _check_comment(body)
    if body != comment.body:
        comment.body, (comment.body_html, mentioned) = body, mentions.render(tx, body, user_id)
        comment.revision += 1
        tx.session.add(CommentRevision(comment_id=comment.id, revision=comment.revision, body=body))
        tx.session.flush()
        tx.emit(
            events.CommentEdited(
                id=comment.id,
                post_id=comment.post_id,
                subwiki_id=access.post(tx, comment.post_id, include_removed=True).subwiki_id,
                author_id=user_id,
                length=len(body),
                mentions=mentioned,
            )
        )
    return comment_view(comment)


def remove_comment(tx: Transaction, lookup: MembershipLookup, user_id: str, comment_id: str, reason: str = "") -> None:
    comment = access.comment(tx, comment_id, for_update=True)
    post = access.post(tx, comment.post_id, for_update=True, include_removed=True)
    by_moderator = access.is_moderator(tx, lookup, post.subwiki_id, user_id)
    if comment.author_id != user_id and not by_moderator:
        raise Forbidden("Only its author or a moderator removes a comment.")
    comment.deleted_at, comment.deleted_by = utcnow(), user_id
    post.comment_count -= 1
    tx.emit(
        events.CommentRemoved(
            id=comment.id,
            post_id=post.id,
            subwiki_id=post.subwiki_id,
            author_id=comment.author_id,
            removed_by=user_id,
            by_moderator=by_moderator and comment.author_id != user_id,
            reason=reason[:500],
        )
    )
