"""Full-text search over posts (title, body, the link's domain) and comments.

PostgreSQL: posts carry no language of their own, so every text is indexed twice, with the ``english``
and the ``french`` configurations (expression GIN indexes, migration 0008), and a query matches a text
when either language's stemmed form matches (``websearch_to_tsquery`` of the same configuration); its
text relevance is the better of the two ``ts_rank``s. The link's domain is indexed with ``simple``
(no stemming). The quality blended into relevance is the one content holds: the post's (or comment's)
net votes, ``rank * (1 + 0.25 * ln(1 + max(up - down, 0)))`` — the feed's quality lives in the feed.

SQLite (development and unit tests): FTS5 tables (migration 0014, kept in step by triggers on posts and
comments) with the ``porter`` tokenizer (English stemming, accents folded); every word of the query must
match. Text relevance is FTS5's ``bm25`` with the same column weights (title 1, body 0.4, domain 0.2),
blended with net votes by the same formula.

Removed posts, deleted comments, comments on removed posts and the content of erased people (left with
no author) never show. Pages are keyset pages (svclib.pagination) on the sort's key and the id.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import Float, and_, cast, column, exists, false, func, literal_column, or_, select, table, tuple_

from content.exceptions import Invalid
from content.handlers.comments import comment_view
from content.models import KNOWN_USERS, Comment, Post, Upload
from content.schemas import PostSchema
from svclib import pagination
from svclib.db import Transaction

KINDS = ("post", "comment")
SORTS = ("relevance", "quality", "new")
LANGUAGES = ("english", "french")
MAX_QUERY = 200
POST = PostSchema()

# The indexed expressions: written once here and in migration 0008 (PostgreSQL matches them by shape).
DOMAIN_SQL = "coalesce(substring(posts.url from '^[a-zA-Z]+://([^/:?#]+)'), '')"

# SQLite: the FTS5 tables of migration 0014 (kept by triggers) and each column's weight for bm25, as
# PostgreSQL's setweight A, B, C (title, body, domain); the id column is not searched.
POSTS_FTS = (table("posts_search", column("id"), column("title"), column("body"), column("domain")), (0, 1.0, 0.4, 0.2))
COMMENTS_FTS = (table("comments_search", column("id"), column("body")), (0, 1.0))


def post_document_sql(language: str) -> str:
    return (
        f"(setweight(to_tsvector('{language}'::regconfig, posts.title), 'A')"
        f" || setweight(to_tsvector('{language}'::regconfig, posts.body), 'B')"
        f" || setweight(to_tsvector('simple'::regconfig, {DOMAIN_SQL}), 'C'))"
    )


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


def _match_and_rank(tx: Transaction, q: str, model, document_sql, fts):
    """The rows matching ``q`` to join (SQLite), the condition that a row matches, and its relevance
    blended with its net votes."""
    net = _net(model)
    if tx.session.get_bind().dialect.name == "postgresql":
        matches, ranks = [], []
        for language in LANGUAGES:
            document = literal_column(document_sql(language))
            query = func.websearch_to_tsquery(literal_column(f"'{language}'::regconfig"), q)
            matches.append(document.op("@@")(query))
            ranks.append(cast(func.ts_rank(document, query), Float))
        return None, or_(*matches), cast(func.greatest(*ranks) * _blend(func.greatest(net, 0)), Float)
    words = re.findall(r"\w+", q)[:10]
    if not words:
        return None, false(), cast(net, Float)
    fts_table, weights = fts
    name = literal_column(fts_table.name)
    hits = (
        select(fts_table.c.id, (-func.bm25(name, *weights)).label("rank"))
        .where(name.op("MATCH")(" ".join(f'"{word}"' for word in words)))
        .subquery()
    )
    return hits, hits.c.id == model.id, cast(hits.c.rank * _blend(func.max(net, 0)), Float)


def _blend(positive_net):
    """What net votes multiply text relevance by (the same on both databases)."""
    return 1 + 0.25 * func.ln(1 + positive_net)


def _not_erased(author_column):
    """Erasure leaves a person's posts and comments with no author (content.handlers.accounts)."""
    return and_(
        author_column.is_not(None),
        ~exists().where(KNOWN_USERS.c.id == author_column, KNOWN_USERS.c.erased_at.is_not(None)),
    )


def _keyset(sort: str, score, model):
    """The sort's key columns, the types of its cursor, and the key of an answered row."""
    if sort == "relevance":
        return (score, model.id), (float, str)
    if sort == "quality":
        return (_net(model), model.id), (int, str)
    return (model.created_at, model.id), (datetime, str)


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
    if kind == "post":
        hits, match, score = _match_and_rank(tx, q, Post, post_document_sql, POSTS_FTS)
        model = Post
        query = select(Post, score.label("score")).where(match, Post.removed_at.is_(None), _not_erased(Post.author_id))
    else:
        hits, match, score = _match_and_rank(tx, q, Comment, comment_document_sql, COMMENTS_FTS)
        model = Comment
        query = (
            select(Comment, score.label("score"), Post)
            .join(Post, Post.id == Comment.post_id)
            .where(
                match,
                Comment.deleted_at.is_(None),
                Post.removed_at.is_(None),
                _not_erased(Comment.author_id),
                _not_erased(Post.author_id),
            )
        )
    if hits is not None:
        query = query.join(hits, match)
    if slug:
        query = query.where(Post.subwiki_slug == slug)
    columns, types = _keyset(sort, score, model)
    after = pagination.decode(cursor, types)
    if after is not None:
        query = query.where(tuple_(*columns) < tuple_(*after))
    query = query.order_by(*(column.desc() for column in columns)).limit(size + 1)
    rows = list(tx.session.execute(query))
    more = len(rows) > size
    rows = rows[:size]
    items = [_post_item(tx, row) if kind == "post" else _comment_item(row) for row in rows]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        key = {
            "relevance": float(last.score),
            "quality": _net(last[0]),
            "new": last[0].created_at,
        }[sort]
        next_cursor = pagination.encode(key, last[0].id)
    return {"items": items, "next_cursor": next_cursor}


def _post_item(tx: Transaction, row) -> dict:
    post = row[0]
    data = POST.dump(post)
    data["image_file"] = (
        tx.session.scalar(select(Upload.filename).where(Upload.id == post.image_id)) if post.image_id else None
    )
    return {"post": data, "score": float(row.score)}


def _comment_item(row) -> dict:
    comment, post = row[0], row[2]
    return {
        "comment": comment_view(comment),
        "post": {"id": post.id, "title": post.title, "subwiki": post.subwiki_slug},
        "score": float(row.score),
    }
