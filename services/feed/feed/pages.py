"""Feed pages read from the read model: one prepared statement per kind of page.

A page is a keyset range scan over a ``(sort key, id)`` index from its cursor
of one table that holds everything an entry shows; caps and the new-creator slot are applied to
the rows as they come. Statements are built once per shape and reused with
new parameters, and rows are read as plain tuples: a page costs its index
scan and little else.

The home feed draws from many sources (each subwiki the reader belongs to, each person they
follow), which no single index orders. On PostgreSQL it is a keyset union: for each source a
walk of that source's ``(source, sort key, id)`` index from the cursor, ``LIMIT`` the batch
(``LATERAL`` over the reader's sources), the walks merged and cut to the batch. A post in one of
the reader's subwikis is taken from that subwiki's walk only, so a post both there and by someone
they follow comes once. Elsewhere (SQLite) the same rows come from one filtered scan.

Which is cheaper depends on how much of the feed the reader's sources hold: a reader of many large
subwikis finds a page's rows among the first few hundred of the rank index, while 150 walks cost
150 index descents twice over; a reader of a few small subwikis would scan most of the index. So on
PostgreSQL each batch first looks at the next ``PROBE_AHEAD`` × batch rows of the sort's own index
from the cursor and keeps those from the reader's sources (``home_probe_statement``): when they fill
the batch, that is the filtered scan's batch, read without a walk; when they do not (the sources are
sparse there), the batch is walked per source, and so is the rest of the page. Once a cap is reached
the walks take over too, since they leave capped sources out, which the scan would pass over one by one.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Row, String, and_, any_, bindparam, func, literal, not_, or_, select, true, tuple_, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import Select

from feed import ranking
from feed.cache import FRONT, author_tag, home_tags, reader_tag, subwiki_tag
from feed.exceptions import Invalid
from feed.models import MUTED_PEOPLE, FeedFollow, FeedMembership, FeedMute, FeedPost, FeedSubwiki
from svclib import pagination
from svclib.db import Transaction, isoformat, parse_time

CONFIG = ranking.CONFIG
SORTS = ("quality", "new", "top")
WINDOWS = {"day": timedelta(days=1), "week": timedelta(days=7), "all": None}
SCAN_AHEAD = 10
MAX_BATCH = 400  # rows read at once when a page's caps pass many over
MAX_SHOWN = 1000  # ids a cursor may carry as already shown (the gateway refuses longer lists too)
PROBE_AHEAD = 8  # rows of the index a home batch looks at, per row it needs, before walking each source

POST = FeedPost.__table__.c  # the columns of a feed entry
SORT_COLUMNS = {"quality": POST.rank, "new": POST.posted_at, "top": POST.approval}


def _condition(kind: str, windowed: bool) -> list:
    """The rows a kind of page draws from, with named parameters for the values."""
    conditions = [POST.visible.is_(True)]
    if kind in ("front", "front_muted") and windowed:
        conditions.append(POST.posted_at > bindparam("since", type_=POST.posted_at.type))
    if kind == "front_muted":
        conditions += muted_conditions()
    elif kind == "subwiki":
        conditions.append(POST.subwiki_id == bindparam("subwiki_id"))
    elif kind == "author":
        conditions.append(POST.author_id == bindparam("author_id"))
    elif kind == "home":  # one filtered scan (SQLite): home_statement walks each source on PostgreSQL
        subwikis, followees = bindparam("subwikis", expanding=True), bindparam("followees", expanding=True)
        conditions.append(or_(POST.subwiki_id.in_(subwikis), POST.author_id.in_(followees)))
        muted = POST.author_id.not_in(bindparam("muted_people", expanding=True))
        conditions.append(or_(POST.author_id.is_(None), muted))
        conditions.append(POST.subwiki_id.not_in(bindparam("muted_subwikis", expanding=True)))
    return conditions


def muted_conditions() -> list:
    """The front page without posts by people or in subwikis that ``:viewer_id`` muted (or people they blocked)."""
    viewer = bindparam("viewer_id")
    people = select(FeedMute.target_id).where(FeedMute.user_id == viewer, FeedMute.kind.in_(MUTED_PEOPLE))
    subwikis = select(FeedMute.target_id).where(FeedMute.user_id == viewer, FeedMute.kind == "subwiki")
    return [or_(POST.author_id.is_(None), POST.author_id.not_in(people)), POST.subwiki_id.not_in(subwikis)]


def mutes_anything(tx: Transaction, viewer_id: str) -> bool:
    """Whether a reader muted or blocked anyone or any subwiki (else they share everyone's front page)."""
    query = select(FeedMute.kind).where(FeedMute.user_id == viewer_id).limit(1)
    return tx.connection.scalar(query) is not None


IDS = ARRAY(String)


def _walks(sort: str, columns: tuple, conditions: list, limit) -> Select:
    """For each home source still walked, its rows meeting ``conditions`` in feed order, ``limit`` each
    (PostgreSQL, ``LATERAL``): each subwiki of ``:walk_subwikis`` and each person of ``:walk_followees``
    walks its own ``(source, sort key, id)`` index. A followee's post in a subwiki of ``:skip_subwikis``
    (the reader's own, and those capped on this page) is left to that subwiki; a subwiki's post by an
    author of ``:skip_authors`` (capped on this page; ``:skip_anonymous``, erased authors) is passed over."""
    column = SORT_COLUMNS[sort]
    anonymous = and_(POST.author_id.is_(None), not_(bindparam("skip_anonymous")))
    only = {
        "walk_subwikis": (
            POST.subwiki_id,
            or_(anonymous, not_(POST.author_id == any_(bindparam("skip_authors", type_=IDS)))),
        ),
        "walk_followees": (POST.author_id, not_(POST.subwiki_id == any_(bindparam("skip_subwikis", type_=IDS)))),
    }

    def walks(sources: str) -> Select:
        source_column, skip = only[sources]
        source = func.unnest(bindparam(sources, type_=IDS)).table_valued("id").render_derived(name=f"{sources}_each")
        walk = (
            select(*columns)
            .where(POST.visible.is_(True), source_column == source.c.id, skip, *conditions)
            .order_by(column.desc(), POST.id.desc())
            .limit(limit)
            .lateral()
        )
        return select(walk).select_from(source).join(walk, true())

    return union_all(walks("walk_subwikis"), walks("walk_followees")).subquery("walks")


def home_statement(sort: str, conditions: list, size) -> Select:
    """The home feed's rows meeting ``conditions`` in feed order, ``size`` at most, as a keyset union
    (PostgreSQL): every source walks ``size`` rows at most, the walks are merged and cut."""
    merged = _walks(sort, tuple(_shown_columns().selected_columns), conditions, size)
    key = merged.c[SORT_COLUMNS[sort].key]
    return select(merged).order_by(key.desc(), merged.c.id.desc()).limit(size)


@cache
def home_keys_statement(sort: str, after: bool) -> Select:
    """The sort keys of each source's first ``:per_source`` rows from the cursor: the ``:size``-th best of them
    bounds from below what a batch of ``:size`` must look at (every source holding more rows above it
    would have put them among these)."""
    column = SORT_COLUMNS[sort]
    return select(_walks(sort, (column, POST.id), [_after(column)] if after else [], bindparam("per_source")))


@cache
def home_batch_statement(sort: str, after: bool, bounded: bool) -> Select:
    """A batch of home rows from the cursor, each source walked no lower than ``(:low, :low_id)`` when bounded."""
    column = SORT_COLUMNS[sort]
    conditions = [_after(column)] if after else []
    if bounded:
        conditions.append(tuple_(column, POST.id) >= tuple_(bindparam("low", type_=column.type), bindparam("low_id")))
    return home_statement(sort, conditions, bindparam("size"))


@cache
def home_probe_statement(sort: str, after: bool) -> Select:
    """The next ``:examine`` visible rows of the sort's index from the cursor, those of them from the reader's
    sources (``:subwikis``, ``:followees``, neither muted: ``:muted_people``, ``:muted_subwikis``), ``:size``
    at most, in feed order (PostgreSQL): the filtered scan's batch when it comes back full."""
    column = SORT_COLUMNS[sort]
    ahead = _shown_columns().where(POST.visible.is_(True), *([_after(column)] if after else []))
    ahead = ahead.order_by(column.desc(), POST.id.desc()).limit(bindparam("examine")).subquery("ahead")

    def among(name: str):  # a semi-join PostgreSQL hashes, whatever the plan (an array's ANY is searched row by row)
        return select(func.unnest(bindparam(name, type_=IDS)))

    sources = or_(ahead.c.subwiki_id.in_(among("subwikis")), ahead.c.author_id.in_(among("followees")))
    muted = and_(
        or_(ahead.c.author_id.is_(None), ahead.c.author_id.not_in(among("muted_people"))),
        ahead.c.subwiki_id.not_in(among("muted_subwikis")),
    )
    key = ahead.c[column.key]
    return select(ahead).where(sources, muted).order_by(key.desc(), ahead.c.id.desc()).limit(bindparam("size"))


def home_probe(connection, sort: str, sources: dict, after: list | None, size: int) -> list[Row] | None:
    """The next ``size`` home rows after ``after`` when the next PROBE_AHEAD × ``size`` rows of the index hold
    them (the reader's sources are dense there); None when they do not."""
    bound = {key: sources[key] for key in ("subwikis", "followees", "muted_people", "muted_subwikis")}
    bound.update(size=size, examine=size * PROBE_AHEAD)
    if after is not None:
        bound["key"], bound["key_id"] = after
    rows = connection.execute(home_probe_statement(sort, after is not None), bound).all()
    return rows if len(rows) == size else None


def home_batch(connection, sort: str, sources: dict, after: list | None, size: int, caps: Caps | None) -> list[Row]:
    """The next ``size`` home rows after ``after``, as the single scan would give them, skipping the rows
    ``caps`` would pass over anyway (their sources are no longer walked)."""
    bound: dict = {**_walked(sources, caps), "size": size}
    if after is not None:
        bound["key"], bound["key_id"] = after
    walked = len(bound["walk_subwikis"]) + len(bound["walk_followees"])
    if not walked:
        return []
    keys = connection.execute(
        home_keys_statement(sort, after is not None), {**bound, "per_source": -(-size // walked)}
    ).all()
    low = sorted((tuple(key) for key in keys), reverse=True)[size - 1] if len(keys) >= size else None
    if low is not None:
        bound["low"], bound["low_id"] = low
    return connection.execute(home_batch_statement(sort, after is not None, low is not None), bound).all()


def _walked(sources: dict, caps: Caps | None) -> dict:
    """Which sources are still walked and what they skip, given the caps reached on the page so far.

    What the reader muted is skipped as a capped source is: a muted subwiki or person is never walked
    (``home_sources`` leaves them out), a followee's post in a muted subwiki and a subwiki's post by a
    muted person are passed over in the walks."""
    subwikis, followees = sources["subwikis"], sources["followees"]
    capped_subwikis = caps.capped_subwikis() if caps else set()
    capped_authors = caps.capped_authors() if caps else set()
    return {
        "walk_subwikis": [s for s in subwikis if s not in capped_subwikis],
        "walk_followees": [a for a in followees if a not in capped_authors],
        "skip_subwikis": sorted({*subwikis, *capped_subwikis, *sources["muted_subwikis"]}),
        "skip_authors": sorted({*(a for a in capped_authors if a is not None), *sources["muted_people"]}),
        "skip_anonymous": None in capped_authors,
    }


def home_sources(tx: Transaction, user_id: str) -> dict:
    """What a reader's home feed draws from and leaves out: ``{"subwikis", "followees", "muted_people",
    "muted_subwikis"}``; the subwikis and people muted (or blocked) are no sources."""
    statement = union_all(
        select(literal("subwikis").label("kind"), FeedMembership.subwiki_id.label("id")).where(
            FeedMembership.user_id == user_id
        ),
        select(literal("followees").label("kind"), FeedFollow.followee_id.label("id")).where(
            FeedFollow.follower_id == user_id
        ),
        select(FeedMute.kind, FeedMute.target_id).where(FeedMute.user_id == user_id),
    )
    found: dict[str, list[str]] = {"subwikis": [], "followees": [], "user": [], "block": [], "subwiki": []}
    for kind, source in tx.connection.execute(statement):
        found[kind].append(source)
    people, subwikis = {*found["user"], *found["block"]}, set(found["subwiki"])
    return {
        "subwikis": [s for s in found["subwikis"] if s not in subwikis],
        "followees": [f for f in found["followees"] if f not in people],
        "muted_people": sorted(people),
        "muted_subwikis": sorted(subwikis),
    }


def _keyset_union(kind: str, dialect: str) -> bool:
    return kind == "home" and dialect == "postgresql"


def _shown_columns() -> Select:
    """What a page shows of a post; names and the new-creator flag are kept on the row itself."""
    return select(*(column for column in POST if column.key not in ("visible", "created_at", "updated_at")))


def _after(column):
    # A row comparison, which PostgreSQL answers from the (column, id) index without scanning ahead.
    return tuple_(column, POST.id) < tuple_(bindparam("key", type_=column.type), bindparam("key_id"))


@cache
def scan_statement(kind: str, sort: str, windowed: bool, after: bool) -> Select:
    """Rows in feed order, with the author's and the subwiki's names; from after ``(:key, :key_id)``
    (the home feed's on SQLite; on PostgreSQL, ``home_batch``)."""
    column = SORT_COLUMNS[sort]
    conditions = _condition(kind, windowed) + ([_after(column)] if after else [])
    return _shown_columns().where(and_(*conditions)).order_by(column.desc(), POST.id.desc()).limit(bindparam("size"))


@cache
def new_creator_statement(kind: str, sort: str, windowed: bool, after: bool, walks: bool) -> Select:
    """The best post by an author with few posts, approval above ``:median``, none of ``:excluded``.

    From after the page's starting ``(:key, :key_id)``: posts before it were on earlier pages. ``walks``:
    the home feed's keyset union, for a reader whose page was walked per source.
    """
    column = SORT_COLUMNS[sort]
    conditions = [
        POST.approval > bindparam("median"),
        POST.id.notin_(bindparam("excluded", expanding=True)),
        POST.small_author.is_(True),
    ]
    if after:
        conditions.append(_after(column))
    if walks:
        return home_statement(sort, conditions, 1)
    conditions = _condition(kind, windowed) + conditions
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
    dialect = connection.dialect.name

    caps = Caps(per_author, per_subwiki)
    keyset_union = _keyset_union(kind, dialect)
    pruned, walked = False, False

    def scan() -> Iterator[Row]:
        nonlocal pruned, walked
        # The home feed's caps pass more over: its first batch looks further ahead (each costs a round of walks).
        after, batch = state.get("k"), size + SCAN_AHEAD + (size if keyset_union else 0)
        while True:
            rows = None
            if keyset_union and not walked and not caps.reached():
                rows = home_probe(connection, sort, params, after, batch)
            if keyset_union and rows is None:
                walked = True  # sparse here, or capped: the rest of the page is walked per source
                pruned = pruned or caps.reached()
                rows = home_batch(connection, sort, params, after, batch, caps)
            elif rows is None:
                bound = {**params, "size": batch}
                if after is not None:
                    bound["key"], bound["key_id"] = after
                statement = scan_statement(kind, sort, windowed, after is not None)
                rows = connection.execute(statement, bound).all()
            yield from rows
            if len(rows) < batch:
                return
            after = [getattr(rows[-1], SORT_COLUMNS[sort].key), rows[-1].id]
            batch = min(batch * 2, MAX_BATCH)  # rows passed over: look further ahead at once

    chosen, last, more = choose(scan(), size, shown, caps)
    if pruned and not more and len(chosen) == size:
        # The walks left out rows the caps passed over; any row at all after the last one makes a next page.
        after = [getattr(last, SORT_COLUMNS[sort].key), last.id]
        more = bool(home_batch(connection, sort, params, after, 1, None))
    median = creator_median(chosen) if sort == "quality" else None
    promoted = None
    if median is not None:
        promoted = _new_creator(connection, kind, params, sort, median, chosen, shown, state.get("k"), walked)
    shown_rows = chosen if promoted is None else [*chosen[:-1], promoted]
    if promoted is not None:
        shown.add(promoted.id)
    items = [item(row, now, promoted=row is promoted) for row in shown_rows]
    next_cursor = encode_cursor({"k": [_key(last, sort), last.id], "s": sorted(shown)[-50:]}) if more else None
    return {"items": items, "next_cursor": next_cursor}


class Caps:
    """How many posts of each author and each subwiki a page holds so far, against their caps (None: no cap)."""

    def __init__(self, per_author: int | None, per_subwiki: int | None):
        self.per_author, self.per_subwiki = per_author, per_subwiki
        self.authors: dict[str | None, int] = {}
        self.subwikis: dict[str, int] = {}

    def passes_over(self, row) -> bool:
        if self.per_author and self.authors.get(row.author_id, 0) >= self.per_author:
            return True
        return bool(self.per_subwiki and self.subwikis.get(row.subwiki_id, 0) >= self.per_subwiki)

    def count(self, row) -> None:
        self.authors[row.author_id] = self.authors.get(row.author_id, 0) + 1
        self.subwikis[row.subwiki_id] = self.subwikis.get(row.subwiki_id, 0) + 1

    def capped_authors(self) -> set[str | None]:
        return {a for a, n in self.authors.items() if self.per_author and n >= self.per_author}

    def capped_subwikis(self) -> set[str]:
        return {s for s, n in self.subwikis.items() if self.per_subwiki and n >= self.per_subwiki}

    def reached(self) -> bool:
        return bool(self.capped_authors() or self.capped_subwikis())


def choose(rows: Iterable, size: int, shown: set[str], caps: Caps):
    """A page's rows from rows in feed order: ``(chosen, last examined, more follow)``.

    Posts already shown and posts over an author's or a subwiki's cap are passed over; ``caps``
    counts the posts chosen as it goes.
    """
    chosen: list = []
    last, more = None, False
    for row in rows:
        if len(chosen) == size:
            more = True
            break
        last = row
        if row.id in shown or caps.passes_over(row):
            continue
        chosen.append(row)
        caps.count(row)
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
    walked: bool,
) -> Row | None:
    """The best post not yet shown by an author with few posts whose approval is above ``median``; sought
    as the page's rows were, walking each home source when they were walked (``walked``)."""
    excluded = sorted({row.id for row in chosen} | shown)
    bound = {**params, "median": median, "excluded": excluded}
    if walked:
        bound.update(_walked(params, None))
    if start is not None:
        bound["key"], bound["key_id"] = start
    statement = new_creator_statement(kind, sort, "since" in params, start is not None, walked)
    return connection.execute(statement, bound).first()


def _window(window: str, now: datetime) -> dict:
    if window not in WINDOWS:
        raise Invalid("Unknown window.", fields={"window": ["Use day, week or all."]})
    return {"since": now - WINDOWS[window]} if WINDOWS[window] else {}


def public_feed(
    tx: Transaction,
    sort: str,
    window: str,
    limit: int | None,
    cursor: str | None,
    now: datetime,
    depends: set | None = None,
) -> dict:
    """The front page. ``depends`` (here and below), when given, receives the tags of what the page is read
    from (``feed.cache``)."""
    params = _window(window, now)
    _depends(depends, {FRONT})
    return page(tx, "front", params, sort, limit, cursor, now)


def public_feed_for(
    tx: Transaction,
    viewer_id: str,
    sort: str,
    window: str,
    limit: int | None,
    cursor: str | None,
    now: datetime,
    depends: set | None = None,
) -> dict:
    """The front page as a reader who muted people or subwikis sees it."""
    params = {**_window(window, now), "viewer_id": viewer_id}
    _depends(depends, {FRONT, reader_tag(viewer_id)})
    return page(tx, "front_muted", params, sort, limit, cursor, now)


def subwiki_feed(
    tx: Transaction,
    slug: str,
    sort: str,
    limit: int | None,
    cursor: str | None,
    now: datetime,
    depends: set | None = None,
) -> dict:
    slug = slug.lower()
    subwiki_id = tx.connection.scalar(select(FeedSubwiki.id).where(FeedSubwiki.slug == slug)) or tx.connection.scalar(
        select(FeedPost.subwiki_id).where(FeedPost.subwiki_slug == slug).limit(1)
    )
    if subwiki_id is None:
        _depends(depends, {FRONT})  # a subwiki named or a post made anywhere may make it known
        return {"items": [], "next_cursor": None}
    _depends(depends, {subwiki_tag(subwiki_id)})
    return page(tx, "subwiki", {"subwiki_id": subwiki_id}, sort, limit, cursor, now)


def user_posts(
    tx: Transaction, author_id: str, limit: int | None, cursor: str | None, now: datetime, depends: set | None = None
) -> dict:
    _depends(depends, {author_tag(author_id)})
    return page(tx, "author", {"author_id": author_id}, "new", limit, cursor, now)


def home_feed(
    tx: Transaction,
    user_id: str,
    sort: str,
    limit: int | None,
    cursor: str | None,
    now: datetime,
    depends: set | None = None,
) -> dict:
    params = home_sources(tx, user_id)
    if depends is not None:
        depends |= home_tags(user_id, params["subwikis"], params["followees"])
    return page(tx, "home", params, sort, limit, cursor, now, per_subwiki=CONFIG.PER_SUBWIKI_HOME)


def _depends(depends: set | None, tags: set[str]) -> None:
    if depends is not None:
        depends |= tags
