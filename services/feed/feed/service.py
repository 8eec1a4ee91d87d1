"""FeedService: thin entrypoints over this service's use cases."""

from __future__ import annotations

from pathlib import Path

from feed.models import KNOWN_USERS, Base
from svclib import users
from svclib.db import Database

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class FeedService(users.UserDirectory):
    name = "feed"

    db = Database(Base.metadata, MIGRATIONS)
    users_table = KNOWN_USERS
