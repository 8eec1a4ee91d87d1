"""Members and moderators: joining, leaving, appointing, and the moderators' public log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from communities import events
from communities.exceptions import Conflict, NotFound
from communities.handlers.access import find_subwiki, known_user, membership_of, moderator_ids, require_moderator
from communities.models import Membership, MembershipVersion, ModlogEntry, Subwiki
from communities.schemas import ModlogSchema, SubwikiSummarySchema
from svclib import pagination
from svclib.db import Transaction, isoformat


def emit_membership(
    tx: Transaction, event: type[events.MembershipFields], subwiki: Subwiki, membership: Membership, **extra
) -> None:
    """Every membership event carries the membership's next version (the subwiki's row is locked by the caller)."""
    key = (subwiki.id, membership.user_id)
    version = tx.session.get(MembershipVersion, key)
    if version is None:
        version = MembershipVersion(subwiki_id=key[0], user_id=key[1], version=0)
        tx.session.add(version)
    version.version += 1
    tx.emit(
        event(
            user_id=membership.user_id,
            subwiki=subwiki.slug,
            subwiki_id=subwiki.id,
            is_moderator=membership.is_moderator,
            version=version.version,
            **extra,
        )
    )


def log(
    tx: Transaction, subwiki: Subwiki, actor_id: str, action: str, target_type: str, target_id: str, reason: str = ""
) -> None:
    tx.session.add(
        ModlogEntry(
            subwiki_id=subwiki.id,
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            reason=reason[:500],
        )
    )


def join_subwiki(tx: Transaction, user_id: str, slug: str) -> None:
    subwiki = find_subwiki(tx, slug, for_update=True)
    known_user(tx, user_id)
    if membership_of(tx, subwiki, user_id) is not None:
        return
    membership = Membership(subwiki_id=subwiki.id, user_id=user_id, is_moderator=False)
    tx.session.add(membership)
    subwiki.member_count += 1
    tx.session.flush()
    emit_membership(tx, events.MemberJoined, subwiki, membership)


def leave_subwiki(tx: Transaction, user_id: str, slug: str) -> None:
    subwiki = find_subwiki(tx, slug, for_update=True)
    membership = membership_of(tx, subwiki, user_id)
    if membership is None:
        return
    if membership.is_moderator and moderator_ids(tx, subwiki) == [user_id]:
        raise Conflict("You are this subwiki's only moderator: appoint another before leaving.")
    if membership.is_moderator:
        emit_membership(tx, events.ModeratorRemoved, subwiki, membership, actor_id=user_id)
    tx.session.delete(membership)
    subwiki.member_count -= 1
    emit_membership(tx, events.MemberLeft, subwiki, membership)


def add_moderator(tx: Transaction, actor_id: str, slug: str, user_id: str) -> None:
    subwiki = find_subwiki(tx, slug, for_update=True)
    require_moderator(tx, subwiki, actor_id)
    known_user(tx, user_id)
    membership = membership_of(tx, subwiki, user_id)
    if membership is not None and membership.is_moderator:
        return
    if membership is None:
        membership = Membership(subwiki_id=subwiki.id, user_id=user_id, is_moderator=True)
        tx.session.add(membership)
        subwiki.member_count += 1
        tx.session.flush()
        emit_membership(tx, events.MemberJoined, subwiki, membership)
    membership.is_moderator = True
    log(tx, subwiki, actor_id, "appoint_moderator", "user", user_id)
    emit_membership(tx, events.ModeratorAdded, subwiki, membership, actor_id=actor_id)


def remove_moderator(tx: Transaction, actor_id: str, slug: str, user_id: str) -> None:
    subwiki = find_subwiki(tx, slug, for_update=True)
    require_moderator(tx, subwiki, actor_id)
    membership = membership_of(tx, subwiki, user_id)
    if membership is None or not membership.is_moderator:
        return
    if moderator_ids(tx, subwiki) == [user_id]:
        raise Conflict("A subwiki keeps at least one moderator.")
    membership.is_moderator = False
    log(tx, subwiki, actor_id, "remove_moderator", "user", user_id)
    emit_membership(tx, events.ModeratorRemoved, subwiki, membership, actor_id=actor_id)


def get_modlog(tx: Transaction, slug: str, limit: int | None, cursor: str | None) -> dict:
    subwiki = find_subwiki(tx, slug)
    query = select(ModlogEntry).where(ModlogEntry.subwiki_id == subwiki.id)
    return pagination.newest_first(tx.session, query, ModlogEntry.id, limit, cursor, ModlogSchema(many=True).dump)


def get_membership(tx: Transaction, user_id: str, slug: str | None = None, subwiki_id: str | None = None) -> dict:
    """Whether a person belongs to a subwiki, for services whose copy has not caught up yet."""
    subwiki = tx.session.get(Subwiki, subwiki_id) if subwiki_id else find_subwiki(tx, slug or "")
    if subwiki is None:
        raise NotFound("No such subwiki.")
    member = membership_of(tx, subwiki, user_id)
    return {
        "subwiki_id": subwiki.id,
        "subwiki": subwiki.slug,
        "user_id": user_id,
        "is_member": member is not None,
        "is_moderator": bool(member and member.is_moderator),
    }


def memberships_of(tx: Transaction, user_id: str) -> list[dict]:
    rows = tx.session.execute(
        select(Subwiki.slug, Membership.is_moderator)
        .join(Membership, Membership.subwiki_id == Subwiki.id)
        .where(Membership.user_id == user_id)
        .order_by(Subwiki.slug)
    ).all()
    return [{"subwiki": row.slug, "is_moderator": row.is_moderator} for row in rows]


def list_members(tx: Transaction, slug: str, limit: int | None, cursor: str | None) -> dict:
    """A subwiki's members, the most recent to join first: ids for the caller to name."""
    subwiki = find_subwiki(tx, slug)
    size = pagination.limit(limit)
    query = select(Membership).where(Membership.subwiki_id == subwiki.id)
    after = pagination.decode(cursor, (datetime, str))
    if after is not None:
        query = query.where(
            or_(
                Membership.created_at < after[0],
                (Membership.created_at == after[0]) & (Membership.user_id < after[1]),
            )
        )
    rows = tx.session.scalars(
        query.order_by(Membership.created_at.desc(), Membership.user_id.desc()).limit(size + 1)
    ).all()
    result = pagination.page(list(rows), size, lambda row: (row.created_at, row.user_id))
    result["items"] = [
        {"user_id": row.user_id, "is_moderator": row.is_moderator, "joined_at": isoformat(row.created_at)}
        for row in result["items"]
    ]
    return result


def list_member_subwikis(tx: Transaction, user_id: str, limit: int | None, cursor: str | None) -> dict:
    """The subwikis a person belongs to, by slug, with whether they moderate each."""
    size = pagination.limit(limit)
    query = (
        select(Subwiki, Membership.is_moderator)
        .join(Membership, Membership.subwiki_id == Subwiki.id)
        .where(Membership.user_id == user_id)
    )
    after = pagination.decode(cursor, (str,))
    if after is not None:
        query = query.where(Subwiki.slug > after[0])
    rows = tx.session.execute(query.order_by(Subwiki.slug).limit(size + 1)).all()
    result = pagination.page(list(rows), size, lambda row: (row.Subwiki.slug,))
    result["items"] = [
        {**SubwikiSummarySchema().dump(row.Subwiki), "is_moderator": row.is_moderator} for row in result["items"]
    ]
    return result
