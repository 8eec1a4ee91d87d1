"""A feed entry as the feed answers it: the post's facts as the feed holds them, its scores, its reasons.

Plain data: the gateway presents it in the public API's shape.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import Row, select

from feed import ranking
from feed.kept import FRONT, subwiki_tag
from feed.pages.keyset import POST
from svclib.db import Transaction, driver, isoformat


def item(row: Row, now: datetime, promoted: bool = False) -> dict:
    """A feed entry: the post's facts, its scores, and the reasons for its place (``ranking.reasons``, and the
    new creator's slot when it was ``promoted`` to it). The author's names are None once the author's
    account is gone."""
    posted_at = row.posted_at
    age_hours = max(0.0, (now - posted_at).total_seconds() / 3600)
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
        "posted_at": isoformat(posted_at),
        **scores(row),
        "rank": {"score": row.rank, "reasons": factors},
    }


def scores(row) -> dict:
    """What the feed counted for a post: its votes (own votes left out), comments and quality."""
    return {"up": row.up_count, "down": row.down_count, "comment_count": row.comment_count, "quality": row.quality}


SCORES = (POST.id, POST.subwiki_id, POST.up_count, POST.down_count, POST.comment_count, POST.quality)
CARDS = (POST.id, POST.author_id, POST.author_username, POST.author_display_name, POST.subwiki_slug)
CARDS += (POST.subwiki_name, POST.up_count, POST.down_count, POST.comment_count, POST.quality)


@cache
def _by_ids(columns: tuple, dialect: str):
    """``columns`` of the posts whose ids are bound as ``:ids``, built once (``svclib.db.driver``)."""
    return select(*columns).where(driver.one_of(POST.id, "ids", dialect))


def post_scores(tx: Transaction, post_ids: list[str], depends: set | None = None) -> dict[str, dict]:
    """The scores of each post the feed holds, by id. ``depends``, when given, receives the tags of what they
    were read from: each post's subwiki (a change to a post touches its subwiki's tag), and the front page's
    when a post asked for is not held yet (its arrival touches that)."""
    rows = tx.rows(_by_ids(SCORES, tx.connection.dialect.name), {"ids": post_ids}) if post_ids else []
    if depends is not None:
        depends.update(subwiki_tag(row.subwiki_id) for row in rows)
        if len(rows) < len(set(post_ids)):
            depends.add(FRONT)
    return {row.id: scores(row) for row in rows}


def post_cards(tx: Transaction, post_ids: list[str]) -> dict[str, dict]:
    """What a listed post shows beside its own words, for each post the feed holds, by id: its author's and
    subwiki's names (kept from identity's and communities' events; the author's None once erased) and
    what the feed counted. One read, so that a list of posts found elsewhere (search) needs no other call."""
    rows = tx.rows(_by_ids(CARDS, tx.connection.dialect.name), {"ids": post_ids}) if post_ids else []
    return {
        row.id: {
            "author_id": row.author_id,
            "author_username": row.author_username,
            "author_display_name": row.author_display_name,
            "subwiki": row.subwiki_slug,
            "subwiki_name": row.subwiki_name,
            **scores(row),
        }
        for row in rows
    }
