"""Subwiki use cases as plain functions over one transaction."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from communities import events
from communities.exceptions import Conflict, Forbidden, Invalid, NotFound
from communities.models import (
    KNOWN_USERS,
    RATE_LIMITS,
    Membership,
    MembershipVersion,
    ModlogEntry,
    Subwiki,
    SubwikiRevision,
)
from communities.schemas import (
    MembershipEventSchema,
    ModlogSchema,
    RevisionSchema,
    SubwikiEventSchema,
    SubwikiSchema,
    SubwikiSummarySchema,
)
from svclib import pagination, wiki
from svclib.db import Transaction, isoformat, utcnow
from svclib.ratelimit import RateLimit

SLUG = re.compile(r"^[a-z0-9_]{3,40}$")
LIMITS = {"name": 100, "summary": 500, "description": 20000, "edit_summary": 300}
HISTORY = wiki.History(SubwikiRevision, "subwiki_id", ("summary", "description"), RevisionSchema())
SORTS = {
    "members": (Subwiki.member_count, int),
    "new": (Subwiki.created_at, datetime),
    "active": (Subwiki.last_activity_at, datetime),
}


def _check_lengths(**values: str | None) -> None:
    fields = {
        name: [f"Use at most {LIMITS[name]} characters."]
        for name, value in values.items()
        if value is not None and len(value) > LIMITS[name]
    }
    if fields:
        raise Invalid("Some fields are not valid.", fields=fields)


def _known_user(tx: Transaction, user_id: str) -> None:
    row = tx.session.execute(select(KNOWN_USERS.c.erased_at).where(KNOWN_USERS.c.id == user_id)).first()
    if row is None or row.erased_at is not None:
        raise NotFound("No such user.")


# Subwikis one account may create: more than a real member ever starts in a day, few enough that
# no script fills the directory (RATE_LIMIT_SUBWIKIS_LIMIT, RATE_LIMIT_SUBWIKIS_WINDOW_SECONDS).
SUBWIKI_CREATION = RateLimit.from_env(
    "SUBWIKIS", limit=10, window_seconds=24 * 3600, message="You have created many subwikis today; try again later."
)


def _subwiki(tx: Transaction, slug: str, for_update: bool = False) -> Subwiki:
    query = select(Subwiki).where(Subwiki.slug == (slug or "").lower())
    if for_update:
        query = query.with_for_update()
    subwiki = tx.session.scalar(query)
    if subwiki is None:
        raise NotFound("No such subwiki.")
    return subwiki


def _membership(tx: Transaction, subwiki: Subwiki, user_id: str | None) -> Membership | None:
    if not user_id:
        return None
    return tx.session.get(Membership, (subwiki.id, user_id))


def _moderator_ids(tx: Transaction, subwiki: Subwiki) -> list[str]:
    return list(
        tx.session.scalars(
            select(Membership.user_id)
            .where(Membership.subwiki_id == subwiki.id, Membership.is_moderator.is_(True))
            .order_by(Membership.created_at)
        )
    )


def _require_moderator(tx: Transaction, subwiki: Subwiki, user_id: str) -> None:
    membership = _membership(tx, subwiki, user_id)
    if membership is None or not membership.is_moderator:
        raise Forbidden("Only this subwiki's moderators may do that.")


def view(tx: Transaction, subwiki: Subwiki, viewer_id: str | None = None) -> dict:
    data = SubwikiSchema().dump(subwiki)
    data["moderator_ids"] = _moderator_ids(tx, subwiki)
    membership = _membership(tx, subwiki, viewer_id)
    if viewer_id:
        data["is_member"] = membership is not None
        data["is_moderator"] = bool(membership and membership.is_moderator)
    return data


def _log(
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


def _emit_membership(tx: Transaction, event_type: str, subwiki: Subwiki, membership: Membership, **extra) -> None:
    """Every membership event carries the membership's next version (the subwiki's row is locked by the caller)."""
    key = (subwiki.id, membership.user_id)
    version = tx.session.get(MembershipVersion, key)
    if version is None:
        version = MembershipVersion(subwiki_id=key[0], user_id=key[1], version=0)
        tx.session.add(version)
    version.version += 1
    data = MembershipEventSchema().dump(
        {
            "user_id": membership.user_id,
            "subwiki": subwiki.slug,
            "subwiki_id": subwiki.id,
            "is_moderator": membership.is_moderator,
            "version": version.version,
        }
    )
    tx.emit(event_type, "membership", {**data, **extra})


def _slug_conflict() -> Conflict:
    return Conflict("This subwiki exists already.", fields={"slug": ["This slug is taken."]})


def _slug_taken(tx: Transaction, slug: str) -> bool:
    return tx.session.scalar(select(Subwiki.id).where(Subwiki.slug == slug)) is not None


def create(tx: Transaction, user_id: str, slug: str, name: str, summary: str, description: str) -> dict:
    slug = (slug or "").strip().lower()
    name = (name or "").strip()
    fields: dict[str, list[str]] = {}
    if not SLUG.match(slug):
        fields["slug"] = ["Use 3 to 40 of a-z, 0-9 and _."]
    if not name:
        fields["name"] = ["A name is required."]
    if fields:
        raise Invalid("Some fields are not valid.", fields=fields)
    _check_lengths(name=name, summary=summary, description=description)
    _known_user(tx, user_id)
    SUBWIKI_CREATION.hit(tx, RATE_LIMITS, user_id)  # counted with the creation: a refused one is not counted
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
    tx.session.add(
        SubwikiRevision(
            subwiki_id=subwiki.id,
            revision=1,
            summary=subwiki.summary,
            description=subwiki.description,
            editor_id=user_id,
            edit_summary="Created",
        )
    )
    creator = Membership(subwiki_id=subwiki.id, user_id=user_id, is_moderator=True)
    tx.session.add(creator)
    tx.session.flush()
    tx.emit(events.SUBWIKI_CREATED, "subwiki", SubwikiEventSchema().dump(subwiki))
    _emit_membership(tx, events.MEMBER_JOINED, subwiki, creator)
    _emit_membership(tx, events.MODERATOR_ADDED, subwiki, creator, actor_id=user_id)
    return view(tx, subwiki, user_id)


def get(tx: Transaction, slug: str, viewer_id: str | None = None) -> dict:
    return view(tx, _subwiki(tx, slug), viewer_id)


def get_many(tx: Transaction, slugs: list[str]) -> dict:
    rows = tx.session.scalars(select(Subwiki).where(Subwiki.slug.in_([s.lower() for s in slugs[:500]]))).all()
    return {row.slug: SubwikiSummarySchema().dump(row) for row in rows}


def search(tx: Transaction, q: str | None, sort: str, limit: int | None, cursor: str | None) -> dict:
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


def edit(
    tx: Transaction,
    user_id: str,
    slug: str,
    base_revision: int,
    edit_summary: str,
    summary: str | None = None,
    description: str | None = None,
    restored_from: int | None = None,
) -> dict:
    """A wiki edit by any member: a new revision, refused when made on a stale one."""
    _check_lengths(summary=summary, description=description, edit_summary=edit_summary)
    subwiki = _subwiki(tx, slug, for_update=True)
    if _membership(tx, subwiki, user_id) is None:
        raise Forbidden("Join this subwiki to edit it.")
    if base_revision != subwiki.revision:
        raise Conflict(
            "The page changed since you opened it; reload and edit again.",
            fields={"base_revision": [f"The current revision is {subwiki.revision}."]},
            current_revision=subwiki.revision,
        )
    new_summary = subwiki.summary if summary is None else summary
    new_description = subwiki.description if description is None else description
    if (new_summary, new_description) == (subwiki.summary, subwiki.description):
        return view(tx, subwiki, user_id)
    subwiki.summary, subwiki.description = new_summary, new_description
    subwiki.revision += 1
    subwiki.last_activity_at = utcnow()
    tx.session.add(
        SubwikiRevision(
            subwiki_id=subwiki.id,
            revision=subwiki.revision,
            summary=new_summary,
            description=new_description,
            editor_id=user_id,
            edit_summary=edit_summary or "",
            restored_from=restored_from,
        )
    )
    tx.session.flush()
    tx.emit(
        events.SUBWIKI_EDITED,
        "subwiki",
        {**SubwikiEventSchema().dump(subwiki), "editor_id": user_id, "edit_summary": edit_summary or ""},
    )
    return view(tx, subwiki, user_id)


def _revision(tx: Transaction, subwiki: Subwiki, number: int) -> SubwikiRevision:
    return HISTORY.get(tx.session, subwiki.id, number)


def revisions(tx: Transaction, slug: str, limit: int | None, cursor: str | None) -> dict:
    return HISTORY.page(tx.session, _subwiki(tx, slug).id, limit, cursor)


def revision_diff(tx: Transaction, slug: str, number: int) -> dict:
    return HISTORY.compare(tx.session, _subwiki(tx, slug).id, number)


def restore(tx: Transaction, user_id: str, slug: str, number: int) -> dict:
    subwiki = _subwiki(tx, slug, for_update=True)
    old = _revision(tx, subwiki, number)
    return edit(
        tx,
        user_id,
        slug,
        subwiki.revision,
        f"Restored revision {number}",
        summary=old.summary,
        description=old.description,
        restored_from=number,
    )


def join(tx: Transaction, user_id: str, slug: str) -> None:
    subwiki = _subwiki(tx, slug, for_update=True)
    _known_user(tx, user_id)
    if _membership(tx, subwiki, user_id) is not None:
        return
    membership = Membership(subwiki_id=subwiki.id, user_id=user_id, is_moderator=False)
    tx.session.add(membership)
    subwiki.member_count += 1
    tx.session.flush()
    _emit_membership(tx, events.MEMBER_JOINED, subwiki, membership)


def leave(tx: Transaction, user_id: str, slug: str) -> None:
    subwiki = _subwiki(tx, slug, for_update=True)
    membership = _membership(tx, subwiki, user_id)
    if membership is None:
        return
    if membership.is_moderator and _moderator_ids(tx, subwiki) == [user_id]:
        raise Conflict("You are this subwiki's only moderator: appoint another before leaving.")
    if membership.is_moderator:
        _emit_membership(tx, events.MODERATOR_REMOVED, subwiki, membership, actor_id=user_id)
    tx.session.delete(membership)
    subwiki.member_count -= 1
    _emit_membership(tx, events.MEMBER_LEFT, subwiki, membership)


def appoint(tx: Transaction, actor_id: str, slug: str, user_id: str) -> None:
    subwiki = _subwiki(tx, slug, for_update=True)
    _require_moderator(tx, subwiki, actor_id)
    _known_user(tx, user_id)
    membership = _membership(tx, subwiki, user_id)
    if membership is not None and membership.is_moderator:
        return
    if membership is None:
        membership = Membership(subwiki_id=subwiki.id, user_id=user_id, is_moderator=True)
        tx.session.add(membership)
        subwiki.member_count += 1
        tx.session.flush()
        _emit_membership(tx, events.MEMBER_JOINED, subwiki, membership)
    membership.is_moderator = True
    _log(tx, subwiki, actor_id, "appoint_moderator", "user", user_id)
    _emit_membership(tx, events.MODERATOR_ADDED, subwiki, membership, actor_id=actor_id)


def dismiss(tx: Transaction, actor_id: str, slug: str, user_id: str) -> None:
    subwiki = _subwiki(tx, slug, for_update=True)
    _require_moderator(tx, subwiki, actor_id)
    membership = _membership(tx, subwiki, user_id)
    if membership is None or not membership.is_moderator:
        return
    if _moderator_ids(tx, subwiki) == [user_id]:
        raise Conflict("A subwiki keeps at least one moderator.")
    membership.is_moderator = False
    _log(tx, subwiki, actor_id, "remove_moderator", "user", user_id)
    _emit_membership(tx, events.MODERATOR_REMOVED, subwiki, membership, actor_id=actor_id)


def modlog(tx: Transaction, slug: str, limit: int | None, cursor: str | None) -> dict:
    subwiki = _subwiki(tx, slug)
    query = select(ModlogEntry).where(ModlogEntry.subwiki_id == subwiki.id)
    return pagination.newest_first(tx.session, query, ModlogEntry.id, limit, cursor, ModlogSchema(many=True).dump)


def membership(tx: Transaction, user_id: str, slug: str | None = None, subwiki_id: str | None = None) -> dict:
    """Whether a person belongs to a subwiki, for services whose copy has not caught up yet."""
    subwiki = tx.session.get(Subwiki, subwiki_id) if subwiki_id else _subwiki(tx, slug or "")
    if subwiki is None:
        raise NotFound("No such subwiki.")
    member = _membership(tx, subwiki, user_id)
    return {
        "subwiki_id": subwiki.id,
        "subwiki": subwiki.slug,
        "user_id": user_id,
        "is_member": member is not None,
        "is_moderator": bool(member and member.is_moderator),
    }


def record_post(tx: Transaction, post: dict, delta: int) -> None:
    """Count a subwiki's live posts and note when it was last active, from content's events."""
    subwiki = tx.session.scalar(select(Subwiki).where(Subwiki.id == post["subwiki_id"]).with_for_update())
    if subwiki is None:
        return
    subwiki.post_count = max(0, subwiki.post_count + delta)
    if delta > 0:
        subwiki.last_activity_at = utcnow()


def record_activity(tx: Transaction, subwiki_id: str) -> None:
    subwiki = tx.session.get(Subwiki, subwiki_id)
    if subwiki is not None:
        subwiki.last_activity_at = utcnow()


def record_moderation(
    tx: Transaction, subwiki_id: str, actor_id: str, action: str, target_type: str, target_id: str, reason: str = ""
) -> None:
    """A moderator's action taken in content (a removal, a report decided), for the public log."""
    subwiki = tx.session.get(Subwiki, subwiki_id)
    if subwiki is not None:
        _log(tx, subwiki, actor_id, action, target_type, target_id, reason)


def memberships_of(tx: Transaction, user_id: str) -> list[dict]:
    rows = tx.session.execute(
        select(Subwiki.slug, Membership.is_moderator)
        .join(Membership, Membership.subwiki_id == Subwiki.id)
        .where(Membership.user_id == user_id)
        .order_by(Subwiki.slug)
    ).all()
    return [{"subwiki": row.slug, "is_moderator": row.is_moderator} for row in rows]


def members(tx: Transaction, slug: str, limit: int | None, cursor: str | None) -> dict:
    """A subwiki's members, the most recent to join first: ids for the caller to name."""
    subwiki = _subwiki(tx, slug)
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


def subwikis_of(tx: Transaction, user_id: str, limit: int | None, cursor: str | None) -> dict:
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


def list_memberships(tx: Transaction, after: str | None, limit: int) -> dict:
    """Every membership, in key order, for a service rebuilding its copy."""
    limit = pagination.facts_limit(limit)
    key = Membership.subwiki_id + ":" + Membership.user_id
    query = select(key.label("k"), Membership.user_id, Membership.subwiki_id, Subwiki.slug, Membership.is_moderator)
    query = query.join(Subwiki, Subwiki.id == Membership.subwiki_id).order_by(key).limit(limit)
    rows = tx.session.execute(query.where(key > after) if after else query).all()
    items = [
        {"user_id": r.user_id, "subwiki_id": r.subwiki_id, "subwiki": r.slug, "is_moderator": r.is_moderator}
        for r in rows
    ]
    return pagination.facts_page(items, [r.k for r in rows], limit)


def list_names(tx: Transaction, after: str | None, limit: int) -> dict:
    """Every subwiki's id, slug and name, in id order, for a service rebuilding its copy."""
    limit = pagination.facts_limit(limit)
    query = select(Subwiki.id, Subwiki.slug, Subwiki.name).order_by(Subwiki.id).limit(limit)
    rows = tx.session.execute(query.where(Subwiki.id > after) if after else query).all()
    items = [{"id": r.id, "slug": r.slug, "name": r.name} for r in rows]
    return pagination.facts_page(items, [r.id for r in rows], limit)
