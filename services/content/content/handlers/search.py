"""Full-text search over posts (title, body, the link's domain) and comments.

PostgreSQL: each post is indexed in its own language (``Post.language``: ``en`` with the ``english``
configuration, ``fr`` with ``french``) in a stored generated ``search_document`` column under one GIN
index (migration 0015; the link's domain with ``simple``, no stemming). The query is read with each
language's configuration (``websearch_to_tsquery``) and a post matches when the reading of its own
language does; its text relevance is ``ts_rank`` of that reading. Relevance is ranked over the
``CANDIDATES`` newest matches only, so that a query matching a large share of a million posts costs a
bounded amount (ts_rank reads each candidate's document); the "quality" and "new" sorts cover every
match. The newest matches (relevance's candidates, a page of the "new" sort) are looked for first among the
recent posts, through their own index, and among the older ones only when those are too few
(content.handlers.recent_posts): the same rows, ties between posts of the same time broken by id. Each
match is scored from the row the index scan read (its document, its language, its quality); the page's
posts alone are read again, for what a listed post shows (not its body), with their
picture's file, their author's and subwiki's names (content's copies, ``person_names`` and
``subwiki_names``, kept from identity's and communities' events; None where none is held yet) in the same
statement: with the post's own counts and quality, what the gateway lists a post with, no other call.
A comment is written in its post's language: each is indexed with both configurations (expression
indexes, 0008) and matches when the reading of its post's language does, ranked by that reading's
``ts_rank``.

The quality blended into relevance is the feed's (trust-weighted votes, discussion, edits), kept from
its ``post_quality_changed`` in the post's own row (``Post.quality``, content.handlers.replicas); a post
the feed has not scored counts 0: ``rank * (1 + max(quality, 0))``. A comment's relevance is blended with its net votes,
``rank * (1 + 0.25 * ln(1 + max(up - down, 0)))`` (the feed scores no comments).

SQLite (development and unit tests): FTS5 tables (migration 0014, kept in step by triggers on posts and
comments) with the ``porter`` tokenizer (English stemming, accents folded) whatever the language; every
word of the query must match. Text relevance is FTS5's ``bm25`` with the same column weights (title 1,
body 0.4, domain 0.2), blended by the same formulas.

Removed posts, deleted comments, comments on removed posts and the content of erased people (left with
no author) never show. Pages are keyset pages (svclib.pagination) on the sort's key and the id.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime

from sqlalchemy import (
    Float,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import TIMESTAMP

from content.exceptions import Invalid
from content.handlers import recent_posts
from content.handlers.comments import comment_view
from content.models import LANGUAGES, Comment, PersonName, Post, SubwikiName, Upload
from svclib import pagination
from svclib.db import Transaction, UTCDateTime

KINDS = ("post", "comment")
SORTS = ("relevance", "quality", "new")
MAX_QUERY = 200
# How many of the newest matches relevance ranks (PostgreSQL): the bound of a query's cost. Ranking one
# costs its ts_rank (its quality is in the row the match read); a page shows 25.
CANDIDATES = 300
# The sorts whose pages are among the newest matches: the recent posts' index is read first for them.
NEWEST_FIRST = ("relevance", "new")

# What a found post carries: what a post shows where many are listed (its body is for its own page).
FOUND_COLUMNS = (
    Post.id,
    Post.kind,
    Post.title,
    Post.url,
    Post.image_id,
    Post.author_id,
    Post.subwiki_id,
    Post.subwiki_slug,
    Post.created_at,
    Post.comment_count,
    Post.up_count,
    Post.down_count,
    Post.language,
    Post.quality,
)
# What else a listed post shows, from content's copies of other services' names (None: not held yet).
NAME_COLUMNS = (
    PersonName.username.label("author_username"),
    PersonName.display_name.label("author_display_name"),
    SubwikiName.name.label("subwiki_name"),
)


def _named(query):
    """``query`` (of posts) with the names its posts are listed under, where content holds them."""
    return query.outerjoin(PersonName, PersonName.id == Post.author_id).outerjoin(
        SubwikiName, SubwikiName.id == Post.subwiki_id
    )


# PostgreSQL: each post's document in its own language (migration 0015); comments indexed in both (0008),
# each read in its post's language.
POST_DOCUMENT = literal_column("posts.search_document")

# SQLite: the FTS5 tables of migration 0014 (kept by triggers) and each column's weight for bm25, as
# PostgreSQL's setweight A, B, C (title, body, domain); the id column is not searched.
POSTS_FTS = (table("posts_search", column("id"), column("title"), column("body"), column("domain")), (0, 1.0, 0.4, 0.2))
COMMENTS_FTS = (table("comments_search", column("id"), column("body")), (0, 1.0))


def comment_document_sql(language: str) -> str:
    return f"to_tsvector('{language}'::regconfig, comments.body)"


def _check(q: str, kind: str, sort: str) -> str:
    fields = {}
    q = (q or "").strip()
    if not 1 <= len(q) <= MAX_QUERY:
        fields["q"] = [f"Use 1 to {MAX_QUERY} characters."]
    if kind not in KINDS:
        fields["kind"] = [f"Use one of {', '.join(KINDS)}."]
    if sort not in SORTS:
        fields["sort"] = [f"Use one of {', '.join(SORTS)}."]
    if fields:
        raise Invalid("Some search parameters are not valid.", fields=fields)
    return q


def _net(model):
    return model.up_count - model.down_count


def _tsquery(config: str, q: str):
    return func.websearch_to_tsquery(literal_column(f"'{config}'::regconfig"), q)


def _postgres(tx: Transaction) -> bool:
    return tx.session.get_bind().dialect.name == "postgresql"


def _fts_hits(q: str, fts):
    """SQLite: the FTS5 rows matching every word of ``q``, with their bm25 relevance (None: no word)."""
    words = re.findall(r"\w+", q)[:10]
    if not words:
        return None
    fts_table, weights = fts
    name = literal_column(fts_table.name)
    return (
        select(fts_table.c.id, (-func.bm25(name, *weights)).label("rank"))
        .where(name.op("MATCH")(" ".join(f'"{word}"' for word in words)))
        .subquery()
    )


def _blend_votes(positive_net):
    """What a comment's net votes multiply its text relevance by (the same on both databases)."""
    return 1 + 0.25 * func.ln(1 + positive_net)


def _blend_quality(quality, greatest):
    """What the feed's quality of a post multiplies its text relevance by (the same on both databases, whose
    two-argument maximum is ``greatest`` on PostgreSQL and ``max`` on SQLite)."""
    return 1 + greatest(quality, 0.0)


def _not_erased(author_column):
    """Erasure leaves a person's posts and comments with no author, in the transaction that marks them
    erased (content.handlers.accounts): no look-up of known_users, which holds every person."""
    return author_column.is_not(None)


def search(
    tx: Transaction,
    q: str,
    kind: str = "post",
    sort: str = "relevance",
    slug: str | None = None,
    size: int | None = None,
    cursor: str | None = None,
) -> dict:
    """A page of posts (``{"post", "score"}``) or comments (``{"comment", "post", "score"}``) matching ``q``."""
    q = _check(q, kind, sort)
    size = pagination.limit(size)
    types = {"relevance": (float, str), "quality": (float, str), "new": (datetime, str)}[sort]
    after = pagination.decode(cursor, types)
    if kind == "post":
        rows = _posts(tx, q, sort, slug, after, size + 1)
    else:
        rows = _comments(tx, q, sort, slug, after, size + 1)
    more = len(rows) > size
    rows = rows[:size]
    items = [_post_item(row) if kind == "post" else _comment_item(row) for row in rows]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = pagination.encode(last.key, last.id if kind == "post" else last[0].id)
    return {"items": items, "next_cursor": next_cursor}


def _page(query, key, model, after, limit):
    """``query`` ordered by (``key``, id) descending, from after the cursor's row."""
    if after is not None:
        query = query.where(tuple_(key, model.id) < tuple_(*after))
    return query.order_by(key.desc(), model.id.desc()).limit(limit)


def _posts(tx: Transaction, q: str, sort: str, slug: str | None, after, limit: int) -> list:
    if not _postgres(tx):
        shown = [Post.removed_at.is_(None), _not_erased(Post.author_id)]
        if slug:
            shown.append(Post.subwiki_slug == slug)
        hits = _fts_hits(q, POSTS_FTS)
        if hits is None:
            return []
        score = cast(hits.c.rank * _blend_quality(Post.quality, func.max), Float)
        query = _named(
            select(*FOUND_COLUMNS, *NAME_COLUMNS, Upload.filename.label("image_file"), score.label("score"))
            .select_from(Post)
            .join(hits, hits.c.id == Post.id)
            .outerjoin(Upload, Upload.id == Post.image_id)
        ).where(*shown)
        key = {"relevance": score, "quality": Post.quality, "new": Post.created_at}[sort]
        return list(tx.session.execute(_page(query.add_columns(key.label("key")), key, Post, after, limit)))
    after_key, after_id = after if after is not None else (None, None)
    values = {"q": q, "slug": slug, "after_key": after_key, "after_id": after_id, "limit": limit}
    bound = recent_posts.since(tx) if sort in NEWEST_FIRST else None
    if bound is not None:
        values["since"] = bound.isoformat()
    statement = _postgres_posts(sort, slug is not None, after is not None, bound is not None)
    return list(tx.session.execute(statement, values))


@functools.cache
def _postgres_posts(sort: str, by_subwiki: bool, paged: bool, recent: bool = False):
    """The PostgreSQL statement of a page of posts, with the query's words, the subwiki, the cursor and the
    page's size as parameters: built once for each shape (building one costs more than the plan of a rare
    query). Each match is scored from the row its index scan read (document, language, quality); the
    page's rows alone are read again, for what they show, with their picture's file in the same statement.
    ``recent`` (relevance and "new" only): the newest matches are looked for among the posts since the
    ``since`` parameter first (content.handlers.recent_posts), then among the older ones if too few."""
    q = bindparam("q", type_=String, literal_execute=True)
    shown = [Post.removed_at.is_(None), _not_erased(Post.author_id)]
    if by_subwiki:
        shown.append(Post.subwiki_slug == bindparam("slug", type_=String))
    readings = {code: _tsquery(config, q) for code, config in LANGUAGES.items()}
    match = or_(*(and_(Post.language == code, POST_DOCUMENT.op("@@")(query)) for code, query in readings.items()))
    found = select(Post.id, Post.language, POST_DOCUMENT.label("document"), Post.created_at, Post.quality)
    found = found.where(match, *shown)
    limit = bindparam("limit", type_=Integer)
    after = None
    if paged:
        after = (bindparam("after_key", type_=UTCDateTime() if sort == "new" else Float), bindparam("after_id"))
    if sort == "relevance":  # ranked among the newest matches only: ts_rank reads each document it ranks
        found = _newest(found, CANDIDATES, recent)
    elif sort == "new":  # the page's matches alone, newest first from the cursor's
        if paged:
            found = found.where(tuple_(Post.created_at, Post.id) < tuple_(*after))
        found = _newest(found, limit, recent)
    else:
        found = found.subquery()
    reading = case(*((found.c.language == code, query) for code, query in readings.items()))
    quality = found.c.quality
    score = cast(func.ts_rank(found.c.document, reading) * _blend_quality(quality, func.greatest), Float)
    key = {"relevance": score, "quality": quality, "new": found.c.created_at}[sort]
    ranked = select(found.c.id, score.label("score"), *([] if sort == "relevance" else [key.label("key")]))
    page = _page(ranked, key, found.c, after if sort != "new" else None, limit).subquery()
    page_key = page.c.score if sort == "relevance" else page.c.key
    query = _named(
        select(*FOUND_COLUMNS, *NAME_COLUMNS, Upload.filename.label("image_file"), page.c.score, page_key.label("key"))
        .select_from(page)
        .join(Post, Post.id == page.c.id)
        .outerjoin(Upload, Upload.id == Post.image_id)
    )
    return query.order_by(page_key.desc(), page.c.id.desc())


def _newest(found, count, recent: bool):
    """The newest ``count`` rows of ``found`` (a select of posts; ties by id), as a subquery in no order of
    its own. ``recent``: those since the ``since`` parameter (the recent posts' index,
    content.handlers.recent_posts) and, only when they are fewer than ``count``, the newest of the older ones
    to make up ``count``: the same rows as without, whatever the bound."""
    newest = (Post.created_at.desc(), Post.id.desc())
    if not recent:
        return found.order_by(*newest).limit(count).subquery()
    since = cast(bindparam("since", type_=String, literal_execute=True), TIMESTAMP(timezone=True))
    first = found.where(Post.created_at >= since).order_by(*newest).limit(count).cte("recent_matches")
    held = select(func.count()).select_from(first).scalar_subquery()
    # With ``count`` recent matches the older posts are not read at all (a LIMIT of 0 runs nothing below it);
    # otherwise only as many as make up ``count`` (all older than every recent one: no sort of the two).
    older = found.where(Post.created_at < since).order_by(*newest).limit(count - held)
    return union_all(select(*first.c), older).subquery()


def comment_match(q: str):
    """PostgreSQL: whether a comment matches ``q`` read in its post's language, and its ``ts_rank`` in that
    language (the comment joined with its post). Each language's reading is tried on that language's index
    (0008) first, either of them; the post's language then keeps the one that counts."""
    found, kept, ranks = [], [], []
    for code, config in LANGUAGES.items():
        document, query = literal_column(comment_document_sql(config)), _tsquery(config, q)
        found.append(document.op("@@")(query))
        kept.append(and_(Post.language == code, found[-1]))
        ranks.append((Post.language == code, func.ts_rank(document, query)))
    return and_(or_(*found), or_(*kept)), cast(case(*ranks, else_=0.0), Float)


def _comments(tx: Transaction, q: str, sort: str, slug: str | None, after, limit: int) -> list:
    net = _net(Comment)
    shown = [
        Comment.deleted_at.is_(None),
        Post.removed_at.is_(None),
        _not_erased(Comment.author_id),
        _not_erased(Post.author_id),
    ]
    if slug:
        shown.append(Post.subwiki_slug == slug)
    if _postgres(tx):
        match, rank = comment_match(q)
        score = cast(rank * _blend_votes(func.greatest(net, 0)), Float)
        query = select(Comment, score.label("score"), Post).join(Post, Post.id == Comment.post_id)
        query = query.where(match, *shown)
    else:
        hits = _fts_hits(q, COMMENTS_FTS)
        if hits is None:
            return []
        score = cast(hits.c.rank * _blend_votes(func.max(net, 0)), Float)
        query = (
            select(Comment, score.label("score"), Post)
            .join(hits, hits.c.id == Comment.id)
            .join(Post, Post.id == Comment.post_id)
            .where(*shown)
        )
    key = {"relevance": score, "quality": cast(net, Float), "new": Comment.created_at}[sort]
    return list(tx.session.execute(_page(query.add_columns(key.label("key")), key, Comment, after, limit)))


def _post_item(row) -> dict:
    """A found post as posts are listed (schemas.PostSchema's names, without the body its own page shows)."""
    return {
        "post": {
            "id": row.id,
            "kind": row.kind,
            "title": row.title,
            "url": row.url,
            "image_id": row.image_id,
            "image_file": row.image_file,
            "author_id": row.author_id,
            "subwiki_id": row.subwiki_id,
            "subwiki": row.subwiki_slug,
            "created_at": row.created_at.isoformat(),
            "comment_count": row.comment_count,
            "up": row.up_count,
            "down": row.down_count,
            "language": row.language,
            # What the listed post shows beside its words, as the feed's post_cards answers it: its author's
            # and subwiki's names (None where content holds none yet) and the post's quality.
            "author_username": row.author_username,
            "author_display_name": row.author_display_name,
            "subwiki_name": row.subwiki_name,
            "quality": row.quality,
        },
        "score": float(row.score),
    }


def _comment_item(row) -> dict:
    comment, post = row[0], row[2]
    return {
        "comment": comment_view(comment),
        "post": {"id": post.id, "title": post.title, "subwiki": post.subwiki_slug},
        "score": float(row.score),
    }
