"""A new member's first post held for approval: a subwiki's moderators may ask to approve each new member's
first post before anyone else sees it. Held, it is in no feed, search or page: its author sees it pending,
the moderators in their queue; approved, it becomes the post of the same id (``post_created``); rejected, it
goes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from content import events
from content.exceptions import Forbidden, NotFound
from content.handlers import access, posts
from content.handlers.access import MembershipLookup
from content.models import HELD_WAITING, FirstPostApproval, HeldPost, Upload
from svclib import pagination
from svclib.db import Transaction, utcnow


def _require_moderator(tx: Transaction, lookup: MembershipLookup, subwiki_id: str, user_id: str) -> None:
    if not access.is_moderator(tx, lookup, subwiki_id, user_id):
        raise Forbidden("Only this subwiki's moderators approve first posts.")


def set_first_post_approval(tx: Transaction, lookup: MembershipLookup, user_id: str, slug: str, required: bool) -> None:
    """Moderators turn on (or off) the approval of each new member's first post; posts already held stay held."""
    subwiki_id = access.subwiki_id(tx, lookup, slug, user_id)
    _require_moderator(tx, lookup, subwiki_id, user_id)
    current = tx.session.get(FirstPostApproval, subwiki_id)
    if required and current is None:
        tx.session.add(FirstPostApproval(subwiki_id=subwiki_id, set_by=user_id))
    elif not required and current is not None:
        tx.session.delete(current)


def list_held_posts(
    tx: Transaction, lookup: MembershipLookup, user_id: str, slug: str, limit: int | None, cursor: str | None
) -> dict:
    """The posts held in a subwiki, the longest waiting first: all of them for its moderators, one's own
    for anyone else; with whether the subwiki approves first posts."""
    subwiki_id = access.subwiki_id(tx, lookup, slug, user_id)
    query = select(HeldPost).where(HeldPost.subwiki_id == subwiki_id, HeldPost.status == HELD_WAITING)
    if not access.is_moderator(tx, lookup, subwiki_id, user_id):
        query = query.where(HeldPost.author_id == user_id)
    after = pagination.decode(cursor, (datetime, str))
    if after is not None:
        query = query.where(
            or_(HeldPost.created_at > after[0], (HeldPost.created_at == after[0]) & (HeldPost.id > after[1]))
        )
    size = pagination.limit(limit)
    rows = list(tx.session.scalars(query.order_by(HeldPost.created_at, HeldPost.id).limit(size + 1)))
    result = pagination.page(rows, size, lambda row: (row.created_at, row.id))
    result["items"] = posts.held_views(tx, result["items"])
    result["approval_required"] = tx.session.get(FirstPostApproval, subwiki_id) is not None
    return result


def _held(tx: Transaction, lookup: MembershipLookup, user_id: str, held_id: str) -> HeldPost:
    waiting = tx.session.scalar(select(HeldPost).where(HeldPost.id == held_id).with_for_update())
    if waiting is None or waiting.status != HELD_WAITING:
        raise NotFound("No such held post.")
    _require_moderator(tx, lookup, waiting.subwiki_id, user_id)
    return waiting


def approve_held_post(tx: Transaction, lookup: MembershipLookup, user_id: str, held_id: str) -> dict:
    """A moderator approves: the held post becomes a post, of the same id, in every feed from now."""
    waiting = _held(tx, lookup, user_id, held_id)
    image_file = None
    if waiting.image_id:
        image_file = tx.session.scalar(select(Upload.filename).where(Upload.id == waiting.image_id))
    data = {"title": waiting.title, "body": waiting.body, "url": waiting.url, "language": waiting.language}
    post = posts.publish(
        tx,
        waiting.id,
        waiting.subwiki_id,
        waiting.subwiki_slug,
        waiting.author_id,
        waiting.kind,
        data,
        waiting.image_id,
        image_file,
    )
    _decide(waiting, "approved", user_id)
    tx.emit(events.HeldPostApproved.of(waiting, approved_by=user_id))
    return posts.post_view(tx, lookup, post, user_id)


def reject_held_post(tx: Transaction, lookup: MembershipLookup, user_id: str, held_id: str) -> None:
    waiting = _held(tx, lookup, user_id, held_id)
    _decide(waiting, "rejected", user_id)
    tx.emit(events.HeldPostRejected.of(waiting, rejected_by=user_id))


def _decide(waiting: HeldPost, status: str, user_id: str) -> None:
    """A decided held post stays, out of every queue: its author's export and the notifications' rebuild
    read it (a rejected picture's upload is swept like any unused one)."""
    waiting.status, waiting.decided_by, waiting.decided_at = status, user_id, utcnow()
