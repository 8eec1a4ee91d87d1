"""Finding subwikis and people, and who may act on a subwiki."""

from __future__ import annotations

from sqlalchemy import select

from communities.exceptions import Conflict, Forbidden, Invalid, NotFound
from communities.models import KNOWN_USERS, Membership, Subwiki, SubwikiRevision
from communities.schemas import RevisionSchema, SubwikiSchema
from svclib import users, wiki
from svclib.db import Transaction

LIMITS = {"name": 100, "summary": 500, "description": 20000, "edit_summary": 300}
HISTORY = wiki.History(SubwikiRevision, "subwiki_id", ("summary", "description"), RevisionSchema(), "page", Conflict)


def check_lengths(**values: str | None) -> None:
    fields = {
        name: [f"Use at most {LIMITS[name]} characters."]
        for name, value in values.items()
        if value is not None and len(value) > LIMITS[name]
    }
    if fields:
        raise Invalid("Some fields are not valid.", fields=fields)


def known_user(tx: Transaction, user_id: str) -> None:
    """A 404 for a person this service does not know, marked so (``svclib.users.unknown``) when it has no row of
    them: the service may learn of them from identity (their registration's event still on its way) and try again."""
    row = tx.session.execute(select(KNOWN_USERS.c.erased_at).where(KNOWN_USERS.c.id == user_id)).first()
    if row is None:
        raise users.unknown(NotFound("No such user."), user_id)
    if row.erased_at is not None:
        raise NotFound("No such user.")


def find_subwiki(tx: Transaction, slug: str, for_update: bool = False) -> Subwiki:
    query = select(Subwiki).where(Subwiki.slug == (slug or "").lower())
    if for_update:
        query = query.with_for_update()
    subwiki = tx.session.scalar(query)
    if subwiki is None:
        raise NotFound("No such subwiki.")
    return subwiki


def membership_of(tx: Transaction, subwiki: Subwiki, user_id: str | None) -> Membership | None:
    if not user_id:
        return None
    return tx.session.get(Membership, (subwiki.id, user_id))


def moderator_ids(tx: Transaction, subwiki: Subwiki) -> list[str]:
    return list(
        tx.session.scalars(
            select(Membership.user_id)
            .where(Membership.subwiki_id == subwiki.id, Membership.is_moderator.is_(True))
            .order_by(Membership.created_at)
        )
    )


def require_moderator(tx: Transaction, subwiki: Subwiki, user_id: str) -> None:
    membership = membership_of(tx, subwiki, user_id)
    if membership is None or not membership.is_moderator:
        raise Forbidden("Only this subwiki's moderators may do that.")


def view(tx: Transaction, subwiki: Subwiki, viewer_id: str | None = None) -> dict:
    data = SubwikiSchema().dump(subwiki)
    data["moderator_ids"] = moderator_ids(tx, subwiki)
    membership = membership_of(tx, subwiki, viewer_id)
    if viewer_id:
        data["is_member"] = membership is not None
        data["is_moderator"] = bool(membership and membership.is_moderator)
    return data


def seen_by(tx: Transaction, page: dict, viewer_id: str | None) -> dict:
    """A subwiki's page as anyone sees it (``view`` without a viewer), as ``viewer_id`` sees it: whether
    they belong to it and moderate it. ``page`` may be a kept answer: it is copied, never changed."""
    if not viewer_id:
        return page
    if viewer_id in page["moderator_ids"]:
        return {**page, "is_member": True, "is_moderator": True}
    member = tx.connection.execute(
        select(Membership.is_moderator).where(Membership.subwiki_id == page["id"], Membership.user_id == viewer_id)
    ).first()
    return {**page, "is_member": member is not None, "is_moderator": bool(member and member.is_moderator)}
