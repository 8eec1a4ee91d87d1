"""A subwiki's wiki page (its summary and description): edits by members, history, restores."""

from __future__ import annotations

from communities import events
from communities.exceptions import Forbidden
from communities.handlers.access import HISTORY, check_lengths, find_subwiki, membership_of, view
from svclib.db import Transaction, utcnow


def edit_subwiki(
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
    check_lengths(summary=summary, description=description, edit_summary=edit_summary)
    subwiki = find_subwiki(tx, slug, for_update=True)
    if membership_of(tx, subwiki, user_id) is None:
        raise Forbidden("Join this subwiki to edit it.")
    HISTORY.check_base(subwiki, base_revision)
    new_summary = subwiki.summary if summary is None else summary
    new_description = subwiki.description if description is None else description
    if (new_summary, new_description) == (subwiki.summary, subwiki.description):
        return view(tx, subwiki, user_id)
    subwiki.summary, subwiki.description = new_summary, new_description
    subwiki.last_activity_at = utcnow()
    HISTORY.revise(tx.session, subwiki, user_id, edit_summary, restored_from=restored_from)
    tx.emit(events.SubwikiEdited.of(subwiki, editor_id=user_id, edit_summary=edit_summary or ""))
    return view(tx, subwiki, user_id)


def list_revisions(tx: Transaction, slug: str, limit: int | None, cursor: str | None) -> dict:
    return HISTORY.page(tx.session, find_subwiki(tx, slug).id, limit, cursor)


def get_revision_diff(tx: Transaction, slug: str, number: int) -> dict:
    return HISTORY.compare(tx.session, find_subwiki(tx, slug).id, number)


def restore_revision(tx: Transaction, user_id: str, slug: str, number: int) -> dict:
    subwiki = find_subwiki(tx, slug, for_update=True)
    old = HISTORY.get(tx.session, subwiki.id, number)
    return edit_subwiki(
        tx,
        user_id,
        slug,
        subwiki.revision,
        f"Restored revision {number}",
        summary=old.summary,
        description=old.description,
        restored_from=number,
    )
