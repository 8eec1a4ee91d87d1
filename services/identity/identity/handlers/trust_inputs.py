"""The facts trust is computed from (content's edits, reverts, votes and reports) and its recomputation.

Their locks follow the order written in :mod:`identity.handlers`: votes for one author queue on
the author's row, one at a time.

Votes come in bursts for a few authors (a popular post), so a vote does not recompute its author's
trust: it marks the author due (``trust_due``, in the vote's own transaction) and the service's timer
recomputes each due person once (:func:`recompute_due`), whatever number of votes arrived meanwhile.
Trust is a function of the facts held, so one recomputation after many votes gives what recomputing
after each would have given last, and emits one ``user_trust_changed`` (one version) instead of one
per vote for every consumer to apply. The mark is written with the vote and taken away only in the
transaction that recomputes, under the person's lock: a vote is never left uncounted, even if the
process dies between the two, and replicas recomputing the same person queue on that lock and find
nothing left to do. Edits, reverts and reports, rare beside votes, still recompute at once.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from identity import events, trust
from identity.handlers import versions
from identity.handlers.common import aware, lock_people, lock_person
from identity.models import ReceivedVote, TrustDue, TrustStats, User
from svclib import pagination
from svclib.db import Transaction, isoformat, utcnow


def _stats(tx: Transaction, user_id: str) -> TrustStats:
    stats = tx.session.scalar(select(TrustStats).where(TrustStats.user_id == user_id).with_for_update())
    if stats is None:
        stats = TrustStats(user_id=user_id, edits_stood=0, edits_reverted=0, upheld_reports=0)
        tx.session.add(stats)
        tx.session.flush()
    return stats


def recompute_trust(
    tx: Transaction,
    user_id: str,
    now: datetime,
    locked: User | None = None,
    inputs: tuple[TrustStats | NoStats, float] | None = None,
) -> float | None:
    """Recompute one person's trust; emits ``user_trust_changed`` when it moved at least ``trust.TOLD_STEP`` from the
    value told before (identity's own, shown on the profile and weighing the votes the person casts, follows every
    move of a thousandth).

    The person's row is locked first (or already was, by the fact that changed), so that two
    facts arriving at once are both counted; ``locked``: their row, when the caller has just locked it
    with :func:`lock_people`; ``inputs``: their stats and up-vote weight, when the caller read them under that
    lock (:func:`recompute_due_many`, for many people at once).
    """
    user = locked if locked is not None else lock_people(tx, [user_id]).get(user_id)
    if user is None:
        return None
    if inputs is None:
        stats, upvotes = _stats(tx, user_id), upvote_weights(tx, [user_id]).get(user_id, 0.0)
    else:
        stats, upvotes = inputs
    value = trust.trust(
        age_days=(now - aware(user.created_at)).total_seconds() / 86400,
        edits_stood=stats.edits_stood,
        edits_reverted=stats.edits_reverted,
        upvote_weight=float(upvotes),
        upheld_reports=stats.upheld_reports,
    )
    if user.trust_told is None:  # an account from before 0011: each change of its trust was told
        user.trust_told = user.trust
    told = user.trust_told
    if abs(value - user.trust) >= 0.001:
        user.trust = value
    if abs(value - told) >= trust.TOLD_STEP or (value != told and value in (trust.CONSTANTS.FLOOR, 1.0)):
        user.trust_told = value
        user.trust_version = (user.trust_version or 0) + 1
        tx.emit(events.UserTrustChanged(id=user.id, trust=value, version=user.trust_version))
    return value


# The votes term of trust stops growing at UPVOTES_FULL of up-voters' trust, and every up-vote weighs at least FLOOR
# (its voter's trust, never below it): so many up-votes reach it whatever they weigh. Summing at most that many of a
# person's up-votes gives the term exactly, and a popular author's recomputation reads a few hundred index entries,
# not every vote they ever received (8,224 pages, 115 ms a recomputation under ``make load`` at full size).
ENOUGH_UPVOTES = math.ceil(trust.CONSTANTS.UPVOTES_FULL / trust.CONSTANTS.FLOOR) + 1
# Each person's up-vote weight, summed over at most ``enough`` of their up-votes: (id, weight) for each of ``user_ids``.
_VOTES, _PEOPLE = ReceivedVote.__table__, User.__table__
_THEIR_UPVOTES = (
    select(_VOTES.c.weight)
    .where(_VOTES.c.author_id == _PEOPLE.c.id)
    .correlate(_PEOPLE)
    .limit(bindparam("enough"))
    .subquery()
)
UPVOTES_OF = select(
    _PEOPLE.c.id, select(func.coalesce(func.sum(_THEIR_UPVOTES.c.weight), 0.0)).scalar_subquery()
).where(_PEOPLE.c.id.in_(bindparam("user_ids", expanding=True)))


def mark_due(tx: Transaction, user_ids: list[str], now: datetime) -> None:
    """Mark people's trust to be computed again (by :func:`recompute_due`); their rows are locked already
    (step 1 of the lock order), and a mark that exists stays as it is."""
    connection = tx.connection
    statement = _statements(connection.dialect.name)["mark_due"]
    for user_id in sorted(set(user_ids)):
        connection.execute(statement, {"user_id": user_id, "now": now})


def due(tx: Transaction, limit: int) -> list[str]:
    """People marked due, those waiting longest first."""
    query = select(TrustDue.user_id).order_by(TrustDue.created_at, TrustDue.user_id).limit(limit)
    return list(tx.session.scalars(query))


def recompute_due(tx: Transaction, user_id: str, now: datetime) -> bool:
    """Recompute a person's trust if still marked due, then take the mark away; False when another
    worker (another replica) did it first."""
    return bool(recompute_due_many(tx, [user_id], now))


def recompute_due_many(tx: Transaction, user_ids: list[str], now: datetime) -> list[str]:
    """Recompute the trust of those of ``user_ids`` still marked due, in this one transaction, and take their
    marks away; returns those whose mark it took (another worker, another replica, took the others first).

    Under the people's locks, as every vote for them is applied: the recomputation sees every vote committed
    before it, and a vote after it marks the person again. All of them are locked at once, in id order (step 1
    of the lock order), before their marks: two replicas' batches queue on each other, and a vote holding its
    author's lock waits for no mark the batch holds. Their marks are taken in one statement that says which
    there were (if the recomputation fails, the transaction's rollback puts them back); their stats and up-vote
    weights read in one statement each, not one of each a person: a timer's tick recomputes everyone the
    second's votes marked (``IdentityService.recompute_due_trust``)."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return []
    people = lock_people(tx, wanted)
    taken = sorted(row.user_id for row in tx.connection.execute(TAKE_MARKS, {"user_ids": wanted}))
    live = [user_id for user_id in taken if user_id in people]
    if live:
        stats = {s.user_id: s for s in tx.session.scalars(select(TrustStats).where(TrustStats.user_id.in_(live)))}
        upvotes = upvote_weights(tx, live)
        for user_id in live:
            inputs = (stats.get(user_id, NO_STATS), upvotes.get(user_id, 0.0))
            recompute_trust(tx, user_id, now, locked=people[user_id], inputs=inputs)
    return taken


def upvote_weights(tx: Transaction, user_ids: list[str]) -> dict[str, float]:
    """The up-vote weight trust counts for each of ``user_ids`` (at most ``ENOUGH_UPVOTES`` of their up-votes, which
    give what all of them would: the term stops at UPVOTES_FULL), in one statement."""
    rows = tx.connection.execute(UPVOTES_OF, {"user_ids": user_ids, "enough": ENOUGH_UPVOTES})
    return {user_id: float(weight or 0.0) for user_id, weight in rows}


class NoStats:
    """The stats of a person with no row yet (nothing edited, reverted or reported): read, never written."""

    edits_stood = edits_reverted = upheld_reports = 0


NO_STATS = NoStats()
_DUE = TrustDue.__table__
TAKE_MARKS = delete(_DUE).where(_DUE.c.user_id.in_(bindparam("user_ids", expanding=True))).returning(_DUE.c.user_id)


# Each record_* applies one fact and returns whose trust it may change.


def record_edit(tx: Transaction, post: dict) -> list[str]:
    editor_id = post["editor_id"]
    if editor_id not in lock_people(tx, [editor_id]):
        return []
    _stats(tx, editor_id).edits_stood += 1
    return [editor_id]


def record_revert(tx: Transaction, post: dict) -> list[str]:
    editor_ids = [edit["editor_id"] for edit in post.get("reverted_edits", [])]
    people = lock_people(tx, editor_ids)
    affected = []
    for editor_id in sorted(editor_ids):
        if editor_id in people:
            stats = _stats(tx, editor_id)
            stats.edits_stood = max(0, stats.edits_stood - 1)
            stats.edits_reverted += 1
            affected.append(editor_id)
    return affected


def record_report(tx: Transaction, report: dict) -> list[str]:
    author_id = report.get("target_author_id")
    if report.get("action") != "uphold" or author_id not in lock_people(tx, [author_id]):
        return []
    _stats(tx, author_id).upheld_reports += 1
    return [author_id]


def record_spam(tx: Transaction, spam: dict) -> list[str]:
    """A moderator removed the person's post as spam: counted as an upheld report (``REPORT_PENALTY``)."""
    author_id = spam["author_id"]
    if author_id not in lock_people(tx, [author_id]):
        return []
    _stats(tx, author_id).upheld_reports += 1
    return [author_id]


def record_vote(tx: Transaction, vote: dict) -> list[str]:
    """Keep the up-votes a person received, weighted by each voter's trust at the time.

    ``vote_cast`` and ``vote_removed`` of one (voter, target) may arrive in any order and more
    than once: only a newer ``version`` than the one applied changes anything. Votes are most of
    what identity handles: Core statements built once, one round trip each (the author's lock, the
    vote's version, the vote itself), no ORM objects.
    """
    author_id = vote.get("target_author_id")
    if not author_id or author_id == vote["voter_id"] or not lock_person(tx, author_id):
        return []
    key = (vote["target_type"], vote["target_id"], vote["voter_id"])
    if not versions.newer(tx, "vote", ":".join(key), vote.get("version")):
        return []
    connection = tx.connection
    params = {"target_type": key[0], "target_id": key[1], "voter_id": key[2]}
    if vote.get("value") == 1:
        statement = _statements(connection.dialect.name)["keep_upvote"]
        params.update(author_id=author_id, floor=trust.CONSTANTS.FLOOR, now=utcnow())
    else:
        statement = _statements(connection.dialect.name)["forget_vote"]
    connection.execute(statement, params)
    return [author_id]


_STATEMENTS: dict[str, dict] = {}


def _statements(dialect: str) -> dict:
    """The statements votes run, built once per dialect (and compiled once, by SQLAlchemy's cache)."""
    built = _STATEMENTS.get(dialect)
    if built is not None:
        return built
    insert_into = postgresql.insert if dialect == "postgresql" else sqlite.insert
    votes, users, due_table = ReceivedVote.__table__, User.__table__, TrustDue.__table__
    # The voter's trust when the vote is applied (FLOOR for someone identity does not know).
    weight = func.coalesce(
        select(users.c.trust).where(users.c.id == bindparam("voter_id")).scalar_subquery(), bindparam("floor")
    )
    keep = insert_into(votes).values(
        target_type=bindparam("target_type"),
        target_id=bindparam("target_id"),
        voter_id=bindparam("voter_id"),
        author_id=bindparam("author_id"),
        weight=weight,
        created_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
    keep = keep.on_conflict_do_update(
        index_elements=[votes.c.target_type, votes.c.target_id, votes.c.voter_id],
        set_={"weight": keep.excluded.weight, "updated_at": keep.excluded.updated_at},
    )
    forget = delete(votes).where(
        votes.c.target_type == bindparam("target_type"),
        votes.c.target_id == bindparam("target_id"),
        votes.c.voter_id == bindparam("voter_id"),
    )
    mark = (
        insert_into(due_table)
        .values(user_id=bindparam("user_id"), created_at=bindparam("now"), updated_at=bindparam("now"))
        .on_conflict_do_nothing()
    )
    built = _STATEMENTS[dialect] = {"keep_upvote": keep, "forget_vote": forget, "mark_due": mark}
    return built


def users_younger_than(tx: Transaction, days: float, now: datetime) -> list[str]:
    since = now - timedelta(days=days)
    return list(tx.session.scalars(select(User.id).where(User.created_at > since, User.erased_at.is_(None))))


def list_trust(tx: Transaction, after: str | None, limit: int) -> dict:
    """Every live account's names (with their ``profile_version``, as user_updated carries it) and trust as told
    (``user_trust_changed``: the copy the events leave), in id order, for a service rebuilding its copy."""
    limit = pagination.facts_limit(limit)
    after = pagination.facts_after(after)
    told = func.coalesce(User.trust_told, User.trust).label("trust")
    query = select(
        User.id, User.username, User.display_name, User.profile_version, told, User.badges, User.created_at
    ).where(User.erased_at.is_(None))
    rows = tx.session.execute((query.where(User.id > after) if after else query).order_by(User.id).limit(limit)).all()
    items = [
        {
            "id": r.id,
            "username": r.username,
            "display_name": r.display_name,
            "profile_version": r.profile_version,
            "trust": r.trust,
            "badges": list(r.badges or []),
            "created_at": isoformat(r.created_at),
        }
        for r in rows
    ]
    return pagination.facts_page(items, [r.id for r in rows], limit)
