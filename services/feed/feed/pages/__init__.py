"""Feed pages read from the read model: the five kinds of page, what each reads and what it depends on.

Each kind is a set of parameters for one page assembly (``assembly.page``) and the tags of what its
page is read from, for the kept answers (``feed.kept``). The modules, each one step of a page:

- ``keyset``: the columns a page shows, the sort keys, reading on from a cursor's key;
- ``scan``: the statement of each kind of page read by one scan of the sort's index;
- ``home``: the home feed on PostgreSQL, a probe of the sort's index or a walk per source, merged;
- ``caps``: which rows a page shows, under author and subwiki caps, and the new creator's slot;
- ``assembly``: rows read in batches and chosen into a page, its new creator and next cursor;
- ``items``: an entry as the feed answers it, with its scores and reasons;
- ``cursors``: where the next page starts and what was already shown.
- ``rows``: each statement run, on PostgreSQL straight on the transaction's psycopg connection.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, literal_column, select

from feed import ranking
from feed.exceptions import Invalid
from feed.kept import FRONT, FRONT_WINDOWS, author_tag, front_tag, home_tags, reader_tag, subwiki_tag
from feed.models import FeedPost, FeedSubwiki
from feed.pages.assembly import page
from feed.pages.home import home_sources
from feed.pages.items import post_cards, post_scores
from feed.pages.scan import mutes_anything
from svclib.db import Transaction

__all__ = [
    "home_feed",
    "mutes_anything",
    "post_cards",
    "post_scores",
    "public_feed",
    "public_feed_for",
    "subwiki_feed",
    "user_posts",
]

WINDOWS: dict[str, timedelta | None] = {**FRONT_WINDOWS, "all": None}


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
    from (``feed.kept``)."""
    params = _window(window, now)
    _depends(depends, {front_tag(window)})
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
    _depends(depends, {front_tag(window), reader_tag(viewer_id)})
    return page(tx, "front_muted", params, sort, limit, cursor, now)


# A subwiki's id by its slug: the feed's copy of communities' subwikis, else its posts (a subwiki whose
# subwiki_created was not applied yet). Built once and run on psycopg (svclib.db.driver).
_SUBWIKI_BY_SLUG = select(FeedSubwiki.id).where(FeedSubwiki.slug == bindparam("slug"))
_SUBWIKI_OF_POSTS = select(FeedPost.subwiki_id).where(FeedPost.subwiki_slug == bindparam("slug"))
_SUBWIKI_OF_POSTS = _SUBWIKI_OF_POSTS.limit(literal_column("1"))


def subwiki_feed(
    tx: Transaction,
    slug: str,
    sort: str,
    limit: int | None,
    cursor: str | None,
    now: datetime,
    depends: set | None = None,
) -> dict:
    bound = {"slug": slug.lower()}
    found = tx.row(_SUBWIKI_BY_SLUG, bound) or tx.row(_SUBWIKI_OF_POSTS, bound)
    subwiki_id = found[0] if found else None
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
    return page(tx, "home", params, sort, limit, cursor, now, per_subwiki=ranking.CONFIG.PER_SUBWIKI_HOME)


def _window(window: str, now: datetime) -> dict:
    if window not in WINDOWS:
        raise Invalid("Unknown window.", fields={"window": ["Use day, week or all."]})
    return {"since": now - WINDOWS[window]} if WINDOWS[window] else {}


def _depends(depends: set | None, tags: set[str]) -> None:
    if depends is not None:
        depends |= tags
