"""Subwikis: creating them, showing them, finding them.

How many subwikis a person may start a day depends on their trust (communities' copy of identity's
``user_trust_changed``): a new account one, more in each tier of trust above. The tiers are the platform's
reading of identity's trust, the same as content's spam defences (one setting moves both, and
tests/integration/test_trust_assumptions.py keeps the defaults in step); the counting is ``svclib.tiers``
over ``svclib.ratelimit``. From the environment: ``SPAM_DEFENCES=off`` (no limit), ``TRUST_TIER_<TIER>_BELOW``,
``RATE_LIMIT_SUBWIKIS_<TIER>_LIMIT`` and ``..._WINDOW_SECONDS``.
"""

from __future__ import annotations

import math
import re
import uuid
from datetime import datetime
from functools import cache

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from communities import events
from communities.consumes import NEW_ACCOUNT_TRUST
from communities.exceptions import Conflict, Invalid
from communities.handlers.access import HISTORY, check_lengths, find_subwiki, known_user, seen_by, view
from communities.handlers.members import emit_membership
from communities.kept import SUMMARY_COLUMNS
from communities.models import RATE_LIMITS, REQUEST_KEYS, Membership, Subwiki, Trust
from communities.schemas import SubwikiSummarySchema
from svclib import pagination
from svclib.db import Transaction, driver, utcnow
from svclib.idempotency import RequestKeys
from svclib.tiers import TieredLimit, Tiers

KEYS = RequestKeys(REQUEST_KEYS, Conflict, Invalid)
SLUG = re.compile(r"^[a-z0-9_]{3,40}$")

TRUST_TIERS = Tiers("TRUST_TIER", (("new", 0.25), ("member", 0.5), ("trusted", math.inf)))
SUBWIKIS_A_DAY = TieredLimit(
    "subwikis",
    TRUST_TIERS,
    24 * 3600,
    {"new": 1, "member": 3, "trusted": 10},
    "You have created many subwikis today; try again later.",
    switch="SPAM_DEFENCES",
)

SORTS = {
    "members": (Subwiki.member_count, int),
    "new": (Subwiki.created_at, datetime),
    "active": (Subwiki.last_activity_at, datetime),
}


def record_trust(tx: Transaction, user_id: str, trust: float, version: int) -> None:
    """A person's trust from identity; one no newer than the value held is ignored."""
    row = tx.session.scalar(select(Trust).where(Trust.user_id == user_id).with_for_update())
    if row is None:
        tx.session.add(Trust(user_id=user_id, trust=trust, version=version))
    elif version > row.version:
        row.trust, row.version = trust, version


def trust_of(tx: Transaction, user_id: str) -> float:
    row = tx.session.get(Trust, user_id)
    return row.trust if row is not None else NEW_ACCOUNT_TRUST


def _slug_conflict() -> Conflict:
    return Conflict("This subwiki exists already.", fields={"slug": ["This slug is taken."]})


def _slug_taken(tx: Transaction, slug: str) -> bool:
    return tx.session.scalar(select(Subwiki.id).where(Subwiki.slug == slug)) is not None


def create_subwiki(
    tx: Transaction,
    user_id: str,
    slug: str,
    name: str,
    summary: str,
    description: str,
    idempotency_key: str | None = None,
) -> dict:
    """A new subwiki, its creator its first member and moderator; with an ``idempotency_key`` the same
    request again answers with the subwiki it made (a 409 with another request)."""
    slug = (slug or "").strip().lower()
    name = (name or "").strip()
    request = {"slug": slug, "name": name, "summary": summary or "", "description": description or ""}
    made = KEYS.claim(tx, user_id, idempotency_key, "create_subwiki", request)
    if made is not None:
        return view(tx, tx.session.get(Subwiki, made), user_id)
    fields: dict[str, list[str]] = {}
    if not SLUG.match(slug):
        fields["slug"] = ["Use 3 to 40 of a-z, 0-9 and _."]
    if not name:
        fields["name"] = ["A name is required."]
    if fields:
        raise Invalid("Some fields are not valid.", fields=fields)
    check_lengths(name=name, summary=summary, description=description)
    known_user(tx, user_id)
    # Subwikis a day by the creator's trust: counted with the creation, a refused one is not.
    SUBWIKIS_A_DAY.hit(tx, RATE_LIMITS, trust_of(tx, user_id), user_id)
    now = utcnow()
    if _slug_taken(tx, slug):
        raise _slug_conflict()
    subwiki = Subwiki(
        id=uuid.uuid4().hex,
        slug=slug,
        name=name,
        summary=summary or "",
        description=description or "",
        revision=1,
        created_by=user_id,
        member_count=1,
        post_count=0,
        last_activity_at=now,
        created_at=now,
    )
    tx.session.add(subwiki)
    try:
        tx.session.flush()
    except IntegrityError:  # the same slug created at the same moment by someone else: as the serial case
        raise _slug_conflict() from None
    HISTORY.keep(tx.session, subwiki, user_id, "Created")
    creator = Membership(subwiki_id=subwiki.id, user_id=user_id, is_moderator=True)
    tx.session.add(creator)
    tx.session.flush()
    tx.emit(events.SubwikiCreated.of(subwiki))
    emit_membership(tx, events.MemberJoined, subwiki, creator)
    emit_membership(tx, events.ModeratorAdded, subwiki, creator, actor_id=user_id)
    KEYS.settle(tx, user_id, idempotency_key, subwiki.id)
    return view(tx, subwiki, user_id)


def get_subwiki(tx: Transaction, slug: str, viewer_id: str | None = None) -> dict:
    """A subwiki's page, with whether ``viewer_id`` belongs to it and moderates it when given."""
    return seen_by(tx, view(tx, find_subwiki(tx, slug)), viewer_id)


# What a summary shows: the columns whose changes drop kept summaries (communities.kept).
SUMMARY = select(*(getattr(Subwiki, name) for name in SUMMARY_COLUMNS))


@cache
def _summaries_statement(dialect: str):
    """The summaries of the subwikis whose slugs are bound as ``:slugs`` (one array on PostgreSQL)."""
    return SUMMARY.where(driver.one_of(Subwiki.slug, "slugs", dialect))


def get_subwikis(tx: Transaction, slugs: list[str]) -> dict:
    """Summaries by slug (``SubwikiSummarySchema``'s), for the posts of a page: read as plain rows of their
    columns, no ORM object or schema per subwiki, by a statement built once (``svclib.db.driver``)."""
    statement = _summaries_statement(tx.connection.dialect.name)
    rows = tx.rows(statement, {"slugs": [s.lower() for s in slugs[:500]]})
    return {
        row.slug: {
            "slug": row.slug,
            "name": row.name,
            "summary": row.summary,
            "member_count": row.member_count,
            "post_count": row.post_count,
            "created_at": row.created_at.isoformat(),
        }
        for row in rows
    }


def list_subwikis(tx: Transaction, q: str | None, sort: str, limit: int | None, cursor: str | None) -> dict:
    if sort not in SORTS:
        raise Invalid("Unknown sort.", fields={"sort": [f"Use one of {', '.join(SORTS)}."]})
    column, kind = SORTS[sort]
    size = pagination.limit(limit)
    query = select(Subwiki)
    if q and q.strip():
        text = q.strip()[:200]
        if tx.session.bind.dialect.name == "postgresql":
            document = func.to_tsvector("simple", Subwiki.name + " " + Subwiki.summary)
            query = query.where(
                or_(document.op("@@")(func.plainto_tsquery("simple", text)), Subwiki.slug.ilike(f"%{text}%"))
            )
        else:
            pattern = f"%{text}%"
            query = query.where(
                or_(Subwiki.name.ilike(pattern), Subwiki.summary.ilike(pattern), Subwiki.slug.ilike(pattern))
            )
    after = pagination.decode(cursor, (kind, str))
    if after is not None:
        query = query.where(or_(column < after[0], (column == after[0]) & (Subwiki.id < after[1])))
    rows = tx.session.scalars(query.order_by(column.desc(), Subwiki.id.desc()).limit(size + 1)).all()
    result = pagination.page(list(rows), size, lambda row: (getattr(row, column.key), row.id))
    result["items"] = [SubwikiSummarySchema().dump(row) for row in result["items"]]
    return result
