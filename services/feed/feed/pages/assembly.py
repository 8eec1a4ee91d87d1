"""One page of a feed: rows read in batches in feed order, chosen under the caps, one new-creator slot.

Rows come from one scan of the sort's index (``feed.pages.scan``) or, for the home feed on
PostgreSQL, from a probe of that index or the walks of the reader's sources (``feed.pages.home``);
either way they are read as plain tuples in batches that grow while caps pass many over, and
chosen as they come (``feed.pages.caps``). A page costs its index scan and little else.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Row

from feed import ranking
from feed.exceptions import Invalid
from feed.pages.caps import Caps, choose, creator_median
from feed.pages.cursors import decode_cursor, encode_cursor
from feed.pages.home import home_batch, home_new_creator_statement, home_probe, keyset_union, walked
from feed.pages.items import item
from feed.pages.keyset import after_params, key_of
from feed.pages.scan import new_creator_statement, scan_statement
from svclib import pagination
from svclib.db import Transaction
from svclib.db.driver import all_rows, first_row

CONFIG = ranking.CONFIG
SORTS = ("quality", "new", "top")
SCAN_AHEAD = 10
MAX_BATCH = 400  # rows read at once when a page's caps pass many over


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

    caps = Caps(per_author, per_subwiki)
    union = keyset_union(kind, connection.dialect.name)
    pruned, walks = False, False

    def scan() -> Iterator[Row]:
        nonlocal pruned, walks
        key, batch = state.get("k"), size + 1  # by date nothing is capped: the page's rows, and one more if any
        if per_author or per_subwiki:
            # Caps pass rows over: look a little further. (The home feed's first batch looked a page further still,
            # 60 rows for 25: the probe read them all whole, and the walks read 60 rows whole and more keys.)
            batch += SCAN_AHEAD - 1
        while True:
            rows = None
            if union and not walks and not caps.reached():
                rows = home_probe(connection, sort, params, key, batch)
            if union and rows is None:
                walks = True  # sparse here, or capped: the rest of the page is walked per source
                pruned = pruned or caps.reached()
                rows = home_batch(connection, sort, params, key, batch, caps)
            elif rows is None:
                statement = scan_statement(kind, sort, windowed, key is not None)
                rows = all_rows(connection, statement, {**params, "size": batch, **after_params(key)})
            yield from rows
            if len(rows) < batch:
                return
            key = key_of(rows[-1], sort)
            if union and not walks and caps.reached():
                # The walks take over and leave the capped sources out, whose rows the caps passed over: the next
                # batch is what the page still needs, with the same margin (then doubled, as any other).
                batch = min(size - caps.held + SCAN_AHEAD, MAX_BATCH)
            else:
                batch = min(batch * 2, MAX_BATCH)  # rows passed over: look further ahead at once

    chosen, last, more = choose(scan(), size, shown, caps)
    if pruned and not more and len(chosen) == size:
        # The walks left out rows the caps passed over; any row at all after the last one makes a next page.
        more = bool(home_batch(connection, sort, params, key_of(last, sort), 1, None))
    median = creator_median(chosen) if sort == "quality" else None
    promoted = None
    if median is not None:
        promoted = _new_creator(connection, kind, params, sort, median, chosen, shown, state.get("k"), walks)
    shown_rows = chosen if promoted is None else [*chosen[:-1], promoted]
    if promoted is not None:
        shown.add(promoted.id)
    items = [item(row, now, promoted=row is promoted) for row in shown_rows]
    return {"items": items, "next_cursor": encode_cursor(last, sort, shown) if more else None}


def _new_creator(
    connection,
    kind: str,
    params: dict,
    sort: str,
    median: float,
    chosen: list[Row],
    shown: set[str],
    start: list | None,
    walks: bool,
) -> Row | None:
    """The best post not yet shown by an author with few posts whose approval is above ``median``, from the
    page's ``start``; sought as the page's rows were, walking each home source when they were walked."""
    excluded = sorted({row.id for row in chosen} | shown)
    bound = {**params, "median": median, "excluded": excluded, **after_params(start)}
    if walks:
        bound.update(walked(params, None))
        statement = home_new_creator_statement(sort, start is not None)
    else:
        statement = new_creator_statement(kind, sort, "since" in params, start is not None, connection.dialect.name)
    return first_row(connection, statement, bound)
