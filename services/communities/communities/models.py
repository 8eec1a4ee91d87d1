from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from svclib.db import Timestamps, UTCDateTime, plumbing_tables, utcnow
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


class Trust(Base):
    """Each person's trust, kept from identity's user_trust_changed: how many subwikis they may start."""

    __tablename__ = "trust"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    trust: Mapped[float] = mapped_column(Float)
    # Identity's version of the value held: an older one arriving late is not applied.
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class Subwiki(Base):
    __tablename__ = "subwikis"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str | None] = mapped_column(String(32), nullable=True)  # None once erased
    member_count: Mapped[int] = mapped_column(Integer, default=0, index=True)
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class SubwikiRevision(Base):
    """Every version of a subwiki's page, kept for history, diffs and restores."""

    __tablename__ = "subwiki_revisions"
    __table_args__ = (UniqueConstraint("subwiki_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subwiki_id: Mapped[str] = mapped_column(ForeignKey("subwikis.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text)
    editor_id: Mapped[str | None] = mapped_column(String(32), nullable=True)  # None once erased
    edit_summary: Mapped[str] = mapped_column(String(300), default="")
    restored_from: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        Index("ix_memberships_user", "user_id"),
        # A subwiki's moderators in the order they are listed (communities.handlers.access.moderator_ids).
        Index(
            "ix_memberships_moderators",
            "subwiki_id",
            "created_at",
            postgresql_where=text("is_moderator IS true"),
            sqlite_where=text("is_moderator IS true"),
        ),
    )

    subwiki_id: Mapped[str] = mapped_column(ForeignKey("subwikis.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    is_moderator: Mapped[bool] = mapped_column(Boolean, default=False)


class MembershipVersion(Base):
    """How many times each membership changed: the version its events carry, kept after leaving."""

    __tablename__ = "membership_versions"

    subwiki_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class ModlogEntry(Base):
    """A public record of what moderators did, and to what."""

    __tablename__ = "modlog"
    __table_args__ = (Index("ix_modlog_subwiki_id", "subwiki_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subwiki_id: Mapped[str] = mapped_column(ForeignKey("subwikis.id", ondelete="CASCADE"))
    actor_id: Mapped[str | None] = mapped_column(String(32), nullable=True)  # None once erased
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(20))
    # None once an erased person was the target (target_type "user").
    target_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
