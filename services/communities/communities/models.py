from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from svclib.db import plumbing_tables, utcnow
from svclib.users import known_users_table


class Base(DeclarativeBase):
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


OUTBOX, PROCESSED_EVENTS = plumbing_tables(Base.metadata)
KNOWN_USERS = known_users_table(Base.metadata)
