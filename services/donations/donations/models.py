from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from svclib.db import Timestamps, plumbing_tables
from svclib.users import known_users_table


class Base(Timestamps, DeclarativeBase):
    pass


OUTBOX, PROCESSED_EVENTS = plumbing_tables(Base.metadata)
KNOWN_USERS = known_users_table(Base.metadata)
