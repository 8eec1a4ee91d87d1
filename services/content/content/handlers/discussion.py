"""A post's discussion read in pages: top-level comments by keyset, under each its first replies level by
level, built into threads without recursing; and a whole thread (``comment_thread``).

Rows are read as plain tuples (``ROW``) and shown without a schema per comment (``row_view``); removed
comments keep their place, emptied.

A page carries its authors' names (``people``: username and display name by id, content's copy kept from
identity's events, ``person_names``), so that it is shown without asking identity; an author whose names
content does not hold yet is left out of it, and named by whoever shows the page.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime
from functools import cache

from sqlalchemy import Integer, bindparam, func, literal_column, select, tuple_, union_all

from content.exceptions import Invalid, NotFound
from content.handlers import access
from content.handlers.comments import MAX_DEPTH, SHOWN
from content.models import Comment, PersonName
from svclib import pagination
from svclib.db import Transaction, driver

# Replies a page of the discussion holds under each top-level comment, level by level (the whole
# thread is GET /comments/{id}/thread): a first page costs the same with 20 comments or 2,000.
REPLIES_SHOWN = 5


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
        .where(Comment.root_id.in_(select(top.c.id)), Comment.depth > literal_column("0"))
        .subquery("ranked")
    )
    shown = (
        select(*ROW, Comment.root_id, ranked.c.place, ranked.c.in_thread)
        .join_from(ranked, Comment, Comment.id == ranked.c.id)
        .where(ranked.c.place <= literal_column(str(REPLIES_SHOWN)))
    )
    # Numbers written in the SQL, not bound: the statement takes the caller's values alone and runs on psycopg
    # (svclib.db.driver).
    zero = literal_column("0", Integer)
    return union_all(select(top, zero.label("place"), zero.label("in_thread")), shown)


def _page_with_replies(tx: Transaction, post_id: str, sort: str, size: int, cursor: str | None) -> tuple[dict, list]:
    """``(page, replies)``: a page of top-level comments and the replies shown under them (``_page_statement``)."""
    after = pagination.decode(cursor, SORTS[sort][1])
    bound = {"post_id": post_id, "size": size + 1, **{f"k{n}": value for n, value in enumerate(after or ())}}
    rows = tx.rows(_page_statement(sort, after is not None), bound)
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
    access.require_post(tx, post_id)
    page, replies = _page_with_replies(tx, post_id, sort, pagination.limit(limit), cursor)
    in_thread = {row.root_id: row.in_thread for row in replies}
    items = _threads(page["items"], replies, SORTS[sort][0])
    for item in items:
        item["more_replies"] = in_thread.get(item["id"], 0) - _shown(item)
    return {"items": items, "next_cursor": page["next_cursor"]}


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


def authors(page: dict) -> list[str]:
    """The ids of the people who wrote a page's comments (a removed comment or an erased author has none)."""
    found, stack = set(), list(page["items"])
    while stack:
        node = stack.pop()
        if node["author_id"]:
            found.add(node["author_id"])
        stack.extend(node["children"])
    return sorted(found)


@cache
def _names_statement(dialect: str):
    """The names content holds of the people bound as ``:ids`` (one array on PostgreSQL: ``svclib.db.driver``)."""
    columns = (PersonName.id, PersonName.username, PersonName.display_name)
    return select(*columns).where(driver.one_of(PersonName.id, "ids", dialect))


_AUTHOR_NAMES = select(PersonName.username, PersonName.display_name).where(PersonName.id == bindparam("author_id"))


def name_authors(tx: Transaction, page: dict) -> list[str]:
    """Add the page's authors' names it holds (``people``) and answer the authors' ids, named or not."""
    wanted = authors(page)
    rows = tx.rows(_names_statement(tx.connection.dialect.name), {"ids": wanted}) if wanted else []
    page["people"] = {row.id: {"username": row.username, "display_name": row.display_name} for row in rows}
    return wanted


def author_names(tx: Transaction, author_id: str | None) -> dict | None:
    """A post's author's names as content holds them, None when it holds none (or the author is erased)."""
    if not author_id:
        return None
    row = tx.row(_AUTHOR_NAMES, {"author_id": author_id})
    return {"username": row.username, "display_name": row.display_name} if row else None
