"""Posts, wiki edits, comments, votes and reports as plain functions over one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select, update

from content import events, images, markup
from content.exceptions import Conflict, Forbidden, Invalid, NotFound, RateLimited
from content.models import (
    KNOWN_USERS,
    Comment,
    CommentRevision,
    Member,
    PendingChange,
    Post,
    PostRevision,
    Report,
    Trust,
    Upload,
    Vote,
)
from content.schemas import (
    CommentSchema,
    PendingSchema,
    PostEventSchema,
    PostSchema,
    ReportSchema,
    RevisionSchema,
)
from svclib import pagination, wiki
from svclib.db import Transaction, utcnow

KINDS = ("link", "article", "image", "cartoon", "text")
BODY_LIMITS = {"article": 100_000, "text": 5_000, "link": 5_000, "image": 5_000, "cartoon": 5_000}
COMMENT_LIMIT = 10_000
NEW_ACCOUNT_TRUST = 0.1

POST = PostSchema()
HISTORY = wiki.History(PostRevision, "post_id", ("title", "body", "url"), RevisionSchema())
POST_EVENT = PostEventSchema()
COMMENT = CommentSchema()


@dataclass(frozen=True)
class EditPolicy:
    """Who edits at once, who waits for review, and how fast anyone may edit."""

    trust_threshold: float = 0.5
    edits_per_window: int = 20
    window_seconds: int = 600


# --- copies of other services' facts -------------------------------------------


def record_membership(tx: Transaction, membership: dict, joined: bool) -> None:
    key = (membership["subwiki_id"], membership["user_id"])
    member = tx.session.get(Member, key)
    if joined and member is None:
        tx.session.add(
            Member(
                subwiki_id=key[0],
                user_id=key[1],
                subwiki_slug=membership["subwiki"],
                is_moderator=bool(membership.get("is_moderator")),
            )
        )
    elif not joined and member is not None:
        tx.session.delete(member)


def record_moderator(tx: Transaction, membership: dict, is_moderator: bool) -> None:
    record_membership(tx, membership, joined=True)
    tx.session.flush()
    member = tx.session.get(Member, (membership["subwiki_id"], membership["user_id"]))
    member.is_moderator = is_moderator


def record_trust(tx: Transaction, user_id: str, trust: float, as_of: datetime | None = None) -> None:
    """A person's trust from identity; a change computed before the value held (arriving late) is ignored."""
    row = tx.session.scalar(select(Trust).where(Trust.user_id == user_id).with_for_update())
    if row is None:
        tx.session.add(Trust(user_id=user_id, trust=trust, as_of=as_of))
    elif as_of is None or row.as_of is None or as_of > row.as_of:
        row.trust, row.as_of = trust, as_of or row.as_of


def trust_of(tx: Transaction, user_id: str) -> float:
    row = tx.session.get(Trust, user_id)
    return row.trust if row is not None else NEW_ACCOUNT_TRUST


# --- access ------------------------------------------------------------------------


def _ask_communities(tx: Transaction, user_id: str | None, **where: str) -> dict | None:
    """Ask communities directly when the local copy lacks a fact, e.g. a join made a moment ago.

    The service puts the question in ``session.info``; without it the local copy is all there is.
    """
    ask = tx.session.info.get("ask_membership")
    return ask(user_id, **where) if ask else None


def _member(tx: Transaction, subwiki_id: str, user_id: str | None) -> Member | None:
    if not user_id:
        return None
    member = tx.session.get(Member, (subwiki_id, user_id))
    if member is None:
        answer = _ask_communities(tx, user_id, subwiki_id=subwiki_id)
        if answer and answer["is_member"]:
            return Member(
                subwiki_id=subwiki_id,
                user_id=user_id,
                subwiki_slug=answer["subwiki"],
                is_moderator=answer["is_moderator"],
            )
    return member


def _is_moderator(tx: Transaction, subwiki_id: str, user_id: str | None) -> bool:
    member = _member(tx, subwiki_id, user_id)
    return bool(member and member.is_moderator)


def _subwiki_id(tx: Transaction, slug: str, user_id: str | None = None) -> str:
    slug = (slug or "").lower()
    subwiki_id = tx.session.scalar(select(Member.subwiki_id).where(Member.subwiki_slug == slug).limit(1))
    if subwiki_id is None:
        answer = _ask_communities(tx, user_id, slug=slug)
        if answer is None:
            raise NotFound("No such subwiki.")
        subwiki_id = answer["subwiki_id"]
    return subwiki_id


def _post(tx: Transaction, post_id: str, for_update: bool = False, include_removed: bool = False) -> Post:
    query = select(Post).where(Post.id == post_id)
    if for_update:
        query = query.with_for_update()
    post = tx.session.scalar(query)
    if post is None or (post.removed_at is not None and not include_removed):
        raise NotFound("No such post.")
    return post


def _require_member(tx: Transaction, subwiki_id: str, user_id: str, action: str) -> Member:
    member = _member(tx, subwiki_id, user_id)
    if member is None:
        raise Forbidden(f"Join this subwiki to {action}.")
    return member


# --- validation --------------------------------------------------------------------


def _check_url(url: str | None, fields: dict) -> str | None:
    if url is None or url == "":
        return None
    url = url.strip()
    parts = urlsplit(url)
    if len(url) > 2048 or parts.scheme not in ("http", "https") or not parts.hostname:
        fields["url"] = ["Use an http:// or https:// address."]
    return url


def _check_post(kind: str, title: str, body: str, url: str | None, image_id: str | None) -> dict:
    fields: dict[str, list[str]] = {}
    if kind not in KINDS:
        raise Invalid("Unknown kind.", fields={"kind": [f"Use one of {', '.join(KINDS)}."]})
    title = (title or "").strip()
    if not 1 <= len(title) <= 300:
        fields["title"] = ["Use 1 to 300 characters."]
    body = body or ""
    if len(body) > BODY_LIMITS[kind]:
        fields["body"] = [f"Use at most {BODY_LIMITS[kind]} characters."]
    url = _check_url(url, fields)
    if kind == "link" and url is None and "url" not in fields:
        fields["url"] = ["A link needs a URL."]
    if kind in ("article", "text") and not body.strip():
        fields["body"] = ["Write something."]
    if kind in ("image", "cartoon") and not image_id:
        fields["image_id"] = ["Upload the picture first."]
    if fields:
        raise Invalid("Some fields are not valid.", fields=fields)
    return {"title": title, "body": body, "url": url}


# --- views -------------------------------------------------------------------------


def post_view(tx: Transaction, post: Post, viewer_id: str | None = None) -> dict:
    data = POST.dump(post)
    data["image_file"] = (
        tx.session.scalar(select(Upload.filename).where(Upload.id == post.image_id)) if post.image_id else None
    )
    data["edited_by_count"] = tx.session.scalar(
        select(func.count(func.distinct(PostRevision.editor_id))).where(
            PostRevision.post_id == post.id, PostRevision.editor_id != post.author_id
        )
    )
    if viewer_id:
        data["my_vote"] = (
            tx.session.scalar(
                select(Vote.value).where(
                    Vote.target_type == "post", Vote.target_id == post.id, Vote.voter_id == viewer_id
                )
            )
            or 0
        )
        data["can_moderate"] = _is_moderator(tx, post.subwiki_id, viewer_id)
    return data


def _post_event(post: Post, **extra) -> dict:
    return {**POST_EVENT.dump(post), **extra}


# --- posts -------------------------------------------------------------------------


def create_post(
    tx: Transaction,
    user_id: str,
    slug: str,
    kind: str,
    title: str,
    body: str = "",
    url: str | None = None,
    image_id: str | None = None,
) -> dict:
    subwiki_id = _subwiki_id(tx, slug, user_id)
    member = _require_member(tx, subwiki_id, user_id, "post here")
    data = _check_post(kind, title, body, url, image_id)
    image_file = None
    if kind in ("image", "cartoon"):
        upload = tx.session.get(Upload, image_id)
        if upload is None or upload.owner_id != user_id:
            raise Invalid("Unknown picture.", fields={"image_id": ["Upload the picture first."]})
        image_file = upload.filename
    elif image_id:
        raise Invalid("Only image and cartoon posts carry a picture.", fields={"image_id": ["Not for this kind."]})
    post = Post(
        id=uuid.uuid4().hex,
        subwiki_id=subwiki_id,
        subwiki_slug=member.subwiki_slug,
        author_id=user_id,
        kind=kind,
        title=data["title"],
        body=data["body"],
        body_html=markup.render(data["body"]),
        url=data["url"],
        image_id=image_id if kind in ("image", "cartoon") else None,
        revision=1,
        protected=False,
        up_count=0,
        down_count=0,
        comment_count=0,
    )
    tx.session.add(post)
    tx.session.flush()
    tx.session.add(
        PostRevision(
            post_id=post.id,
            revision=1,
            title=post.title,
            body=post.body,
            url=post.url,
            editor_id=user_id,
            edit_summary="Posted",
        )
    )
    tx.emit(events.POST_CREATED, "post", _post_event(post, image_file=image_file))
    return post_view(tx, post, user_id)


def get_post(tx: Transaction, post_id: str, viewer_id: str | None = None) -> dict:
    return post_view(tx, _post(tx, post_id), viewer_id)


def _check_rate(tx: Transaction, user_id: str, policy: EditPolicy, now: datetime) -> None:
    since = now - timedelta(seconds=policy.window_seconds)
    applied = tx.session.execute(
        select(func.count(), func.min(PostRevision.created_at)).where(
            PostRevision.editor_id == user_id, PostRevision.created_at > since, PostRevision.revision > 1
        )
    ).one()
    held = tx.session.execute(
        select(func.count(), func.min(PendingChange.created_at)).where(
            PendingChange.editor_id == user_id, PendingChange.created_at > since
        )
    ).one()
    if applied[0] + held[0] >= policy.edits_per_window:
        oldest = min(t for t in (applied[1], held[1]) if t is not None)
        raise RateLimited(
            "You are editing too fast; take a breath.", retry_after=max(1, int((oldest - since).total_seconds()) + 1)
        )


def _apply_edit(
    tx: Transaction,
    post: Post,
    editor_id: str,
    title: str,
    body: str,
    url: str | None,
    edit_summary: str,
    reverted_to: int | None = None,
) -> None:
    post.title, post.body, post.url = title, body, url
    post.body_html = markup.render(body)
    post.revision += 1
    post.updated_at = utcnow()
    tx.session.add(
        PostRevision(
            post_id=post.id,
            revision=post.revision,
            title=title,
            body=body,
            url=url,
            editor_id=editor_id,
            edit_summary=edit_summary or "",
            reverted_to=reverted_to,
        )
    )
    tx.session.flush()


def edit_post(
    tx: Transaction,
    user_id: str,
    post_id: str,
    base_revision: int,
    edit_summary: str,
    policy: EditPolicy,
    now: datetime,
    title: str | None = None,
    body: str | None = None,
    url: str | None = None,
) -> dict:
    """A wiki edit by any member: applied at once, or held for review when the editor is not yet trusted."""
    post = _post(tx, post_id, for_update=True)
    _require_member(tx, post.subwiki_id, user_id, "edit its posts")
    is_author, is_moderator = post.author_id == user_id, _is_moderator(tx, post.subwiki_id, user_id)
    if post.protected and not (is_author or is_moderator):
        raise Forbidden("This post is protected: only its author and moderators edit it.")
    if base_revision != post.revision:
        raise Conflict(
            "The post changed since you opened it; reload and edit again.",
            fields={"base_revision": [f"The current revision is {post.revision}."]},
            current_revision=post.revision,
        )
    if len(edit_summary or "") > 300:
        raise Invalid("The edit summary is too long.", fields={"edit_summary": ["Use at most 300 characters."]})
    data = _check_post(
        post.kind,
        post.title if title is None else title,
        post.body if body is None else body,
        post.url if url is None else url,
        post.image_id,
    )
    if (data["title"], data["body"], data["url"]) == (post.title, post.body, post.url):
        return {"post": post_view(tx, post, user_id)}
    _check_rate(tx, user_id, policy, now)
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
            events.POST_EDIT_PENDING,
            "change",
            {"id": change.id, "post_id": post.id, "subwiki_id": post.subwiki_id, "editor_id": user_id},
        )
        return {"pending": True, "change_id": change.id}
    _apply_edit(tx, post, user_id, data["title"], data["body"], data["url"], edit_summary)
    tx.emit(events.POST_EDITED, "post", _post_event(post, editor_id=user_id, edit_summary=edit_summary or ""))
    return {"post": post_view(tx, post, user_id)}


def _require_reviewer(tx: Transaction, post: Post, user_id: str, policy: EditPolicy) -> None:
    _require_member(tx, post.subwiki_id, user_id, "review edits")
    if not (_is_moderator(tx, post.subwiki_id, user_id) or trust_of(tx, user_id) >= policy.trust_threshold):
        raise Forbidden("Only trusted members and moderators review held edits.")


def list_pending(tx: Transaction, user_id: str, post_id: str) -> list[dict]:
    post = _post(tx, post_id)
    _require_member(tx, post.subwiki_id, user_id, "see held edits")
    changes = tx.session.scalars(
        select(PendingChange)
        .where(PendingChange.post_id == post.id, PendingChange.status == "pending")
        .order_by(PendingChange.created_at)
    ).all()
    current = {"title": post.title, "body": post.body, "url": post.url or ""}
    return [
        {
            **PendingSchema().dump(change),
            "diff": wiki.diff(current, {"title": change.title, "body": change.body, "url": change.url or ""}),
        }
        for change in changes
    ]


def _pending(tx: Transaction, post: Post, change_id: str) -> PendingChange:
    change = tx.session.get(PendingChange, change_id)
    if change is None or change.post_id != post.id or change.status != "pending":
        raise NotFound("No such held edit.")
    return change


def accept_pending(tx: Transaction, user_id: str, post_id: str, change_id: str, policy: EditPolicy) -> dict:
    post = _post(tx, post_id, for_update=True)
    _require_reviewer(tx, post, user_id, policy)
    change = _pending(tx, post, change_id)
    if change.base_revision != post.revision:
        raise Conflict(
            "The post changed after this edit was made; it cannot be applied as it is.", current_revision=post.revision
        )
    change.status, change.decided_by = "accepted", user_id
    _apply_edit(tx, post, change.editor_id, change.title, change.body, change.url, change.edit_summary)
    tx.emit(
        events.POST_EDITED,
        "post",
        _post_event(post, editor_id=change.editor_id, edit_summary=change.edit_summary, accepted_by=user_id),
    )
    return post_view(tx, post, user_id)


def reject_pending(tx: Transaction, user_id: str, post_id: str, change_id: str, policy: EditPolicy) -> None:
    post = _post(tx, post_id)
    _require_reviewer(tx, post, user_id, policy)
    change = _pending(tx, post, change_id)
    change.status, change.decided_by = "rejected", user_id


def protect(tx: Transaction, user_id: str, post_id: str, protected: bool) -> None:
    post = _post(tx, post_id, for_update=True)
    if not _is_moderator(tx, post.subwiki_id, user_id):
        raise Forbidden("Only this subwiki's moderators protect posts.")
    post.protected = protected


def _revision(tx: Transaction, post: Post, number: int) -> PostRevision:
    return HISTORY.get(tx.session, post.id, number)


def revisions(tx: Transaction, post_id: str, limit: int | None, cursor: str | None) -> dict:
    return HISTORY.page(tx.session, _post(tx, post_id).id, limit, cursor)


def revision_diff(tx: Transaction, post_id: str, number: int) -> dict:
    return HISTORY.compare(tx.session, _post(tx, post_id).id, number)


def revert(tx: Transaction, user_id: str, post_id: str, number: int, policy: EditPolicy, now: datetime) -> dict:
    """Restore revision ``number`` exactly, as a new revision; the edits after it did not stand."""
    post = _post(tx, post_id, for_update=True)
    _require_member(tx, post.subwiki_id, user_id, "revert its posts")
    is_author, is_moderator = post.author_id == user_id, _is_moderator(tx, post.subwiki_id, user_id)
    if post.protected and not (is_author or is_moderator):
        raise Forbidden("This post is protected: only its author and moderators edit it.")
    if not (is_author or is_moderator or trust_of(tx, user_id) >= policy.trust_threshold):
        raise Forbidden("Reverting needs a trusted member, the author or a moderator.")
    old = _revision(tx, post, number)
    if number >= post.revision:
        raise Invalid("Only an earlier revision can be restored.", fields={"revision": ["Pick an earlier one."]})
    _check_rate(tx, user_id, policy, now)
    undone = tx.session.scalars(
        select(PostRevision).where(
            PostRevision.post_id == post.id, PostRevision.revision > number, PostRevision.reverted.is_(False)
        )
    ).all()
    for revision in undone:
        revision.reverted = True
    _apply_edit(tx, post, user_id, old.title, old.body, old.url, f"Reverted to revision {number}", reverted_to=number)
    tx.emit(
        events.POST_REVERTED,
        "post",
        _post_event(
            post,
            editor_id=user_id,
            reverted_to=number,
            reverted_edits=[{"revision": r.revision, "editor_id": r.editor_id} for r in undone],
        ),
    )
    return post_view(tx, post, user_id)


def remove_post(tx: Transaction, user_id: str, post_id: str, reason: str = "") -> None:
    """Soft delete by the author or a moderator; the post leaves every feed."""
    post = _post(tx, post_id, for_update=True)
    by_moderator = _is_moderator(tx, post.subwiki_id, user_id)
    if post.author_id != user_id and not by_moderator:
        raise Forbidden("Only the author or a moderator removes a post.")
    post.removed_at, post.removed_by = utcnow(), user_id
    tx.emit(
        events.POST_REMOVED,
        "post",
        _post_event(
            post, removed_by=user_id, by_moderator=by_moderator and post.author_id != user_id, reason=reason[:500]
        ),
    )


# --- comments ----------------------------------------------------------------------


def _comment(tx: Transaction, comment_id: str, for_update: bool = False) -> Comment:
    query = select(Comment).where(Comment.id == comment_id)
    if for_update:
        query = query.with_for_update()
    comment = tx.session.scalar(query)
    if comment is None or comment.deleted_at is not None:
        raise NotFound("No such comment.")
    return comment


def _check_comment(body: str) -> str:
    body = body or ""
    if not body.strip():
        raise Invalid("Write something.", fields={"body": ["Write something."]})
    if len(body) > COMMENT_LIMIT:
        raise Invalid("The comment is too long.", fields={"body": [f"Use at most {COMMENT_LIMIT} characters."]})
    return body


def comment_view(comment: Comment) -> dict:
    data = COMMENT.dump(
        {
            **{
                c: getattr(comment, c)
                for c in (
                    "id",
                    "post_id",
                    "parent_id",
                    "author_id",
                    "body_html",
                    "revision",
                    "up_count",
                    "down_count",
                    "created_at",
                )
            },
            "deleted": comment.deleted_at is not None,
        }
    )
    if comment.deleted_at is not None:
        data.update(body_html="", author_id=None)
    return data


def create_comment(tx: Transaction, user_id: str, post_id: str, body: str, parent_id: str | None = None) -> dict:
    post = _post(tx, post_id, for_update=True)
    _require_member(tx, post.subwiki_id, user_id, "comment")
    body = _check_comment(body)
    if parent_id is not None:
        parent = tx.session.get(Comment, parent_id)
        if parent is None or parent.post_id != post.id:
            raise Invalid("Reply to a comment on this post.", fields={"parent_id": ["Not a comment on this post."]})
    comment = Comment(
        id=uuid.uuid4().hex,
        post_id=post.id,
        parent_id=parent_id,
        author_id=user_id,
        body=body,
        body_html=markup.render(body),
        revision=1,
        up_count=0,
        down_count=0,
    )
    tx.session.add(comment)
    post.comment_count += 1
    tx.session.flush()
    tx.session.add(CommentRevision(comment_id=comment.id, revision=1, body=body))
    tx.emit(
        events.COMMENT_CREATED,
        "comment",
        {
            "id": comment.id,
            "post_id": post.id,
            "subwiki_id": post.subwiki_id,
            "author_id": user_id,
            "parent_id": parent_id,
            "length": len(body),
            "post_author_id": post.author_id,
        },
    )
    return comment_view(comment)


def list_comments(tx: Transaction, post_id: str, sort: str = "new") -> list[dict]:
    """The whole thread as a tree; removed comments keep their place, emptied."""
    post = _post(tx, post_id)
    comments = tx.session.scalars(select(Comment).where(Comment.post_id == post.id)).all()
    if sort == "quality":
        ordered = sorted(comments, key=lambda c: (c.up_count - c.down_count, c.created_at), reverse=True)
    else:
        ordered = sorted(comments, key=lambda c: c.created_at, reverse=True)
    nodes = {c.id: {**comment_view(c), "children": []} for c in ordered}
    roots = []
    for comment in ordered:
        parent = nodes.get(comment.parent_id) if comment.parent_id else None
        (parent["children"] if parent else roots).append(nodes[comment.id])
    return roots


def edit_comment(tx: Transaction, user_id: str, comment_id: str, body: str) -> dict:
    comment = _comment(tx, comment_id, for_update=True)
    if comment.author_id != user_id:
        raise Forbidden("Only its author edits a comment.")
    body = _check_comment(body)
    if body != comment.body:
        comment.body, comment.body_html = body, markup.render(body)
        comment.revision += 1
        tx.session.add(CommentRevision(comment_id=comment.id, revision=comment.revision, body=body))
        tx.session.flush()
        tx.emit(
            events.COMMENT_EDITED,
            "comment",
            {"id": comment.id, "post_id": comment.post_id, "author_id": user_id, "length": len(body)},
        )
    return comment_view(comment)


def remove_comment(tx: Transaction, user_id: str, comment_id: str) -> None:
    comment = _comment(tx, comment_id, for_update=True)
    post = _post(tx, comment.post_id, for_update=True, include_removed=True)
    by_moderator = _is_moderator(tx, post.subwiki_id, user_id)
    if comment.author_id != user_id and not by_moderator:
        raise Forbidden("Only its author or a moderator removes a comment.")
    comment.deleted_at, comment.deleted_by = utcnow(), user_id
    post.comment_count -= 1
    tx.emit(
        events.COMMENT_REMOVED,
        "comment",
        {
            "id": comment.id,
            "post_id": post.id,
            "subwiki_id": post.subwiki_id,
            "author_id": comment.author_id,
            "removed_by": user_id,
            "by_moderator": by_moderator and comment.author_id != user_id,
        },
    )


# --- votes -------------------------------------------------------------------------


def vote(tx: Transaction, user_id: str, target_type: str, target_id: str, value: int | None) -> dict:
    """Cast (+1/-1), change or remove (None) the caller's one vote; returns the score."""
    if value not in (1, -1, None):
        raise Invalid("A vote is +1 or -1.", fields={"value": ["Use 1 or -1."]})
    target = _post(tx, target_id, for_update=True) if target_type == "post" else _comment(tx, target_id, True)
    known = tx.session.execute(select(KNOWN_USERS.c.id).where(KNOWN_USERS.c.id == user_id)).first()
    if known is None:
        raise NotFound("No such user.")
    key = (target_type, target_id, user_id)
    existing = tx.session.get(Vote, key)
    previous = existing.value if existing else None
    if previous == value:
        return {"up": target.up_count, "down": target.down_count, "my_vote": value or 0}
    for old, new, column in ((previous, value, "up_count"), (previous, value, "down_count")):
        sign = 1 if column == "up_count" else -1
        setattr(target, column, getattr(target, column) - (old == sign) + (new == sign))
    if value is None:
        tx.session.delete(existing)
    elif existing is None:
        tx.session.add(Vote(target_type=target_type, target_id=target_id, voter_id=user_id, value=value))
    else:
        existing.value = value
    author_id = target.author_id
    payload = {
        "target_type": target_type,
        "target_id": target_id,
        "voter_id": user_id,
        "value": value,
        "previous": previous,
        "target_author_id": author_id,
    }
    if target_type == "post":
        payload["subwiki_id"] = target.subwiki_id
    tx.emit(events.VOTE_REMOVED if value is None else events.VOTE_CAST, "vote", payload)
    return {"up": target.up_count, "down": target.down_count, "my_vote": value or 0}


# --- reports -----------------------------------------------------------------------


def file_report(tx: Transaction, user_id: str, target_type: str, target_id: str, reason: str) -> dict:
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 1000:
        raise Invalid("Say what is wrong.", fields={"reason": ["Use 1 to 1000 characters."]})
    if target_type == "post":
        post = _post(tx, target_id)
        subwiki_id, author_id = post.subwiki_id, post.author_id
    else:
        comment = _comment(tx, target_id)
        post = _post(tx, comment.post_id)
        subwiki_id, author_id = post.subwiki_id, comment.author_id
    report = Report(
        id=uuid.uuid4().hex,
        subwiki_id=subwiki_id,
        target_type=target_type,
        target_id=target_id,
        target_author_id=author_id,
        reporter_id=user_id,
        reason=reason,
        status="open",
    )
    tx.session.add(report)
    tx.session.flush()
    tx.emit(
        events.REPORT_FILED,
        "report",
        {"id": report.id, "subwiki_id": subwiki_id, "target_type": target_type, "target_id": target_id},
    )
    return {"id": report.id}


def list_reports(tx: Transaction, user_id: str, slug: str, limit: int | None, cursor: str | None) -> dict:
    subwiki_id = _subwiki_id(tx, slug, user_id)
    if not _is_moderator(tx, subwiki_id, user_id):
        raise Forbidden("Only this subwiki's moderators see its reports.")
    size = pagination.limit(limit)
    query = select(Report).where(Report.subwiki_id == subwiki_id, Report.status == "open")
    after = pagination.decode(cursor, (datetime, str))
    if after is not None:
        query = query.where((Report.created_at > after[0]) | ((Report.created_at == after[0]) & (Report.id > after[1])))
    rows = tx.session.scalars(query.order_by(Report.created_at, Report.id).limit(size + 1)).all()
    result = pagination.page(list(rows), size, lambda row: (row.created_at, row.id))
    result["items"] = ReportSchema(many=True).dump(result["items"])
    return result


def resolve_report(tx: Transaction, user_id: str, report_id: str, action: str) -> dict:
    if action not in ("uphold", "dismiss"):
        raise Invalid("Uphold or dismiss.", fields={"action": ["Use uphold or dismiss."]})
    report = tx.session.get(Report, report_id)
    if report is None:
        raise NotFound("No such report.")
    if not _is_moderator(tx, report.subwiki_id, user_id):
        raise Forbidden("Only this subwiki's moderators resolve its reports.")
    if report.status != "open":
        raise Conflict("This report was resolved already.")
    report.status, report.action, report.resolved_by = "resolved", action, user_id
    if action == "uphold":
        if report.target_type == "post":
            post = tx.session.get(Post, report.target_id)
            if post is not None and post.removed_at is None:
                remove_post(tx, user_id, post.id, f"Report upheld: {report.reason}")
        else:
            comment = tx.session.get(Comment, report.target_id)
            if comment is not None and comment.deleted_at is None:
                remove_comment(tx, user_id, comment.id)
        tx.session.execute(
            update(Report)
            .where(
                Report.target_type == report.target_type, Report.target_id == report.target_id, Report.status == "open"
            )
            .values(status="resolved", action="duplicate", resolved_by=user_id)
        )
    tx.emit(
        events.REPORT_RESOLVED,
        "report",
        {
            "id": report.id,
            "subwiki_id": report.subwiki_id,
            "action": action,
            "target_type": report.target_type,
            "target_id": report.target_id,
            "target_author_id": report.target_author_id,
            "resolved_by": user_id,
        },
    )
    return {"id": report.id, "status": report.status, "action": action}


# --- uploads -----------------------------------------------------------------------


def save_upload(tx: Transaction, storage, user_id: str, data: bytes) -> dict:
    picture = images.reencode(data)
    upload = Upload(
        id=uuid.uuid4().hex,
        owner_id=user_id,
        content_type=picture.content_type,
        width=picture.width,
        height=picture.height,
        size=len(picture.data),
    )
    upload.filename = f"{upload.id}.{picture.extension}"
    storage.save(upload.filename, picture.data)
    tx.session.add(upload)
    return {
        "image_id": upload.id,
        "filename": upload.filename,
        "content_type": upload.content_type,
        "width": upload.width,
        "height": upload.height,
    }


# --- facts for rebuilding other services' read models -------------------------------

FACT_KINDS = ("posts", "votes", "comments", "edits", "upheld_reports")


def list_facts(tx: Transaction, kind: str, after: str | None, limit: int) -> dict:
    """One page of one kind of fact, in key order, for a service rebuilding its copy."""
    limit = max(1, min(1000, int(limit)))
    if kind == "posts":
        query = select(Post, Upload.filename).outerjoin(Upload, Upload.id == Post.image_id).order_by(Post.id)
        query = query.limit(limit)
        rows = tx.session.execute(query.where(Post.id > after) if after else query).all()
        items = [
            {**POST_EVENT.dump(r.Post), "image_file": r.filename, "removed": r.Post.removed_at is not None}
            for r in rows
        ]
        keys = [r.Post.id for r in rows]
    elif kind == "votes":
        key = Vote.target_id + ":" + Vote.voter_id
        query = select(Vote, key.label("k")).where(Vote.target_type == "post").order_by(key).limit(limit)
        rows = tx.session.execute(query.where(key > after) if after else query).all()
        items = [
            {"target_type": "post", "target_id": r.Vote.target_id, "voter_id": r.Vote.voter_id, "value": r.Vote.value}
            for r in rows
        ]
        keys = [r.k for r in rows]
    elif kind == "comments":
        query = select(Comment).order_by(Comment.id).limit(limit)
        rows = tx.session.scalars(query.where(Comment.id > after) if after else query).all()
        items = [
            {
                "id": c.id,
                "post_id": c.post_id,
                "author_id": c.author_id,
                "length": len(c.body),
                "removed": c.deleted_at is not None,
            }
            for c in rows
        ]
        keys = [c.id for c in rows]
    elif kind == "edits":
        key = PostRevision.post_id + ":" + PostRevision.editor_id
        query = (
            select(key.label("k"), PostRevision.post_id, PostRevision.editor_id, func.count().label("standing"))
            .join(Post, Post.id == PostRevision.post_id)
            .where(
                PostRevision.revision > 1,
                PostRevision.reverted.is_(False),
                PostRevision.reverted_to.is_(None),
                PostRevision.editor_id != Post.author_id,
            )
            .group_by(PostRevision.post_id, PostRevision.editor_id)
            .order_by(key)
            .limit(limit)
        )
        rows = tx.session.execute(query.having(key > after) if after else query).all()
        items = [{"post_id": r.post_id, "editor_id": r.editor_id, "standing": r.standing} for r in rows]
        keys = [r.k for r in rows]
    elif kind == "upheld_reports":
        query = (
            select(Report.target_id, func.count().label("count"))
            .where(Report.target_type == "post", Report.action == "uphold", Report.resolved_by.is_not(None))
            .group_by(Report.target_id)
            .order_by(Report.target_id)
            .limit(limit)
        )
        rows = tx.session.execute(query.having(Report.target_id > after) if after else query).all()
        items = [{"post_id": r.target_id, "count": r.count} for r in rows]
        keys = [r.target_id for r in rows]
    else:
        raise Invalid("Unknown kind of fact.", fields={"kind": [f"Use one of {', '.join(FACT_KINDS)}."]})
    return {"items": items, "next": keys[-1] if len(keys) == limit else None}
