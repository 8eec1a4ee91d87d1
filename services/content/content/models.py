from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from svclib.db import Timestamps, UTCDateTime, plumbing_tables
from svclib.idempotency import request_keys_table
from svclib.ratelimit import rate_limits_table
from svclib.users import known_users_table


class Base(Timestamps, DeclarativeBase):
    pass


OUTBOX, PROCESSED_EVENTS = plumbing_tables(Base.metadata)
KNOWN_USERS = known_users_table(Base.metadata)
# Identity announces accounts: {"user": {"id", "username", ...}}.
RATE_LIMITS = rate_limits_table(Base.metadata)
# Creating requests' Idempotency-Keys (svclib.idempotency).
REQUEST_KEYS = request_keys_table(Base.metadata)


class Member(Base):
    """Content's copy of who belongs to which subwiki, kept from communities' events."""

    __tablename__ = "members"
    # A subwiki's moderators (content.handlers.access.moderators_of).
    __table_args__ = (
        Index(
            "ix_members_moderators",
            "subwiki_id",
            "user_id",
            postgresql_where=text("is_moderator IS true"),
            sqlite_where=text("is_moderator IS true"),
        ),
    )

    subwiki_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    subwiki_slug: Mapped[str] = mapped_column(String(40), index=True)
    is_moderator: Mapped[bool] = mapped_column(Boolean, default=False)


class MemberVersion(Base):
    """The newest version of each membership applied from communities' events (kept after a leave):
    a join, leave or change of moderators that arrives late, or again, changes nothing."""

    __tablename__ = "member_versions"

    subwiki_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class PersonName(Base):
    """Each person's names as listed posts show them (username and display name), kept from identity's
    ``user_registered`` and ``user_updated`` (the newest ``version`` stays); gone with the account
    (``user_erased``). Search answers its posts' authors from it, so that a page of results needs no other
    service."""

    __tablename__ = "person_names"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100))
    # Identity's profile_version of the names held (0: held from an event without one).
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class SubwikiName(Base):
    """Each subwiki's name, kept from communities' ``subwiki_created`` and ``subwiki_edited`` (the newest
    ``revision`` stays): what listed posts show beside their subwiki's slug."""

    __tablename__ = "subwiki_names"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    slug: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    revision: Mapped[int] = mapped_column(Integer, default=1)


class Trust(Base):
    """Each person's trust (identity's floor to 1.0), kept from identity's events."""

    __tablename__ = "trust"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    trust: Mapped[float] = mapped_column(Float)
    # Identity's version of the value held (a sequence per person): an older one is not applied.
    version: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # When identity computed the value held: for events without a version, an older change arriving late is not applied.
    as_of: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Block(Base):
    """Who blocked whom, kept from identity's events: a blocked person cannot reply to or mention the blocker.

    The row stays after an unblock (``active`` false), with the version of the newest event applied."""

    __tablename__ = "blocks"

    blocker_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    blocked_id: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class Upload(Base):
    """A picture someone uploaded; the same bytes from the same person are one upload (``content_hash``)."""

    __tablename__ = "uploads"
    __table_args__ = (UniqueConstraint("owner_id", "content_hash", name="uq_uploads_owner_content"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # None once its person's account is erased.
    owner_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    filename: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_subwiki_created", "subwiki_id", "created_at"),
        Index("ix_posts_author_created", "author_id", "created_at"),
        Index("ix_posts_created", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    subwiki_id: Mapped[str] = mapped_column(String(32))
    subwiki_slug: Mapped[str] = mapped_column(String(40))
    # None once its person's account is erased.
    author_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    image_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    up_count: Mapped[int] = mapped_column(Integer, default=0)
    down_count: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    removed_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The language its text is written in (LANGUAGES): PostgreSQL indexes it with that language's stemming.
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")
    # The quality the feed computes for it (trust-weighted votes, discussion, edits), from the feed's
    # ``post_quality_changed`` of ``quality_version``: search blends it into relevance and sorts by it.
    quality: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    quality_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


# A post's language (``Post.language``) and the text search configuration of PostgreSQL that stems it.
LANGUAGES = {"en": "english", "fr": "french"}


class PostRevision(Base):
    """Every version of a post; ``reverted`` marks an edit that did not stand."""

    __tablename__ = "post_revisions"
    __table_args__ = (
        UniqueConstraint("post_id", "revision"),
        Index("ix_post_revisions_editor", "editor_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    # None once its person's account is erased.
    editor_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    edit_summary: Mapped[str] = mapped_column(String(300), default="")
    reverted_to: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reverted: Mapped[bool] = mapped_column(Boolean, default=False)


class PendingChange(Base):
    """An edit by a low-trust member, held until a trusted member or moderator decides."""

    __tablename__ = "pending_changes"
    __table_args__ = (Index("ix_pending_post_status", "post_id", "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    base_revision: Mapped[int] = mapped_column(Integer)
    # None once its person's account is erased.
    editor_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    edit_summary: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(32), nullable=True)


class FirstPostApproval(Base):
    """A subwiki whose moderators approve each new member's first post before anyone else sees it."""

    __tablename__ = "first_post_approvals"

    subwiki_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    set_by: Mapped[str | None] = mapped_column(String(32), nullable=True)


HELD_WAITING = "waiting"


class HeldPost(Base):
    """A new member's post waiting for a moderator's approval: in no feed, search or page until approved
    (then it becomes a post), seen only by its author and the subwiki's moderators. Decided, it stays
    (``approved`` or ``rejected``, by whom and when): its author's export and the notifications' rebuild
    read it; it goes with its author."""

    __tablename__ = "held_posts"
    __table_args__ = (Index("ix_held_posts_subwiki", "subwiki_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    subwiki_id: Mapped[str] = mapped_column(String(32))
    subwiki_slug: Mapped[str] = mapped_column(String(40))
    author_id: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    image_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")
    status: Mapped[str] = mapped_column(String(10), default=HELD_WAITING, server_default=HELD_WAITING)
    decided_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


TOP_LEVEL = {"postgresql_where": text("parent_id IS NULL"), "sqlite_where": text("parent_id IS NULL")}


class Comment(Base):
    """A comment or a reply; ``root_id`` is the top-level comment of its thread (its own id at the top),
    ``depth`` how many replies down it sits (0 at the top)."""

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_post", "post_id", "created_at"),
        # A thread's replies ranked level by level from the index alone (migration 0017).
        Index("ix_comments_thread", "root_id", "depth", "created_at", "id", "up_count", "down_count"),
        Index("ix_comments_author_created", "author_id", "created_at"),
        # A page of the discussion: top-level comments in each sort's order (migration 0017).
        Index("ix_comments_top_new", "post_id", "created_at", "id", **TOP_LEVEL),
        Index("ix_comments_top_quality", "post_id", text("(up_count - down_count)"), "created_at", "id", **TOP_LEVEL),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    parent_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    root_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    # None once its person's account is erased.
    author_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    up_count: Mapped[int] = mapped_column(Integer, default=0)
    down_count: Mapped[int] = mapped_column(Integer, default=0)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    deleted_by: Mapped[str | None] = mapped_column(String(32), nullable=True)


class CommentRevision(Base):
    __tablename__ = "comment_revisions"

    comment_id: Mapped[str] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[str] = mapped_column(Text)


class Vote(Base):
    __tablename__ = "votes"

    target_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    voter_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class VoteVersion(Base):
    """How many times each person's vote on a target changed: the version its vote events carry.

    Kept when the vote is removed, so consumers can tell a late event from the latest one.
    """

    __tablename__ = "vote_versions"

    target_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    voter_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class Report(Base):
    """A member's report; each person has at most one open report per post or comment."""

    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_subwiki_status", "subwiki_id", "status", "created_at"),
        Index(
            "ux_reports_open_per_reporter",
            "reporter_id",
            "target_type",
            "target_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    subwiki_id: Mapped[str] = mapped_column(String(32))
    target_type: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[str] = mapped_column(String(32))
    # None once its person's account is erased.
    target_author_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # None once its person's account is erased.
    reporter_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(10), default="open")
    resolved_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    action: Mapped[str | None] = mapped_column(String(10), nullable=True)
