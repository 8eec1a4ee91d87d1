"""The notifications' tables, in the feed's database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from feed.models import Base
from svclib.db import UTCDateTime

ID = BigInteger().with_variant(Integer(), "sqlite")  # SQLite numbers only an INTEGER primary key by itself


class Notification(Base):
    """One notification, or a group of them ("3 people replied to your post") while it is unread.

    Ids grow: a newer notification, and a group that grew, has a higher id than every one before
    (a group that grows is written again under a new id), so pages and "read up to" follow ids.
    """

    __tablename__ = "feed_notifications"
    __table_args__ = (
        Index("ix_feed_notifications_recipient", "recipient_id", "id"),
        Index("ix_feed_notifications_unread", "recipient_id", "read", "kind"),
        Index("ix_feed_notifications_group", "recipient_id", "group_key"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    recipient_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(24))
    # Notifications of one group_key merge while unread; None: never merged.
    group_key: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # Who did it, newest first, distinct (None where that person was erased); how many in all.
    actor_ids: Mapped[list] = mapped_column(JSON, default=list)
    actor_count: Mapped[int] = mapped_column(Integer, default=0)
    count: Mapped[int] = mapped_column(Integer, default=1)
    post_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    comment_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    subwiki_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # What the kind says besides: a removal's reason, a donation's amount, a badge, a report's outcome.
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    read: Mapped[bool] = mapped_column(Boolean, default=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Notified(Base):
    """What each person was notified of once and never again (a mention in one text, a follower)."""

    __tablename__ = "feed_notified"

    recipient_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(120), primary_key=True)


class Inbox(Base):
    """A person's own choices, kept across rebuilds: kinds turned off, and up to when they read.

    Its row is locked while a notification to the person is written: one after the other.
    """

    __tablename__ = "feed_notification_inboxes"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    off: Mapped[list] = mapped_column(JSON, default=list)
    read_through: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


# Kept from events and rebuilt (the inboxes are the people's own choices: kept).
READ_MODEL = (Notification, Notified)
