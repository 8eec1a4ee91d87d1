"""Rows in feed order: the read model's columns a page shows, the sort keys, and reading on from a cursor.

A page is a keyset range scan over a ``(sort key, id)`` index of one table that holds everything an
entry shows (``feed_posts``): each statement of ``feed.pages`` orders by a sort's column then the id,
both descending, and goes on after the last row examined, ``(:key, :key_id)``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, select, tuple_
from sqlalchemy.sql import Select

from feed.models import FeedPost

POSTS = FeedPost.__table__  # the feed's entries
POST = POSTS.c  # their columns
SORT_COLUMNS = {"quality": POST.rank, "new": POST.posted_at, "top": POST.approval}


# Kept on the row for the feed's own upkeep, never shown: when it was last rescored and is next due, the version
# of the quality last announced, and the row's own times.
NOT_SHOWN = ("visible", "created_at", "updated_at", "refreshed_at", "refresh_due", "quality_version")


def shown_columns() -> Select:
    """What a page shows of a post (an entry, its reasons, its caps and its cursor); names and the new-creator
    flag are kept on the row itself."""
    return select(*(column for column in POST if column.key not in NOT_SHOWN))


def after(column):
    """The rows after ``(:key, :key_id)`` in ``column``'s order."""
    # A row comparison, which PostgreSQL answers from the (column, id) index without scanning ahead.
    return tuple_(column, POST.id) < tuple_(bindparam("key", type_=column.type), bindparam("key_id"))


def after_params(key: list | None) -> dict:
    """The parameters of :func:`after` for a row's ``[sort key, id]``; none from the first row."""
    return {} if key is None else {"key": key[0], "key_id": key[1]}


def key_of(row: Row, sort: str) -> list[Any]:
    """A row's ``[sort key, id]``: where the next rows start."""
    return [getattr(row, SORT_COLUMNS[sort].key), row.id]
