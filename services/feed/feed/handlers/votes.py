"""Votes on posts, weighed by their voters' trust, and the reweighing when a voter's trust changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update

from feed import ranking
from feed.handlers.rows import held_post, newer, shared_trust, trust_row
from feed.handlers.scores import rescore
from feed.models import FeedPost, FeedVote
from svclib.db import Transaction


def vote_changed(tx: Transaction, vote: dict, now: datetime) -> None:
    """A person's vote on a post is now ``vote["value"]`` (1, -1, or none: withdrawn).

    A vote on one's own post is shown in the post's counts but weighs nothing in its ranking:
    it would let anyone raise their own rank. A vote on a post the feed does not hold yet is kept, with
    the weight its voter's trust gives it now, and counted when the post comes.
    """
    if vote["target_type"] != "post":
        return
    trust = shared_trust(tx, vote["voter_id"])
    post_id = vote["target_id"]
    # A vote on a post not held yet is kept all the same: post_created counts it (see feed.handlers.rows).
    row = held_post(tx, post_id)
    if not newer(tx, "vote", f"{post_id}:{vote['voter_id']}", vote.get("version")):
        return
    # The vote held is taken out and the new one put in as Core statements (votes are not what pages read:
    # the post's row, changed below, is what tells kept pages they changed).
    statements = _statements(tx.connection.dialect.name)
    key = {"post_id": post_id, "voter_id": vote["voter_id"]}
    existing = tx.row(statements["take"], key)
    if existing is not None and row is not None:
        tally(row, existing.value, existing.weight, -1)
    if vote.get("value") in (1, -1):
        author_id = row.author_id if row is not None else vote.get("target_author_id")
        weight = _weight(author_id, vote["voter_id"], trust)
        tx.run(statements["put"], {**key, "value": vote["value"], "weight": weight, "now": now})
        if row is not None:
            tally(row, vote["value"], weight, +1)
    if row is not None:
        rescore(row, now)


_STATEMENTS: dict[str, dict[str, Any]] = {}


def _statements(dialect: str) -> dict[str, Any]:
    """A vote's statements, built once per dialect: the vote held deleted (returning it), the new one inserted."""
    built = _STATEMENTS.get(dialect)
    if built is None:
        votes = FeedVote.__table__
        key = (votes.c.post_id == bindparam("post_id")) & (votes.c.voter_id == bindparam("voter_id"))
        now = bindparam("now")  # every value a parameter: run on psycopg (svclib.db.driver)
        built = _STATEMENTS[dialect] = {
            "take": delete(votes).where(key).returning(votes.c.value, votes.c.weight),
            "weigh": update(votes)
            .where((votes.c.post_id == bindparam("b_post")) & (votes.c.voter_id == bindparam("b_voter")))
            .values(weight=bindparam("b_weight")),
            "put": insert(votes).values(
                post_id=bindparam("post_id"),
                voter_id=bindparam("voter_id"),
                value=bindparam("value"),
                weight=bindparam("weight"),
                created_at=now,
                updated_at=now,
            ),
        }
    return built


def _weight(author_id: str | None, voter_id: str, trust: float) -> float:
    """What ``voter_id``'s vote on a post by ``author_id`` weighs in its ranking: nothing on their own post."""
    return 0.0 if voter_id == author_id else ranking.vote_weight(trust)


def tally(row: FeedPost, value: int, weight: float, sign: int, votes: int = 1) -> None:
    """Count a vote of ``value`` and ``weight`` into (``sign`` 1) or out of (-1) the post's tally; or ``votes``
    votes of ``value`` together, ``weight`` then their weights' sum."""
    if value > 0:
        row.up_weight = max(0.0, row.up_weight + sign * weight)
        row.up_count += sign * votes
    else:
        row.down_weight = max(0.0, row.down_weight + sign * weight)
        row.down_count += sign * votes


def trust_changed(
    tx: Transaction,
    user_id: str,
    trust: float,
    now: datetime,
    as_of: datetime | None = None,
    version: int | None = None,
) -> None:
    """Every vote of this person is reweighed, so that a post's score follows its voters' current trust.

    Changes may arrive out of order (a retried event, two consumers): one no newer than the
    value held (by identity's version of it, or else by when it was computed) is ignored.
    """
    row = trust_row(tx, user_id)
    if version is not None:
        if row.version is not None and version <= row.version:
            return
    elif as_of is not None and row.as_of is not None and as_of <= row.as_of:
        return
    row.trust, row.as_of, row.version = trust, as_of or row.as_of, version or row.version
    # Every post this person voted on, with their vote, read and locked in one statement (posts in id order,
    # as feed.handlers.rows orders them); the votes whose weight moved are written back in one more. A vote
    # on a post not held yet keeps its weight, as before: the post counts it when it comes.
    voted = tx.session.execute(
        select(FeedPost, FeedVote.value, FeedVote.weight)
        .join(FeedVote, FeedVote.post_id == FeedPost.id)
        .where(FeedVote.voter_id == user_id)
        .order_by(FeedPost.id)
        .with_for_update(of=FeedPost)
    ).all()
    reweighed = []
    for post, value, held in voted:
        weight = _weight(post.author_id, user_id, trust)
        if held == weight:
            continue
        tally(post, value, held, -1)
        tally(post, value, weight, +1)
        rescore(post, now)
        reweighed.append({"b_post": post.id, "b_voter": user_id, "b_weight": weight})
    if reweighed:
        tx.connection.execute(_statements(tx.connection.dialect.name)["weigh"], reweighed)
