"""Finding posts and comments, and who may act on them.

Memberships come from content's copy of communities' events. That copy lags a join made a
moment ago, so where the copy has no answer the caller's ``MembershipLookup`` asks communities.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import bindparam, select

from content.exceptions import Forbidden, NotFound
from content.models import Comment, Member, Post
from svclib.db import Transaction

MembershipLookup = Callable[..., dict | None]
"""``lookup(user_id, subwiki_id=...)`` or ``lookup(user_id, slug=...)``: communities' answer
(``subwiki_id``, ``subwiki``, ``is_member``, ``is_moderator``), or None when there is no such subwiki."""


def member(tx: Transaction, lookup: MembershipLookup, subwiki_id: str, user_id: str | None) -> Member | None:
    if not user_id:
        return None
    found = tx.session.get(Member, (subwiki_id, user_id))
    if found is None:
        answer = lookup(user_id, subwiki_id=subwiki_id)
        if answer and answer["is_member"]:
            return Member(
                subwiki_id=subwiki_id,
                user_id=user_id,
                subwiki_slug=answer["subwiki"],
                is_moderator=answer["is_moderator"],
            )
    return found


def is_moderator(tx: Transaction, lookup: MembershipLookup, subwiki_id: str, user_id: str | None) -> bool:
    found = member(tx, lookup, subwiki_id, user_id)
    return bool(found and found.is_moderator)


def require_member(tx: Transaction, lookup: MembershipLookup, subwiki_id: str, user_id: str, action: str) -> Member:
    found = member(tx, lookup, subwiki_id, user_id)
    if found is None:
        raise Forbidden(f"Join this subwiki to {action}.")
    return found


def subwiki_id(tx: Transaction, lookup: MembershipLookup, slug: str, user_id: str | None = None) -> str:
    slug = (slug or "").lower()
    found = tx.session.scalar(select(Member.subwiki_id).where(Member.subwiki_slug == slug).limit(1))
    if found is None:
        answer = lookup(user_id, slug=slug)
        if answer is None:
            raise NotFound("No such subwiki.")
        found = answer["subwiki_id"]
    return found


def post(tx: Transaction, post_id: str, for_update: bool = False, include_removed: bool = False) -> Post:
    query = select(Post).where(Post.id == post_id)
    if for_update:
        query = query.with_for_update()
    found = tx.session.scalar(query)
    if found is None or (found.removed_at is not None and not include_removed):
        raise NotFound("No such post.")
    return found


_FOUND = select(Post.id).where(Post.id == bindparam("post_id"), Post.removed_at.is_(None))


def require_post(tx: Transaction, post_id: str) -> None:
    """That the post exists and was not removed (else NotFound), read without loading it (``svclib.db.driver``)."""
    if tx.row(_FOUND, {"post_id": post_id}) is None:
        raise NotFound("No such post.")


def comment(tx: Transaction, comment_id: str, for_update: bool = False) -> Comment:
    query = select(Comment).where(Comment.id == comment_id)
    if for_update:
        query = query.with_for_update()
    found = tx.session.scalar(query)
    if found is None or found.deleted_at is not None:
        raise NotFound("No such comment.")
    return found


def moderator_ids(tx: Transaction, subwiki_id: str) -> list[str]:
    """The subwiki's moderators, as content's copy of the memberships knows them."""
    return moderators_of(tx, [subwiki_id])[subwiki_id]


def moderators_of(tx: Transaction, subwiki_ids: Iterable[str]) -> dict[str, list[str]]:
    """Each subwiki's moderators (every one asked for is a key), read in one statement."""
    moderators: dict[str, list[str]] = {subwiki_id: [] for subwiki_id in subwiki_ids}
    if moderators:
        rows = tx.session.execute(
            select(Member.subwiki_id, Member.user_id)
            .where(Member.subwiki_id.in_(moderators), Member.is_moderator.is_(True))
            .order_by(Member.user_id)
        )
        for subwiki_id, user_id in rows:
            moderators[subwiki_id].append(user_id)
    return moderators
