"""Comments on posts: threaded replies, edits with kept revisions, removal that keeps the thread's shape."""

from __future__ import annotations

import uuid
from collections import deque
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, func, literal, select, tuple_, union_all

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
# Replies a page of the discussion holds under each top-level comment, level by level (the whole
# thread is GET /comments/{id}/thread): a first page costs the same with 20 comments or 2,000.
REPLIES_SHOWN = 5
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


ROW = tuple(getattr(Comment, c) for c in SHOWN) + (Comment.deleted_at,)


def row_view(row) -> dict:
    """What ``comment_view`` gives, from a row of ``ROW``'s columns read as a plain tuple: a page of the
    discussion loads no ORM objects and runs no schema per comment."""
    deleted = row.deleted_at is not None
    return {
        "id": row.id,
        "post_id": row.post_id,
        "parent_id": row.parent_id,
        "author_id": None if deleted else row.author_id,
        "body": "" if deleted else row.body,
        "body_html": "" if deleted else row.body_html,
        "revision": row.revision,
        "up": row.up_count,
        "down": row.down_count,
        "deleted": deleted,
        "created_at": row.created_at.isoformat(),
    }


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


def _sort_columns(sort: str) -> tuple:
    score = Comment.up_count - Comment.down_count
    return (Comment.created_at, Comment.id) if sort == "new" else (score, Comment.created_at, Comment.id)


@cache
def _page_statement(sort: str, after: bool):
    """A page of a post's top-level comments in the sort's order, highest first, from after the cursor's key
    (``:k0``, ``:k1``…) (keyset paging on the partial indexes of top-level comments, ``ix_comments_top_new``
    and ``ix_comments_top_quality``), ``:size`` at most; and under each its first REPLIES_SHOWN replies level
    by level, each level in the sort's order (so every reply shown has its parent shown), with ``in_thread``,
    how many replies its thread holds in all. Built once per shape, one statement."""
    columns = _sort_columns(sort)
    top = select(*ROW, Comment.root_id).where(Comment.post_id == bindparam("post_id"), Comment.parent_id.is_(None))
    if after:
        key = tuple_(*(bindparam(f"k{n}", type_=column.type) for n, column in enumerate(columns)))
        top = top.where(tuple_(*columns) < key)
    top = top.order_by(*(column.desc() for column in columns)).limit(bindparam("size")).cte("top_level")
    # Replies ranked from the thread index alone (narrow rows, ``ix_comments_thread``); only those shown are read.
    ranked = (
        select(
            Comment.id,
            func.row_number()
            .over(partition_by=Comment.root_id, order_by=(Comment.depth, *(column.desc() for column in columns)))
            .label("place"),
            func.count().over(partition_by=Comment.root_id).label("in_thread"),
        )
        .where(Comment.root_id.in_(select(top.c.id)), Comment.depth > 0)
        .subquery("ranked")
    )
    shown = (
        select(*ROW, Comment.root_id, ranked.c.place, ranked.c.in_thread)
        .join_from(ranked, Comment, Comment.id == ranked.c.id)
        .where(ranked.c.place <= REPLIES_SHOWN)
    )
    return union_all(select(top, literal(0).label("place"), literal(0).label("in_thread")), shown)


def _page_with_replies(tx: Transaction, post_id: str, sort: str, size: int, cursor: str | None) -> tuple[dict, list]:
    """``(page, replies)``: a page of top-level comments and the replies shown under them (``_page_statement``)."""
    after = pagination.decode(cursor, SORTS[sort][1])
    bound = {"post_id": post_id, "size": size + 1, **{f"k{n}": value for n, value in enumerate(after or ())}}
    rows = tx.connection.execute(_page_statement(sort, after is not None), bound).all()
    key = SORTS[sort][0]
    roots = sorted((row for row in rows if row.parent_id is None), key=key, reverse=True)
    return pagination.page(roots, size, key), [row for row in rows if row.parent_id is not None]


def _threads(roots: list, replies: list, key) -> list[dict]:
    """The roots with their replies as trees, built with a queue (never recursing on the data's shape).

    Rows of ``ROW``'s columns. A reply found deeper than MAX_DEPTH (written before the cap) is shown beside
    its parent."""
    children: dict[str, list] = {}
    for reply in replies:
        children.setdefault(reply.parent_id, []).append(reply)
    nodes = {root.id: {**row_view(root), "children": []} for root in roots}
    queue = deque((root, nodes[root.id], 0) for root in roots)
    while queue:
        comment, holder, depth = queue.popleft()
        for child in children.pop(comment.id, ()):
            node = nodes[child.id] = {**row_view(child), "children": []}
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


def _shown(node: dict) -> int:
    """How many replies a tree holds below its top."""
    count, stack = 0, list(node["children"])
    while stack:
        count += 1
        stack.extend(stack.pop()["children"])
    return count


def list_comments(
    tx: Transaction, post_id: str, sort: str = "new", limit: int | None = None, cursor: str | None = None
) -> dict:
    """A page of top-level comments in the sort's order, each with its first REPLIES_SHOWN replies level by
    level and ``more_replies``, how many of its thread's replies are left for its whole thread
    (``comment_thread``); removed comments keep their place, emptied."""
    if sort not in SORTS:
        raise Invalid("Unknown sort.", fields={"sort": [f"Use one of {', '.join(SORTS)}."]})
    post = access.post(tx, post_id)
    page, replies = _page_with_replies(tx, post.id, sort, pagination.limit(limit), cursor)
    in_thread = {row.root_id: row.in_thread for row in replies}
    items = _threads(page["items"], replies, SORTS[sort][0])
    for item in items:
        item["more_replies"] = in_thread.get(item["id"], 0) - _shown(item)
    return {"items": items, "next_cursor": page["next_cursor"]}


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
    root_id = found.root_id or found.id
    thread = tx.connection.execute(select(*ROW).where(Comment.root_id == root_id)).all()
    root = next((row for row in thread if row.id == root_id), None)
    if root is None:  # a thread whose top is missing: shown from the comment found
        root = tx.connection.execute(select(*ROW).where(Comment.id == found.id)).one()
    replies = [row for row in thread if row.id != root.id and row.parent_id is not None]
    (item,) = _threads([root], replies, SORTS["quality"][0])
    return {"items": [{**item, "more_replies": 0}], "next_cursor": None, "post_id": root.post_id}
