"""Keyset pagination: an opaque cursor holds the sort key of the last item shown,
so page 1000 costs what page 1 costs."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from svclib.exceptions import Invalid

MAX_LIMIT = 100
DEFAULT_LIMIT = 25


def encode(*key: Any) -> str:
    values = [value.isoformat() if isinstance(value, datetime) else value for value in key]
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str | None, types: tuple[type, ...]) -> tuple | None:
    """The key in ``cursor``, each value converted to the matching type; None for no cursor."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError("wrong shape")
        return tuple(datetime.fromisoformat(v) if t is datetime else t(v) for v, t in zip(values, types, strict=True))
    except (ValueError, TypeError) as exc:
        raise Invalid("The cursor is not valid.", fields={"cursor": ["Not a cursor from this list."]}) from exc


def limit(value: int | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
        raise Invalid("The limit is out of range.", fields={"limit": [f"Use 1 to {MAX_LIMIT}."]})
    return value


def page(items: list[dict], size: int, key) -> dict:
    """``{"items", "next_cursor"}`` from ``size + 1`` fetched items."""
    more = len(items) > size
    items = items[:size]
    return {"items": items, "next_cursor": encode(*key(items[-1])) if more and items else None}


def newest_first(session, query, column, size: int | None, cursor: str | None, dump) -> dict:
    """A page of ``query`` ordered by an integer ``column`` (a revision, an id), highest first.

    ``dump`` turns the page's rows into answers.
    """
    size = limit(size)
    after = decode(cursor, (int,))
    if after is not None:
        query = query.where(column < after[0])
    rows = list(session.scalars(query.order_by(column.desc()).limit(size + 1)))
    result = page(rows, size, lambda row: (getattr(row, column.key),))
    result["items"] = dump(result["items"])
    return result
