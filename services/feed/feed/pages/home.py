"""The home feed on PostgreSQL: a keyset union of the reader's sources, or a probe of the sort's index.

The home feed draws from many sources (each subwiki the reader belongs to, each person they
follow), which no single index orders. On PostgreSQL it is a keyset union: for each source a
walk of that source's ``(source, sort key, id)`` index from the cursor, ``LIMIT`` the batch
(``LATERAL`` over the reader's sources), the walks merged and cut to the batch. A post in one of
the reader's subwikis is taken from that subwiki's walk only, so a post both there and by someone
they follow comes once. Elsewhere (SQLite) the same rows come from one filtered scan
(``feed.pages.scan``).

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

from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import (
    Row,
    String,
    and_,
    any_,
    bindparam,
    func,
    literal_column,
    not_,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import Select

from feed.models import FeedFollow, FeedMembership, FeedMute
from feed.pages.keyset import POST, POSTS, SORT_COLUMNS, after, after_params, shown_columns
from feed.pages.scan import muted_by, new_creator_conditions
from svclib.db import Transaction
from svclib.db.driver import all_rows, first_row

if TYPE_CHECKING:
    from feed.pages.caps import Caps

PROBE_AHEAD = 8  # rows of the index a home batch looks at, per row it needs, before walking each source
# Sorts whose per-source indexes hold visible posts only and the columns the walks filter on
# (feed.models.FeedPost): their keys are read by index-only scans, so a batch finds its own keys among the
# sources' and reads only its rows whole (home_covered_statement). The other sorts read ``size / sources``
# keys a source (each key a row of the table) and walk down to that looser bound.
COVERED_SORTS = frozenset({"quality"})
LOWEST = {"quality": "'-Infinity'::float8"}  # below every key of a covered sort
FIRST_KEYS = 4  # keys a source a covered batch reads first, at least (home_covered_statement)
IDS = ARRAY(String)


def keyset_union(kind: str, dialect: str) -> bool:
    """Whether a kind of page is read here (the home feed on PostgreSQL), not by one scan."""
    return kind == "home" and dialect == "postgresql"


def home_sources(tx: Transaction, user_id: str) -> dict:
    """What a reader's home feed draws from and leaves out: ``{"user_id", "subwikis", "followees",
    "muted_people", "muted_subwikis"}``; the subwikis and people muted (or blocked) are no sources."""
    found: dict[str, list[str]] = {"subwikis": [], "followees": [], "user": [], "block": [], "subwiki": []}
    for kind, source in all_rows(tx.connection, home_sources_statement(), {"user_id": user_id}, named=False):
        found[kind].append(source)
    people, subwikis = {*found["user"], *found["block"]}, set(found["subwiki"])
    return {
        "user_id": user_id,
        "subwikis": [s for s in found["subwikis"] if s not in subwikis],
        "followees": [f for f in found["followees"] if f not in people],
        "muted_people": sorted(people),
        "muted_subwikis": sorted(subwikis),
    }


@cache
def home_sources_statement() -> Select:
    """``(kind, id)`` of each subwiki ``:user_id`` belongs to, each person they follow and each mute."""
    user_id = bindparam("user_id")
    return union_all(
        select(literal_column("'subwikis'", String).label("kind"), FeedMembership.subwiki_id.label("id")).where(
            FeedMembership.user_id == user_id
        ),
        select(literal_column("'followees'", String).label("kind"), FeedFollow.followee_id.label("id")).where(
            FeedFollow.follower_id == user_id
        ),
        select(FeedMute.kind, FeedMute.target_id).where(FeedMute.user_id == user_id),
    )


# --- the probe: the next rows of the sort's index, kept when the reader's sources fill a batch ---


def home_probe(connection, sort: str, sources: dict, key: list | None, size: int) -> list[Row] | None:
    """The next ``size`` home rows after ``key`` when the next PROBE_AHEAD × ``size`` rows of the index hold
    them (the reader's sources are dense there); None when they do not."""
    bound = {"user_id": sources["user_id"], "size": size, "examine": size * PROBE_AHEAD, **after_params(key)}
    rows = all_rows(connection, home_probe_statement(sort, key is not None), bound)
    return rows if len(rows) == size else None


@cache
def home_probe_statement(sort: str, from_key: bool) -> Select:
    """The next ``:examine`` visible rows of the sort's index from the cursor, those of them from the sources of
    the reader ``:user_id`` (subwikis joined, people followed, neither muted), ``:size`` at most, in feed order:
    the filtered scan's batch when it comes back full."""
    column = SORT_COLUMNS[sort]
    ahead = shown_columns().where(POST.visible.is_(True), *([after(column)] if from_key else []))
    ahead = ahead.order_by(column.desc(), POST.id.desc()).limit(bindparam("examine")).subquery("ahead")
    # Semi-joins on the reader's own rows, which PostgreSQL hashes whatever the plan.
    user_id = bindparam("user_id")
    subwikis = select(FeedMembership.subwiki_id).where(FeedMembership.user_id == user_id)
    followees = select(FeedFollow.followee_id).where(FeedFollow.follower_id == user_id)
    muted_people, muted_subwikis = muted_by(user_id)
    sources = or_(ahead.c.subwiki_id.in_(subwikis), ahead.c.author_id.in_(followees))
    muted = and_(
        or_(ahead.c.author_id.is_(None), ahead.c.author_id.not_in(muted_people)),
        ahead.c.subwiki_id.not_in(muted_subwikis),
    )
    key = ahead.c[column.key]
    return select(ahead).where(sources, muted).order_by(key.desc(), ahead.c.id.desc()).limit(bindparam("size"))


# --- the walks: each source's own index, merged ---


def home_batch(connection, sort: str, sources: dict, key: list | None, size: int, caps: Caps | None) -> list[Row]:
    """The next ``size`` home rows after ``key``, as the single scan would give them, skipping the rows
    ``caps`` would pass over anyway (their sources are no longer walked)."""
    bound: dict = {**walked(sources, caps), "size": size, **after_params(key)}
    walks = len(bound["walk_subwikis"]) + len(bound["walk_followees"])
    if not walks:
        return []
    if sort in COVERED_SORTS:
        bound.update(first=max(FIRST_KEYS, -(-size // walks)), nth=size - 1)
        return all_rows(connection, home_covered_statement(sort, key is not None), bound)
    keys = {**bound, "per_source": -(-size // walks), "nth": size - 1}
    low = first_row(connection, home_keys_statement(sort, key is not None), keys)
    if low is not None:
        bound["low"], bound["low_id"] = low
    return all_rows(connection, home_batch_statement(sort, key is not None, low is not None), bound)


def walked(sources: dict, caps: Caps | None) -> dict:
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


@cache
def home_covered_statement(sort: str, from_key: bool) -> Select:
    """A batch of ``:size`` home rows from the cursor for a sort whose walks read keys alone (COVERED_SORTS),
    in one statement: the walks read keys, and only the batch's rows are read whole.

    The batch's last key is found in two rounds. First each source's best ``:first`` keys: the ``:size``-th
    best of these (past ``:nth``, ``:size`` less one), when there are that many, is a floor no higher than the
    batch's last key (that many keys are at or above it). Then each source's keys down to that floor,
    ``:size`` at most: the best ``:size`` of them are the batch's own keys (a source holding more keys above
    the batch's last would have put them among these). A reader whose best posts come from a few of their
    sources reads a few keys from each of the others, not a batch's worth. The batch's rows are then read by
    their ids, in feed order."""
    column = SORT_COLUMNS[sort]
    conditions = [after(column)] if from_key else []
    first = select(_walks(sort, (column, POST.id), conditions, bindparam("first"))).cte("leading_keys")
    first_key, first_id = first.c[column.key], first.c.id
    # LIMIT 1 written in the SQL: the statement holds no value of its own (it runs on psycopg, svclib.db.driver).
    floor = select(first_key, first_id).order_by(first_key.desc(), first_id.desc()).offset(bindparam("nth"))
    floor = floor.limit(literal_column("1")).cte("floor_key")
    # No floor when the sources hold fewer keys than a batch: each then walks a batch's worth at most.
    at_floor = tuple_(column, POST.id) >= tuple_(
        func.coalesce(select(floor.c[column.key]).scalar_subquery(), literal_column(LOWEST[sort])),
        func.coalesce(select(floor.c.id).scalar_subquery(), literal_column("''")),
    )
    keys = _walks(sort, (column, POST.id), [*conditions, at_floor], bindparam("size"))
    best = keys.c[column.key].desc(), keys.c.id.desc()
    top = select(keys).order_by(*best).limit(bindparam("size")).subquery("top")
    rows = POSTS.alias("shown")
    shown = [rows.c[c.key] for c in shown_columns().selected_columns]
    return (
        select(*shown)
        .select_from(top.join(rows, rows.c.id == top.c.id))
        .order_by(top.c[column.key].desc(), top.c.id.desc())
    )


@cache
def home_keys_statement(sort: str, from_key: bool) -> Select:
    """For the sorts whose walks read rows (not in COVERED_SORTS): the ``:size``-th best sort key and id (past
    ``:nth``, ``:size`` less one) among each source's first ``:per_source`` rows from the cursor (``:size``
    spread over the sources), or none when they are fewer: it bounds from below what a batch of ``:size``
    must look at (every source holding more rows above it would have put them among these). PostgreSQL picks
    it out of the keys, which never come to the service."""
    column = SORT_COLUMNS[sort]
    keys = _walks(sort, (column, POST.id), [after(column)] if from_key else [], bindparam("per_source"))
    ordered = select(keys).order_by(keys.c[column.key].desc(), keys.c.id.desc())
    return ordered.offset(bindparam("nth")).limit(literal_column("1"))  # no value of its own: run on psycopg


@cache
def home_batch_statement(sort: str, from_key: bool, bounded: bool) -> Select:
    """A batch of home rows from the cursor, each source walked no lower than ``(:low, :low_id)`` when bounded."""
    column = SORT_COLUMNS[sort]
    conditions = [after(column)] if from_key else []
    if bounded:
        conditions.append(tuple_(column, POST.id) >= tuple_(bindparam("low", type_=column.type), bindparam("low_id")))
    return _home_statement(sort, conditions, bindparam("size"))


@cache
def home_new_creator_statement(sort: str, from_key: bool) -> Select:
    """The best post meeting ``scan.new_creator_conditions`` among the walks, from after the page's
    starting ``(:key, :key_id)`` when ``from_key``: for a reader whose page was walked per source."""
    column = SORT_COLUMNS[sort]
    conditions = new_creator_conditions("postgresql") + ([after(column)] if from_key else [])
    return _home_statement(sort, conditions, literal_column("1"))  # no value of its own: run on psycopg


def _home_statement(sort: str, conditions: list, size) -> Select:
    """The home feed's rows meeting ``conditions`` in feed order, ``size`` at most, as a keyset union:
    every source walks ``size`` rows at most, the walks are merged and cut."""
    merged = _walks(sort, tuple(shown_columns().selected_columns), conditions, size)
    key = merged.c[SORT_COLUMNS[sort].key]
    return select(merged).order_by(key.desc(), merged.c.id.desc()).limit(size)


def _walks(sort: str, columns: tuple, conditions: list, limit) -> Select:
    """For each home source still walked, its rows meeting ``conditions`` in feed order, ``limit`` each
    (``LATERAL``): each subwiki of ``:walk_subwikis`` and each person of ``:walk_followees``
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
