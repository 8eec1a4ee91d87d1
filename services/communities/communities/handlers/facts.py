"""Facts from content's events (posts, activity, moderation), and pages of facts for rebuilding copies."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from communities.handlers.members import log
from communities.models import Membership, MembershipVersion, Subwiki
from svclib import pagination
from svclib.db import Transaction, utcnow

# How fresh a subwiki's "last active" is: a post or comment in a subwiki noted active less than this long ago
# writes nothing. Every comment wrote the subwiki's row before: a busy subwiki's comments queued on that one
# row's lock (13 ms a comment under a load of comments) and each dropped its kept page (``communities.kept``),
# for a time the directory's "active" order reads to the minute at best.
ACTIVITY_STEP = timedelta(minutes=1)


def record_post(tx: Transaction, post: dict, delta: int) -> None:
    """Count a subwiki's live posts and note when it was last active, from content's events."""
    subwiki = tx.session.scalar(select(Subwiki).where(Subwiki.id == post["subwiki_id"]).with_for_update())
    if subwiki is None:
        return
    subwiki.post_count = max(0, subwiki.post_count + delta)
    if delta > 0:
        _note_activity(subwiki, utcnow())


def record_activity(tx: Transaction, subwiki_id: str) -> None:
    """A comment in the subwiki: noted as its last activity unless one was noted less than ACTIVITY_STEP ago
    (then the row is neither locked nor written, and its kept page stays)."""
    subwiki = tx.session.get(Subwiki, subwiki_id)
    if subwiki is not None:
        _note_activity(subwiki, utcnow())


def _note_activity(subwiki: Subwiki, now: datetime) -> None:
    last = subwiki.last_activity_at
    if last is None or not now - ACTIVITY_STEP < last <= now:
        subwiki.last_activity_at = now


def record_moderation(
    tx: Transaction, subwiki_id: str, actor_id: str, action: str, target_type: str, target_id: str, reason: str = ""
) -> None:
    """A moderator's action taken in content (a removal, a report decided), for the public log."""
    subwiki = tx.session.get(Subwiki, subwiki_id)
    if subwiki is not None:
        log(tx, subwiki, actor_id, action, target_type, target_id, reason)


def list_memberships(tx: Transaction, after: str | None, limit: int) -> dict:
    """Every membership, in key order, for a service rebuilding its copy."""
    limit = pagination.facts_limit(limit)
    after = pagination.facts_after(after)
    key = Membership.subwiki_id + ":" + Membership.user_id
    query = select(
        key.label("k"),
        Membership.user_id,
        Membership.subwiki_id,
        Subwiki.slug,
        Membership.is_moderator,
        MembershipVersion.version,
    )
    query = query.join(Subwiki, Subwiki.id == Membership.subwiki_id).outerjoin(
        MembershipVersion,
        (MembershipVersion.subwiki_id == Membership.subwiki_id) & (MembershipVersion.user_id == Membership.user_id),
    )
    rows = tx.session.execute((query.where(key > after) if after else query).order_by(key).limit(limit)).all()
    # Each with the version its latest event carried, so a copy rebuilt from them ignores older events.
    items = [
        {
            "user_id": r.user_id,
            "subwiki_id": r.subwiki_id,
            "subwiki": r.slug,
            "is_moderator": r.is_moderator,
            "version": r.version,
        }
        for r in rows
    ]
    return pagination.facts_page(items, [r.k for r in rows], limit)


def list_subwiki_names(tx: Transaction, after: str | None, limit: int) -> dict:
    """Every subwiki's id, slug and name, in id order, for a service rebuilding its copy; each with its
    ``revision``, the version subwiki_created and subwiki_edited carry, so a copy rebuilt ignores older events."""
    limit = pagination.facts_limit(limit)
    after = pagination.facts_after(after)
    query = select(Subwiki.id, Subwiki.slug, Subwiki.name, Subwiki.revision).order_by(Subwiki.id).limit(limit)
    rows = tx.session.execute(query.where(Subwiki.id > after) if after else query).all()
    items = [{"id": r.id, "slug": r.slug, "name": r.name, "revision": r.revision} for r in rows]
    return pagination.facts_page(items, [r.id for r in rows], limit)
