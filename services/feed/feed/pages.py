"""Feed pages read from the read model: one prepared statement per kind of page.

A page is a keyset range scan over a ``(sort key, id)`` index from its cursor
of one table that holds everything an entry shows; caps and the new-creator slot are applied to
the rows as they come. Statements are built once per shape and reused with
new parameters, and rows are read as plain tuples: a page costs its index
scan and little else.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Row, and_, bindparam, or_, select, tuple_
from sqlalchemy.sql import Select

from feed import ranking
from feed.exceptions import Invalid
from feed.models import FeedFollow, FeedMembership, FeedPost, FeedSubwiki
from svclib import pagination
from svclib.db import Transaction, isoformat, parse_time

CONFIG = ranking.CONFIG
SORTS = ("quality", "new", "top")
WINDOWS = {"day": timedelta(days=1), "week": timedelta(days=7), "all": None}
SCAN_AHEAD = 10
MAX_SHOWN = 1000  # ids a cursor may carry as already shown (the gateway refuses longer lists too)

POST = FeedPost.__table__.c  # the columns of a feed entry
SORT_COLUMNS = {"quality": POST.rank, "new": POST.posted_at, "top": POST.approval}


def _condition(kind: str, windowed: bool) -> list:
    """The rows a kind of page draws from, with named parameters for the values."""
    conditions = [POST.visible.is_(True)]
    if kind == "front" and windowed:
        conditions.append(POST.posted_at > bindparam("since", type_=POST.posted_at.type))
    elif kind == "subwiki":
        conditions.append(POST.subwiki_id == bindparam("subwiki_id"))
    elif kind == "author":
        conditions.append(POST.author_id == bindparam("author_id"))
    elif kind == "home":
        subwikis = select(FeedMembership.subwiki_id).where(FeedMembership.user_id == bindparam("user_id"))
        followees = select(FeedFollow.followee_id).where(FeedFollow.follower_id == bindparam("user_id"))
        conditions.append(or_(POST.subwiki_id.in_(subwikis), POST.author_id.in_(followees)))
    return conditions


def _shown_columns() -> Select:
    """What a page shows of a post; names and the new-creator flag are kept on the row itself."""
    return select(*(column for column in POST if column.key not in ("visible", "created_at", "updated_at")))


def _after(column):
    # A row comparison, which PostgreSQL answers from the (column, id) index without scanning ahead.
    return tuple_(column, POST.id) < tuple_(bindparam("key", type_=column.type), bindparam("key_id"))


@cache
def scan_statement(kind: str, sort: str, windowed: bool, after: bool) -> Select:
    """Rows in feed order, with the author's and the subwiki's names; from after ``(:key, :key_id)``."""
    column = SORT_COLUMNS[sort]
    conditions = _condition(kind, windowed)
    if after:
        conditions.append(_after(column))
    return _shown_columns().where(and_(*conditions)).order_by(column.desc(), POST.id.desc()).limit(bindparam("size"))


@cache
def new_creator_statement(kind: str, sort: str, windowed: bool, after: bool) -> Select:
    """The best post by an author with few posts, approval above ``:median``, none of ``:excluded``.

    From after the page's starting ``(:key, :key_id)``: posts before it were on earlier pages.
    """
    column = SORT_COLUMNS[sort]
    conditions = [
        *_condition(kind, windowed),
        POST.approval > bindparam("median"),
        POST.id.notin_(bindparam("excluded", expanding=True)),
        POST.small_author.is_(True),
    ]
    if after:
        conditions.append(_after(column))
    return _shown_columns().where(and_(*conditions)).order_by(column.desc(), POST.id.desc()).limit(1)


# --- cursors -------------------------------------------------------------------------


def encode_cursor(cursor: dict) -> str:
    return pagination.pack(cursor)


def decode_cursor(cursor: str | None, sort: str) -> dict:
    """The cursor's state: ``k`` the key of the last row examined (parsed), ``s`` ids already shown."""
    if not cursor:
        return {}
    try:
        data = pagination.unpack(cursor)
        if not isinstance(data, dict) or not isinstance(data.get("k"), list) or len(data["k"]) != 2:
            raise ValueError("wrong shape")
        key, key_id = data["k"]
        if not isinstance(key_id, str):
            raise ValueError("wrong id")
        if sort != "new" and (isinstance(key, bool) or not isinstance(key, int | float) or not math.isfinite(key)):
            raise ValueError("not a finite score")
        data["k"] = [parse_time(key) if sort == "new" else float(key), key_id]
        shown = data.get("s", [])
        if not isinstance(shown, list) or len(shown) > MAX_SHOWN or not all(isinstance(i, str) for i in shown):
            raise ValueError("wrong shown list")
        return data
    except (ValueError, TypeError, AttributeError, OverflowError):
        raise pagination.invalid_cursor("this feed") from None


def _key(row: Row, sort: str) -> Any:
    if sort == "new":
        return row.posted_at.isoformat()
    return row.approval if sort == "top" else row.rank


# --- items ---------------------------------------------------------------------------


def item(row: Row, now: datetime, promoted: bool = False) -> dict:
    """A feed entry: the post's facts as the feed holds them, its scores, and the reasons for its place.

    Plain data: the gateway presents it in the public API's shape. The author's names are None
    once the author's account is gone.
    """
    age_hours = max(0.0, (now - row.posted_at).total_seconds() / 3600)
    factors = ranking.reasons(row, age_hours)
    if promoted:
        factors.append({"factor": "new_creator_slot", "value": 1})
    return {
        "post_id": row.id,
        "kind": row.kind,
        "title": row.title,
        "url": row.url,
        "image_file": row.image_file,
        "author_id": row.author_id,
        "author_username": row.author_username,
        "author_display_name": row.author_display_name,
        "subwiki": row.subwiki_slug,
        "subwiki_name": row.subwiki_name,
        "posted_at": isoformat(row.posted_at),
        **scores(row),
        "rank": {"score": row.rank, "reasons": factors},
    }


def scores(row) -> dict:
    """What the feed counted for a post: its votes (own votes left out), comments and quality."""
    return {"up": row.up_count, "down": row.down_count, "comment_count": row.comment_count, "quality": row.quality}


def post_scores(tx: Transaction, post_ids: list[str]) -> dict[str, dict]:
    """The scores of each post the feed holds, by id."""
    columns = (POST.id, POST.up_count, POST.down_count, POST.comment_count, POST.quality)
    rows = tx.connection.execute(select(*columns).where(POST.id.in_(post_ids))).all() if post_ids else []
    return {row.id: scores(row) for row in rows}


# --- pages ---------------------------------------------------------------------------


def page(
    tx: Transaction,
    kind: str,
    params: dict,
    sort: str,
    limit: int | None,
    cursor: str | None,
    now: datetime,
    per_subwiki: int | None = None,
) -> dict:
    """One page of a feed: a keyset range scan, author and subwiki caps, one new-creator slot.

    Posts passed over by a cap stay passed over: the next page starts after the last post examined.
    """
    if sort not in SORTS:
        raise Invalid("Unknown sort.", fields={"sort": [f"Use one of {', '.join(SORTS)}."]})
    size = pagination.limit(limit)
    state = decode_cursor(cursor, sort)
    shown = set(state.get("s", []))
    per_author = CONFIG.PER_AUTHOR if sort != "new" else None
    per_subwiki = per_subwiki if sort != "new" else None
    windowed = "since" in params
    connection = tx.connection

    def scan() -> Iterator[Row]:
        after, batch = state.get("k"), size + SCAN_AHEAD
        while True:
            bound = {**params, "size": batch}
            if after is not None:
                bound["key"], bound["key_id"] = after
            rows = connection.execute(scan_statement(kind, sort, windowed, after is not None), bound).all()
            yield from rows
            if len(rows) < batch:
                return
            after = [getattr(rows[-1], SORT_COLUMNS[sort].key), rows[-1].id]

    chosen, last, more = choose(scan(), size, shown, per_author, per_subwiki)
    median = creator_median(chosen) if sort == "quality" else None
    promoted = None
    if median is not None:
        promoted = _new_creator(connection, kind, params, sort, median, chosen, shown, state.get("k"))
    shown_rows = chosen if promoted is None else [*chosen[:-1], promoted]
    if promoted is not None:
        shown.add(promoted.id)
    items = [item(row, now, promoted=row is promoted) for row in shown_rows]
    next_cursor = encode_cursor({"k": [_key(last, sort), last.id], "s": sorted(shown)[-50:]}) if more else None
    return {"items": items, "next_cursor": next_cursor}


def choose(rows: Iterable, size: int, shown: set[str], per_author: int | None, per_subwiki: int | None):
    """A page's rows from rows in feed order: ``(chosen, last examined, more follow)``.

    Posts already shown and posts over an author's or a subwiki's cap are passed over.
    """
    chosen: list = []
    authors: dict[str, int] = {}
    subwikis: dict[str, int] = {}
    last, more = None, False
    for row in rows:
        if len(chosen) == size:
            more = True
            break
        last = row
        if row.id in shown or (per_author and authors.get(row.author_id, 0) >= per_author):
            continue
        if per_subwiki and subwikis.get(row.subwiki_id, 0) >= per_subwiki:
            continue
        chosen.append(row)
        authors[row.author_id] = authors.get(row.author_id, 0) + 1
        subwikis[row.subwiki_id] = subwikis.get(row.subwiki_id, 0) + 1
    return chosen, last, more


def creator_median(chosen: list) -> float | None:
    """The page's median approval when a new creator's post should be sought above it; None when the
    page is empty or already holds a post by an author with few posts above its median."""
    if not chosen:
        return None
    median = statistics.median(row.approval for row in chosen)
    if any(row.approval > median and row.small_author for row in chosen):
        return None
    return median


def _new_creator(
    connection,
    kind: str,
    params: dict,
    sort: str,
    median: float,
    chosen: list[Row],
    shown: set[str],
    start: list | None,
) -> Row | None:
    """The best post not yet shown by an author with few posts whose approval is above ``median``."""
    excluded = sorted({row.id for row in chosen} | shown)
    bound = {**params, "median": median, "excluded": excluded}
    if start is not None:
        bound["key"], bound["key_id"] = start
    statement = new_creator_statement(kind, sort, "since" in params, start is not None)
    return connection.execute(statement, bound).first()


def public_feed(tx: Transaction, sort: str, window: str, limit: int | None, cursor: str | None, now: datetime) -> dict:
    if window not in WINDOWS:
        raise Invalid("Unknown window.", fields={"window": ["Use day, week or all."]})
    params = {"since": now - WINDOWS[window]} if WINDOWS[window] else {}
    return page(tx, "front", params, sort, limit, cursor, now)


def subwiki_feed(tx: Transaction, slug: str, sort: str, limit: int | None, cursor: str | None, now: datetime) -> dict:
    slug = slug.lower()
    subwiki_id = tx.connection.scalar(select(FeedSubwiki.id).where(FeedSubwiki.slug == slug)) or tx.connection.scalar(
        select(FeedPost.subwiki_id).where(FeedPost.subwiki_slug == slug).limit(1)
    )
    if subwiki_id is None:
        return {"items": [], "next_cursor": None}
    return page(tx, "subwiki", {"subwiki_id": subwiki_id}, sort, limit, cursor, now)


def user_posts(tx: Transaction, author_id: str, limit: int | None, cursor: str | None, now: datetime) -> dict:
    return page(tx, "author", {"author_id": author_id}, "new", limit, cursor, now)


def home_feed(tx: Transaction, user_id: str, sort: str, limit: int | None, cursor: str | None, now: datetime) -> dict:
    return page(tx, "home", {"user_id": user_id}, sort, limit, cursor, now, per_subwiki=CONFIG.PER_SUBWIKI_HOME)
