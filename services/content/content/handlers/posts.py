"""Posts: what each kind must carry, creating, showing, protecting and removing them."""

from __future__ import annotations

import uuid
from functools import cache
from urllib.parse import urlsplit

from sqlalchemy import String, bindparam, func, literal_column, select

from content import events
from content.exceptions import Forbidden, Invalid, NotFound
from content.handlers import access, idempotency, mentions, spam
from content.handlers.access import MembershipLookup
from content.models import (
    HELD_WAITING,
    LANGUAGES,
    FirstPostApproval,
    HeldPost,
    Member,
    PendingChange,
    Post,
    PostRevision,
    Upload,
    Vote,
)
from content.schemas import HeldPostSchema, PostSchema
from svclib.db import Transaction, utcnow

KINDS = ("link", "article", "image", "cartoon", "text")
PICTURE_KINDS = ("image", "cartoon")
BODY_LIMITS = {"article": 100_000, "text": 5_000, "link": 5_000, "image": 5_000, "cartoon": 5_000}

POST = PostSchema()
HELD = HeldPostSchema()


def _check_url(url: str | None, fields: dict) -> str | None:
    if url is None or url == "":
        return None
    url = url.strip()
    parts = urlsplit(url)
    if len(url) > 2048 or parts.scheme not in ("http", "https") or not parts.hostname:
        fields["url"] = ["Use an http:// or https:// address."]
    return url


def check_language(language: str | None) -> str:
    """A post's language: one of LANGUAGES' codes, English when not given."""
    if language is None:
        return "en"
    if language not in LANGUAGES:
        raise Invalid("Unknown language.", fields={"language": [f"Use one of {', '.join(LANGUAGES)}."]})
    return language


def check_post(kind: str, title: str, body: str, url: str | None, image_id: str | None) -> dict:
    """The post's title, body and url, cleaned; Invalid naming every field that is not."""
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
    if kind in PICTURE_KINDS and not image_id:
        fields["image_id"] = ["Upload the picture first."]
    if fields:
        raise Invalid("Some fields are not valid.", fields=fields)
    return {"title": title, "body": body, "url": url}


def post_view(tx: Transaction, lookup: MembershipLookup, post: Post, viewer_id: str | None = None) -> dict:
    data = POST.dump(post)
    data["quality"] = post.quality  # the feed's, kept in the post's row (not in the events' PostSchema)
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
        data["can_moderate"] = access.is_moderator(tx, lookup, post.subwiki_id, viewer_id)
    return data


def create_post(
    tx: Transaction,
    lookup: MembershipLookup,
    user_id: str,
    slug: str,
    kind: str,
    title: str,
    body: str = "",
    url: str | None = None,
    image_id: str | None = None,
    idempotency_key: str | None = None,
    language: str | None = None,
) -> dict:
    """A new post (in ``language``, English when not given); with an ``idempotency_key`` the same request
    again answers with the post it made. A new
    member's first post in a subwiki whose moderators approve first posts is held: ``{"pending": True,
    "held_post": ...}`` (approved, it becomes the post of the same id)."""
    request = {"slug": slug, "kind": kind, "title": title, "body": body, "url": url, "image_id": image_id}
    if language is not None:
        request["language"] = language
    made = idempotency.claim(tx, user_id, idempotency_key, "create_post", request)
    if made is not None:
        waiting = tx.session.get(HeldPost, made)
        if waiting is not None and waiting.status == HELD_WAITING:
            return held_answer(tx, waiting)
        return get_post(tx, made, user_id)
    subwiki_id = access.subwiki_id(tx, lookup, slug, user_id)
    member = access.require_member(tx, lookup, subwiki_id, user_id, "post here")
    data = check_post(kind, title, body, url, image_id)
    data["language"] = check_language(language)
    spam.check_post(tx, user_id, kind, data["title"], data["body"], data["url"])
    image_file = None
    if kind in PICTURE_KINDS:
        # Held until this commits, so the sweep of unused uploads cannot take it meanwhile.
        upload = tx.session.scalar(select(Upload).where(Upload.id == image_id).with_for_update())
        if upload is None or upload.owner_id != user_id:
            raise Invalid("Unknown picture.", fields={"image_id": ["Upload the picture first."]})
        image_file = upload.filename
    elif image_id:
        raise Invalid("Only image and cartoon posts carry a picture.", fields={"image_id": ["Not for this kind."]})
    post_id = uuid.uuid4().hex
    if must_hold(tx, subwiki_id, user_id, member.is_moderator):
        waiting = HeldPost(
            id=post_id,
            subwiki_id=subwiki_id,
            subwiki_slug=member.subwiki_slug,
            author_id=user_id,
            kind=kind,
            image_id=image_id if kind in PICTURE_KINDS else None,
            **data,
        )
        tx.session.add(waiting)
        tx.session.flush()
        tx.emit(events.PostHeld.of(waiting, reviewer_ids=access.moderator_ids(tx, subwiki_id)))
        idempotency.settle(tx, user_id, idempotency_key, post_id)
        return held_answer(tx, waiting)
    post = publish(tx, post_id, subwiki_id, member.subwiki_slug, user_id, kind, data, image_id, image_file)
    idempotency.settle(tx, user_id, idempotency_key, post.id)
    return post_view(tx, lookup, post, user_id)


def must_hold(tx: Transaction, subwiki_id: str, user_id: str, is_moderator: bool) -> bool:
    """Whether this post waits for a moderator: the subwiki approves first posts, the author moderates
    none of it and has no post shown there yet."""
    if is_moderator or tx.session.get(FirstPostApproval, subwiki_id) is None:
        return False
    shown = select(Post.id).where(Post.subwiki_id == subwiki_id, Post.author_id == user_id, Post.removed_at.is_(None))
    return tx.session.scalar(shown.limit(1)) is None


def held_answer(tx: Transaction, waiting: HeldPost) -> dict:
    return {"pending": True, "held_post": held_views(tx, [waiting])[0]}


def held_views(tx: Transaction, held: list[HeldPost]) -> list[dict]:
    """Held posts as their author and the moderators see them, each with its picture's file (None without
    one): the pictures of a page in one statement."""
    pictures = {row.image_id for row in held if row.image_id}
    files = {}
    if pictures:
        files = {
            row.id: row.filename
            for row in tx.session.execute(select(Upload.id, Upload.filename).where(Upload.id.in_(pictures)))
        }
    return [{**HELD.dump(row), "image_file": files.get(row.image_id)} for row in held]


def publish(
    tx: Transaction,
    post_id: str,
    subwiki_id: str,
    subwiki_slug: str,
    author_id: str,
    kind: str,
    data: dict,
    image_id: str | None,
    image_file: str | None,
) -> Post:
    """Make the post, its first revision and ``post_created``: from here it is in the feeds."""
    body_html, mentioned = mentions.render(tx, data["body"], author_id)
    post = Post(
        id=post_id,
        subwiki_id=subwiki_id,
        subwiki_slug=subwiki_slug,
        author_id=author_id,
        kind=kind,
        title=data["title"],
        body=data["body"],
        body_html=body_html,
        url=data["url"],
        image_id=image_id if kind in PICTURE_KINDS else None,
        language=data.get("language", "en"),
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
            editor_id=author_id,
            edit_summary="Posted",
        )
    )
    tx.emit(events.PostCreated.of(post, image_file=image_file, mentions=mentioned))
    return post


# What a post's page shows of it, as ``post_view`` gives it, read in one statement (``_page_statement``).
SHOWN = ("id", "kind", "title", "body", "body_html", "url", "image_id", "author_id", "subwiki_id")
SHOWN_TOO = ("revision", "protected", "comment_count", "language")


@cache
def _page_statement(viewer: bool):
    """A post with what its page shows beside it, one statement built once per shape: its picture's file, how
    many people other than its author edited it, and for a ``:viewer_id`` their vote, their membership of its
    subwiki (``moderator``: None when content's copy has no row) and how many of its edits are held."""
    editors = (
        select(func.count(func.distinct(PostRevision.editor_id)))
        .where(PostRevision.post_id == Post.id, PostRevision.editor_id != Post.author_id)
        .scalar_subquery()
    )
    picture = select(Upload.filename).where(Upload.id == Post.image_id).scalar_subquery()
    columns = [
        *(getattr(Post, c) for c in (*SHOWN, *SHOWN_TOO)),
        Post.subwiki_slug,
        Post.created_at,
        Post.updated_at,
        Post.up_count,
        Post.down_count,
        Post.quality,
        Post.removed_at,
        picture.label("image_file"),
        editors.label("edited_by_count"),
    ]
    if viewer:
        viewer_id = bindparam("viewer_id")
        # The kinds written in the SQL, not bound: the statement takes the post's and the reader's ids alone and
        # runs on psycopg (svclib.db.driver).
        vote = select(Vote.value).where(
            Vote.target_type == literal_column("'post'", String), Vote.target_id == Post.id, Vote.voter_id == viewer_id
        )
        membership = select(Member.is_moderator).where(
            Member.subwiki_id == Post.subwiki_id, Member.user_id == viewer_id
        )
        pending = literal_column("'pending'", String)
        held = select(func.count()).where(PendingChange.post_id == Post.id, PendingChange.status == pending)
        columns += [
            vote.scalar_subquery().label("my_vote"),
            membership.scalar_subquery().label("moderator"),
            held.scalar_subquery().label("held_edits"),
        ]
    return select(*columns).where(Post.id == bindparam("post_id"))


def get_post(tx: Transaction, post_id: str, viewer_id: str | None = None) -> dict:
    """The post as ``post_view`` shows it, read in one statement; for a member signed in, ``held_edits`` too: how
    many of its edits wait for review (``list_pending`` has them).

    Its numbers are content's own: its votes and comments, counted in the transaction of each vote and comment,
    and the feed's quality kept in its row (``replicas.record_quality``), so the post's page shows a member's
    vote or comment the moment it commits, with no call to the feed.

    The reader's membership (``can_moderate``, whether ``held_edits`` are theirs to see) is content's copy alone:
    most readers of a post are not members of its subwiki, and asking communities about each of them made
    every such page wait on a second service. A join or an appointment made a moment ago shows once its event
    is applied (moments later); what a member may do is still confirmed with communities when they act."""
    bound = {"post_id": post_id, "viewer_id": viewer_id} if viewer_id else {"post_id": post_id}
    row = tx.row(_page_statement(bool(viewer_id)), bound)
    if row is None or row.removed_at is not None:
        raise NotFound("No such post.")
    data = {key: getattr(row, key) for key in (*SHOWN, *SHOWN_TOO, "image_file", "edited_by_count")}
    data.update(
        subwiki=row.subwiki_slug,
        created_at=row.created_at.isoformat(),
        updated_at=row.updated_at.isoformat(),
        up=row.up_count,
        down=row.down_count,
        quality=row.quality,
    )
    if viewer_id:
        data["my_vote"] = row.my_vote or 0
        member = row.moderator is not None
        data["can_moderate"] = bool(row.moderator)
        data["held_edits"] = row.held_edits if member else 0
    return data


def set_protection(tx: Transaction, lookup: MembershipLookup, user_id: str, post_id: str, protected: bool) -> None:
    post = access.post(tx, post_id, for_update=True)
    if not access.is_moderator(tx, lookup, post.subwiki_id, user_id):
        raise Forbidden("Only this subwiki's moderators protect posts.")
    post.protected = protected


def remove_post(tx: Transaction, lookup: MembershipLookup, user_id: str, post_id: str, reason: str = "") -> None:
    """Soft delete by the author or a moderator; the post leaves every feed."""
    post = access.post(tx, post_id, for_update=True)
    by_moderator = access.is_moderator(tx, lookup, post.subwiki_id, user_id)
    if post.author_id != user_id and not by_moderator:
        raise Forbidden("Only the author or a moderator removes a post.")
    post.removed_at, post.removed_by = utcnow(), user_id
    tx.emit(
        events.PostRemoved.of(
            post, removed_by=user_id, by_moderator=by_moderator and post.author_id != user_id, reason=reason[:500]
        )
    )
