"""Keyset pagination: an opaque cursor holds the sort key of the last item shown,
so page 1000 costs what page 1 costs.

Two shapes, one set of rules:

- pages for people (``{"items", "next_cursor"}``): ``limit`` checked against
  ``MAX_LIMIT``, the cursor an opaque token (``pack``/``unpack`` for any JSON
  state, ``encode``/``decode`` for a tuple of key values);
- pages of facts for a service rebuilding its copy (``{"items", "next"}``):
  ``facts_limit`` clamps the size, ``next`` is the last key, given back as ``after``.
"""

from __future__ import annotations

import base64
import json
import math
from datetime import datetime
from typing import Any

from svclib.exceptions import Invalid
from svclib.times import parse_time

MAX_LIMIT = 100
MAX_KEY_INT = 2**63 - 1
MAX_KEY_LENGTH = 500
DEFAULT_LIMIT = 25
FACTS_MAX_LIMIT = 1000


def invalid_cursor(where: str = "this list") -> Invalid:
    return Invalid("The cursor is not valid.", fields={"cursor": [f"Not a cursor from {where}."]})


def pack(state: Any) -> str:
    """An opaque cursor holding any JSON value."""
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def unpack(cursor: str) -> Any:
    """The JSON value in a cursor made by ``pack``; ValueError if it holds none."""
    try:
        return json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
    except (ValueError, TypeError) as exc:
        raise ValueError("not a cursor") from exc


def encode(*key: Any) -> str:
    return pack([value.isoformat() if isinstance(value, datetime) else value for value in key])


def decode(cursor: str | None, types: tuple[type, ...]) -> tuple | None:
    """The key in ``cursor``, each value converted to the matching type; None for no cursor."""
    if not cursor:
        return None
    try:
        values = unpack(cursor) if isinstance(cursor, str) else None
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError("wrong shape")
        key = tuple(_key_value(v, t) for v, t in zip(values, types, strict=True))
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:
        raise invalid_cursor() from exc
    return key


def _key_value(value: Any, kind: type) -> Any:
    """One value of a cursor's key as ``kind``: only what a list could have handed out."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("not a key value")
    if kind is datetime:
        return parse_time(value)
    if kind is int and not (isinstance(value, int) and -MAX_KEY_INT <= value <= MAX_KEY_INT):
        raise ValueError("not a 64-bit integer")
    if kind is float and not (isinstance(value, int | float) and math.isfinite(value)):
        raise ValueError("not a finite number")
    if kind is str and not isinstance(value, str):
        raise ValueError("not text")
    return kind(value)


def limit(value: int | None) -> int:
    """The size of a page for people: ``DEFAULT_LIMIT`` if none was asked, else 1 to ``MAX_LIMIT``."""
    if value is None:
        return DEFAULT_LIMIT
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_LIMIT:
        raise Invalid("The limit is out of range.", fields={"limit": [f"Use 1 to {MAX_LIMIT}."]})
    return value


def facts_limit(value: int) -> int:
    """The size of a page of facts: what was asked, within 1 to ``FACTS_MAX_LIMIT``; not a number is Invalid."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid("The limit is not a number.", fields={"limit": [f"Use 1 to {FACTS_MAX_LIMIT}."]})
    return max(1, min(FACTS_MAX_LIMIT, value))


def facts_after(value: Any) -> str | None:
    """Where a page of facts starts: None, or a key as ``next`` handed it out (text); else Invalid."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_KEY_LENGTH:
        raise Invalid("Not a key from this list.", fields={"after": ["Give back the `next` of the previous page."]})
    return value


def facts_page(items: list, keys: list, size: int) -> dict:
    """``{"items", "next"}`` for a page of facts: ``next``, the last key, is None on the last page."""
    return {"items": items, "next": keys[-1] if keys and len(keys) == size else None}


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
