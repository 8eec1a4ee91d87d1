"""The statement of each kind of page read by one scan of the sort's index: its rows and its new creator.

Every kind but the home feed on PostgreSQL (``feed.pages.home``) reads its rows this way: the
visible rows meeting the kind's conditions, in feed order from the cursor. Statements are built once
per shape and reused with new parameters (named in each condition).
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import String, and_, bindparam, literal_column, not_, or_, select
from sqlalchemy.sql import Select

from feed.models import MUTED_PEOPLE, FeedMute
from feed.pages.keyset import POST, SORT_COLUMNS, after, shown_columns
from svclib.db import Transaction, driver


def condition(kind: str, windowed: bool) -> list:
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
    elif kind == "home":  # one filtered scan (SQLite): feed.pages.home walks each source on PostgreSQL
        subwikis, followees = bindparam("subwikis", expanding=True), bindparam("followees", expanding=True)
        conditions.append(or_(POST.subwiki_id.in_(subwikis), POST.author_id.in_(followees)))
        muted = POST.author_id.not_in(bindparam("muted_people", expanding=True))
        conditions.append(or_(POST.author_id.is_(None), muted))
        conditions.append(POST.subwiki_id.not_in(bindparam("muted_subwikis", expanding=True)))
    return conditions


def muted_conditions() -> list:
    """The front page without posts by people or in subwikis that ``:viewer_id`` muted (or people they blocked)."""
    people, subwikis = muted_by(bindparam("viewer_id"))
    return [or_(POST.author_id.is_(None), POST.author_id.not_in(people)), POST.subwiki_id.not_in(subwikis)]


def muted_by(reader) -> tuple[Select, Select]:
    """The ids of the people and of the subwikis ``reader`` muted (people muted or blocked). The kinds are
    written in the SQL, not bound: the statement takes the reader's id alone (``svclib.db.driver``)."""
    people_kinds = [literal_column(f"'{kind}'", String) for kind in MUTED_PEOPLE]
    people = select(FeedMute.target_id).where(FeedMute.user_id == reader, FeedMute.kind.in_(people_kinds))
    subwiki_kind = literal_column("'subwiki'", String)
    return people, select(FeedMute.target_id).where(FeedMute.user_id == reader, FeedMute.kind == subwiki_kind)


def mutes_anything(tx: Transaction, viewer_id: str) -> bool:
    """Whether a reader muted or blocked anyone or any subwiki (else they share everyone's front page)."""
    return tx.row(_ANY_MUTE, {"viewer_id": viewer_id}) is not None


_ANY_MUTE = select(FeedMute.kind).where(FeedMute.user_id == bindparam("viewer_id")).limit(literal_column("1"))


@cache
def scan_statement(kind: str, sort: str, windowed: bool, from_key: bool) -> Select:
    """Rows in feed order, with the author's and the subwiki's names, ``:size`` at most; from after
    ``(:key, :key_id)`` when ``from_key``."""
    column = SORT_COLUMNS[sort]
    conditions = condition(kind, windowed) + ([after(column)] if from_key else [])
    return shown_columns().where(and_(*conditions)).order_by(column.desc(), POST.id.desc()).limit(bindparam("size"))


def new_creator_conditions(dialect: str) -> list:
    """A post by an author with few posts, approval above ``:median``, none of ``:excluded`` (one array on
    PostgreSQL, ``svclib.db.driver``)."""
    return [
        POST.approval > bindparam("median"),
        not_(driver.one_of(POST.id, "excluded", dialect)),
        POST.small_author.is_(True),
    ]


@cache
def new_creator_statement(kind: str, sort: str, windowed: bool, from_key: bool, dialect: str) -> Select:
    """The best post of the kind's rows meeting :func:`new_creator_conditions`.

    From after the page's starting ``(:key, :key_id)`` when ``from_key``: posts before it were on
    earlier pages.
    """
    column = SORT_COLUMNS[sort]
    conditions = condition(kind, windowed) + new_creator_conditions(dialect) + ([after(column)] if from_key else [])
    ordered = shown_columns().where(and_(*conditions)).order_by(column.desc(), POST.id.desc())
    return ordered.limit(literal_column("1"))  # written in the SQL: the statement holds no value of its own
