"""A person's own data in communities: their export, and what erasing their account leaves."""

from __future__ import annotations

from sqlalchemy import select, update

from communities.handlers.members import memberships_of
from communities.models import (
    KNOWN_USERS,
    OUTBOX,
    RATE_LIMITS,
    REQUEST_KEYS,
    Membership,
    MembershipVersion,
    ModlogEntry,
    Subwiki,
    SubwikiRevision,
    Trust,
)
from svclib import users
from svclib.db import Transaction, isoformat


def export_user(tx: Transaction, user_id: str) -> dict:
    """Everything communities keeps about a person: memberships, moderator roles, subwikis they
    started, their edits to subwiki pages and what they did as a moderator."""
    memberships = memberships_of(tx, user_id)
    edits = tx.session.execute(
        select(Subwiki.slug, SubwikiRevision)
        .join(SubwikiRevision, SubwikiRevision.subwiki_id == Subwiki.id)
        .where(SubwikiRevision.editor_id == user_id)
        .order_by(SubwikiRevision.created_at, SubwikiRevision.id)
    ).all()
    actions = tx.session.execute(
        select(Subwiki.slug, ModlogEntry)
        .join(ModlogEntry, ModlogEntry.subwiki_id == Subwiki.id)
        .where(ModlogEntry.actor_id == user_id)
        .order_by(ModlogEntry.id)
    ).all()
    started = tx.session.scalars(select(Subwiki.slug).where(Subwiki.created_by == user_id).order_by(Subwiki.slug))
    return {
        "account": users.export(tx, KNOWN_USERS, user_id),
        "memberships": memberships,
        "moderator_of": [m["subwiki"] for m in memberships if m["is_moderator"]],
        "subwikis_started": list(started),
        "subwiki_edits": [
            {
                "subwiki": slug,
                "revision": row.revision,
                "summary": row.summary,
                "description": row.description,
                "edit_summary": row.edit_summary,
                "restored_from": row.restored_from,
                "created_at": isoformat(row.created_at),
            }
            for slug, row in edits
        ],
        "moderation": [
            {
                "subwiki": slug,
                "action": row.action,
                "target_type": row.target_type,
                "target_id": row.target_id,
                "reason": row.reason,
                "created_at": isoformat(row.created_at),
            }
            for slug, row in actions
        ],
    }


def erase_person(tx: Transaction, user_id: str) -> None:
    """An erased person leaves their subwikis (each one's member count goes down); their page edits,
    the subwikis they started and the moderation log keep no trace of who they were; their known_users
    row goes first."""
    users.erase(tx, KNOWN_USERS, user_id)
    for membership in tx.session.scalars(
        select(Membership).where(Membership.user_id == user_id).order_by(Membership.subwiki_id)
    ).all():
        subwiki = tx.session.scalar(select(Subwiki).where(Subwiki.id == membership.subwiki_id).with_for_update())
        subwiki.member_count = max(0, subwiki.member_count - 1)
        tx.session.delete(membership)
    tx.session.flush()
    tx.session.execute(
        update(ModlogEntry)
        .where(ModlogEntry.target_type == "user", ModlogEntry.target_id == user_id)
        .values(target_id=None)
    )
    users.forget(
        tx,
        user_id,
        anonymise=(Subwiki.created_by, SubwikiRevision.editor_id, ModlogEntry.actor_id),
        delete_where=(MembershipVersion.user_id, Trust.user_id, REQUEST_KEYS.c.caller_id),
        keys=(RATE_LIMITS.c.key,),
        outbox=OUTBOX,
    )
