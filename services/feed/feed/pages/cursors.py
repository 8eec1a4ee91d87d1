"""A feed's cursor: where the next page starts, and the posts already shown.

``k`` is the ``[sort key, id]`` of the last row examined (a page goes on after it, caps having passed
over what they passed over); ``s`` the ids shown lately (the new creator's slot may show a post from
further down, which must not come again). Packed as every cursor of the API is (``svclib.pagination``).
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Row

from svclib import pagination
from svclib.db import parse_time

MAX_SHOWN = 1000  # ids a cursor may carry as already shown (the gateway refuses longer lists too)
KEPT_SHOWN = 50  # ids a next cursor carries


def encode_cursor(last: Row, sort: str, shown: set[str]) -> str:
    """The cursor of the page after the one whose last row examined is ``last``."""
    key = last.posted_at.isoformat() if sort == "new" else last.approval if sort == "top" else last.rank
    return pagination.pack({"k": [key, last.id], "s": sorted(shown)[-KEPT_SHOWN:]})


def decode_cursor(cursor: str | None, sort: str) -> dict[str, Any]:
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
