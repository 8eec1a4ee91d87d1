from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from identity.trust import TrustConstants
from svclib.db import Timestamps, UTCDateTime, plumbing_tables
from svclib.ratelimit import rate_limits_table


class Base(Timestamps, DeclarativeBase):
    pass


OUTBOX, PROCESSED_EVENTS = plumbing_tables(Base.metadata)
RATE_LIMITS = rate_limits_table(Base.metadata)


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(30), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    email_normalised: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    bio: Mapped[str] = mapped_column(Text, default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    trust: Mapped[float] = mapped_column(Float, default=TrustConstants.FLOOR)
    # The trust last told in user_trust_changed (None: ``trust``, told with each change before 0011), and the count
    # of those told changes: the version each user_trust_changed carries (trust_inputs.recompute_trust).
    trust_told: Mapped[float | None] = mapped_column(Float, nullable=True)
    trust_version: Mapped[int] = mapped_column(Integer, default=0)
    # Counts the changes of the profile (registration 1, then each change): the version user_registered and
    # user_updated carry (``profile_version``), so that a copy of the names keeps the newest whatever the order.
    profile_version: Mapped[int] = mapped_column(Integer, default=1)
    badges: Mapped[list] = mapped_column(JSON, default=list)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Session(Base):
    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Follow(Base):
    __tablename__ = "follows"

    follower_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    followee_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)


class Mute(Base):
    """Someone (``target_type`` "user") or a subwiki ("subwiki") whose posts a person does not want to see."""

    __tablename__ = "mutes"
    __table_args__ = (Index("ix_mutes_target", "target_type", "target_id"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    target_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The subwiki's slug (identity knows subwikis only by what communities told the caller's gateway).
    target_slug: Mapped[str | None] = mapped_column(String(40), nullable=True)


class Block(Base):
    """``blocker_id`` blocked ``blocked_id``: muted, and kept from replying to, mentioning or following them."""

    __tablename__ = "blocks"

    blocker_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    blocked_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)


class HeldUsername(Base):
    """The username of an erased account, which nobody may register until ``until``."""

    __tablename__ = "held_usernames"

    username: Mapped[str] = mapped_column(String(30), primary_key=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime())


class SubwikiMembership(Base):
    """Which subwikis a person joined: identity's copy, kept from communities' events."""

    __tablename__ = "subwiki_memberships"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    subwiki_slug: Mapped[str] = mapped_column(String(40), primary_key=True)


class TrustStats(Base):
    """The facts trust is computed from, kept from content's events."""

    __tablename__ = "trust_stats"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    edits_stood: Mapped[int] = mapped_column(Integer, default=0)
    edits_reverted: Mapped[int] = mapped_column(Integer, default=0)
    upheld_reports: Mapped[int] = mapped_column(Integer, default=0)


class TrustDue(Base):
    """A person whose trust must be computed again: written with each vote they receive, in the vote's
    transaction, and taken away when their trust is recomputed (``trust_inputs.recompute_due``), so that
    a burst of votes for one author costs one recomputation, not one each. ``created_at``: the first vote
    still waiting."""

    __tablename__ = "trust_due"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class ReceivedVote(Base):
    """An up-vote someone received, weighted by the voter's trust when it was cast."""

    __tablename__ = "received_votes"

    target_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    voter_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    weight: Mapped[float] = mapped_column(Float)


class KeyVersion(Base):
    """The newest version of one key (a vote, a membership, a follow), under which changes to it are serialised.

    For facts other services own (``vote``, ``membership``) it is the newest version applied here, so an
    older event arriving late changes nothing; for follows, which identity owns, the version it issued last.
    """

    __tablename__ = "key_versions"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
