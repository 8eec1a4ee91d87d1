"""Comments on posts: threaded replies, edits with kept revisions, removal that keeps the thread's shape."""

from __future__ import annotations

import uuid
from collections import deque
from datetime import datetime

from sqlalchemy import literal, select, tuple_

from content import events
from content.exceptions import Forbidden, Invalid, NotFound
from content.handlers import access, idempotency, mentions, replicas, spam
from content.handlers.access import MembershipLookup
from content.models import Comment, CommentRevision
from content.schemas import CommentSchema
from svclib import pagination
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


def _newest(comment: Comment) -> tuple:
    return (comment.created_at, comment.id)


def _best(comment: Comment) -> tuple:
    return (comment.up_count - comment.down_count, comment.created_at, comment.id)


SORTS = {"new": (_newest, (datetime, str)), "quality": (_best, (int, datetime, str))}


def _top_level_page(tx: Transaction, post_id: str, sort: str, size: int, cursor: str | None) -> dict:
    """One page of a post's top-level comments, in the sort's order, highest first (keyset paging)."""
    score = Comment.up_count - Comment.down_count
    columns = (Comment.created_at, Comment.id) if sort == "new" else (score, Comment.created_at, Comment.id)
    query = select(Comment).where(Comment.post_id == post_id, Comment.parent_id.is_(None))
    after = pagination.decode(cursor, SORTS[sort][1])
    if after is not None:
        query = query.where(
            tuple_(*columns) < tuple_(*(literal(v, c.type) for v, c in zip(after, columns, strict=True)))
        )
    rows = tx.session.scalars(query.order_by(*(column.desc() for column in columns)).limit(size + 1)).all()
    return pagination.page(list(rows), size, SORTS[sort][0])


def _threads(roots: list[Comment], replies: list[Comment], key) -> list[dict]:
    """The roots with their replies as trees, built with a queue (never recursing on the data's shape).

    A reply found deeper than MAX_DEPTH (written before the cap) is shown beside its parent."""
    children: dict[str, list[Comment]] = {}
    for reply in replies:
        children.setdefault(reply.parent_id, []).append(reply)
    nodes = {root.id: {**comment_view(root), "children": []} for root in roots}
    queue = deque((root, nodes[root.id], 0) for root in roots)
    while queue:
        comment, holder, depth = queue.popleft()
        for child in children.pop(comment.id, ()):
            node = nodes[child.id] = {**comment_view(child), "children": []}
            if depth < MAX_DEPTH:
                nodes[comment.id]["children"].append(node)
                queue.append((child, nodes[comment.id], depth + 1))
            else:
                holder["children"].append(node)
                queue.append((child, holder, depth))
    order = {c.id: key(c) for c in (*roots, *replies)}
    for node in nodes.values():
        node["children"].sort(key=lambda n: order[n["id"]], reverse=True)
    return [nodes[root.id] for root in roots]


def list_comments(
    tx: Transaction, post_id: str, sort: str = "new", limit: int | None = None, cursor: str | None = None
) -> dict:
    """A page of top-level comments in the sort's order, each with its whole thread of replies;
    removed comments keep their place, emptied."""
    if sort not in SORTS:
        raise Invalid("Unknown sort.", fields={"sort": [f"Use one of {', '.join(SORTS)}."]})
    post = access.post(tx, post_id)
    page = _top_level_page(tx, post.id, sort, pagination.limit(limit), cursor)
    roots = page["items"]
    replies = (
        tx.session.scalars(
            select(Comment).where(Comment.root_id.in_([root.id for root in roots]), Comment.parent_id.is_not(None))
        ).all()
        if roots
        else []
    )
    return {"items": _threads(roots, list(replies), SORTS[sort][0]), "next_cursor": page["next_cursor"]}


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


def comment_thread(tx: Transaction, comment_id: str) -> dict:
    """The whole thread that holds a comment: its top-level comment with every reply, as a page of one."""
    found = tx.session.get(Comment, comment_id)  # a removed comment keeps its place in its thread
    if found is None:
        raise NotFound("No such comment.")
    access.post(tx, found.post_id)
    root = tx.session.get(Comment, found.root_id or found.id) or found
    replies = tx.session.scalars(
        select(Comment).where(Comment.root_id == root.id, Comment.parent_id.is_not(None))
    ).all()
    return {"items": _threads([root], list(replies), SORTS["quality"][0]), "next_cursor": None, "post_id": root.post_id}
