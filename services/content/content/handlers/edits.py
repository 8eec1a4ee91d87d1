"""Wiki edits: any member improves a post; trusted members' edits apply at once, every version is kept."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from content import events
from content.exceptions import Conflict, Forbidden, Invalid, RateLimited
from content.handlers import access, mentions
from content.handlers.access import MembershipLookup
from content.handlers.posts import check_language, check_post, post_view
from content.handlers.replicas import trust_of
from content.models import RATE_LIMITS, PendingChange, Post, PostRevision
from content.schemas import RevisionSchema
from svclib import exceptions, wiki
from svclib.db import Transaction, utcnow
from svclib.ratelimit import RateLimit

HISTORY = wiki.History(PostRevision, "post_id", ("title", "body", "url"), RevisionSchema(), "post", Conflict)


@dataclass(frozen=True)
class EditPolicy:
    """Who edits at once, who waits for review, and how fast anyone may edit."""

    trust_threshold: float = 0.5
    edits_per_window: int = 20
    window_seconds: int = 600


def check_rate(tx: Transaction, user_id: str, policy: EditPolicy, now: datetime) -> None:
    """Edits applied, held and reverts all count against the editor's window (``svclib.ratelimit``, the
    platform's one mechanism, counted with the edit: a refused or failing one is not counted)."""
    limit = RateLimit("edits", policy.edits_per_window, policy.window_seconds)
    try:
        limit.hit(tx, RATE_LIMITS, user_id, now.timestamp())
    except exceptions.RateLimited as refused:
        raise RateLimited(
            "You are editing too fast; take a breath.", retry_after=refused.details["retry_after"]
        ) from None


def apply_edit(
    tx: Transaction,
    post: Post,
    editor_id: str,
    title: str,
    body: str,
    url: str | None,
    edit_summary: str,
    reverted_to: int | None = None,
) -> list[str]:
    """Apply the edit; the ids of the people its text mentions."""
    post.title, post.body, post.url = title, body, url
    post.body_html, mentioned = mentions.render(tx, body, post.author_id)
    post.updated_at = utcnow()
    HISTORY.revise(tx.session, post, editor_id, edit_summary, reverted_to=reverted_to)
    return mentioned


def edit_post(
    tx: Transaction,
    lookup: MembershipLookup,
    user_id: str,
    post_id: str,
    base_revision: int,
    edit_summary: str,
    policy: EditPolicy,
    now: datetime,
    title: str | None = None,
    body: str | None = None,
    url: str | None = None,
    language: str | None = None,
) -> dict:
    """A wiki edit by any member: applied at once, or held for review when the editor is not yet trusted.

    A new ``language`` is not a wiki edit (it makes no revision): its author or a moderator sets it, at once.
    """
    post = access.post(tx, post_id, for_update=True)
    access.require_member(tx, lookup, post.subwiki_id, user_id, "edit its posts")
    is_author, is_moderator = post.author_id == user_id, access.is_moderator(tx, lookup, post.subwiki_id, user_id)
    if post.protected and not (is_author or is_moderator):
        raise Forbidden("This post is protected: only its author and moderators edit it.")
    HISTORY.check_base(post, base_revision)
    if len(edit_summary or "") > 300:
        raise Invalid("The edit summary is too long.", fields={"edit_summary": ["Use at most 300 characters."]})
    data = check_post(
        post.kind,
        post.title if title is None else title,
        post.body if body is None else body,
        post.url if url is None else url,
        post.image_id,
    )
    if language is not None and check_language(language) != post.language:
        if not (is_author or is_moderator):
            raise Forbidden("Only its author and moderators set a post's language.")
        post.language = language
    if (data["title"], data["body"], data["url"]) == (post.title, post.body, post.url):
        return {"post": post_view(tx, lookup, post, user_id)}
    check_rate(tx, user_id, policy, now)
    if not (is_author or is_moderator or trust_of(tx, user_id) >= policy.trust_threshold):
        change = PendingChange(
            id=uuid.uuid4().hex,
            post_id=post.id,
            base_revision=post.revision,
            editor_id=user_id,
            edit_summary=edit_summary or "",
            status="pending",
            **data,
        )
        tx.session.add(change)
        tx.session.flush()
        tx.emit(
            events.PostEditPending(
                id=change.id,
                post_id=post.id,
                subwiki_id=post.subwiki_id,
                editor_id=user_id,
                post_author_id=post.author_id,
                reviewer_ids=access.moderator_ids(tx, post.subwiki_id),
            )
        )
        return {"pending": True, "change_id": change.id}
    mentioned = apply_edit(tx, post, user_id, data["title"], data["body"], data["url"], edit_summary)
    tx.emit(events.PostEdited.of(post, editor_id=user_id, edit_summary=edit_summary or "", mentions=mentioned))
    return {"post": post_view(tx, lookup, post, user_id)}


def list_revisions(tx: Transaction, post_id: str, limit: int | None, cursor: str | None) -> dict:
    return HISTORY.page(tx.session, access.post(tx, post_id).id, limit, cursor)


def get_revision_diff(tx: Transaction, post_id: str, number: int) -> dict:
    return HISTORY.compare(tx.session, access.post(tx, post_id).id, number)


def revert_post(
    tx: Transaction,
    lookup: MembershipLookup,
    user_id: str,
    post_id: str,
    number: int,
    policy: EditPolicy,
    now: datetime,
) -> dict:
    """Restore revision ``number`` exactly, as a new revision; the edits after it did not stand."""
    post = access.post(tx, post_id, for_update=True)
    access.require_member(tx, lookup, post.subwiki_id, user_id, "revert its posts")
    is_author, is_moderator = post.author_id == user_id, access.is_moderator(tx, lookup, post.subwiki_id, user_id)
    if post.protected and not (is_author or is_moderator):
        raise Forbidden("This post is protected: only its author and moderators edit it.")
    if not (is_author or is_moderator or trust_of(tx, user_id) >= policy.trust_threshold):
        raise Forbidden("Reverting needs a trusted member, the author or a moderator.")
    old = HISTORY.get(tx.session, post.id, number)
    if number >= post.revision:
        raise Invalid("Only an earlier revision can be restored.", fields={"revision": ["Pick an earlier one."]})
    check_rate(tx, user_id, policy, now)
    undone = tx.session.scalars(
        select(PostRevision).where(
            PostRevision.post_id == post.id, PostRevision.revision > number, PostRevision.reverted.is_(False)
        )
    ).all()
    for revision in undone:
        revision.reverted = True
    apply_edit(tx, post, user_id, old.title, old.body, old.url, f"Reverted to revision {number}", reverted_to=number)
    tx.emit(
        events.PostReverted.of(
            post,
            editor_id=user_id,
            reverted_to=number,
            reverted_edits=[events.RevertedEdit(revision=r.revision, editor_id=r.editor_id) for r in undone],
        )
    )
    return post_view(tx, lookup, post, user_id)
