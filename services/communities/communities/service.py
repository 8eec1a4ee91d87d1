"""CommunitiesService: thin entrypoints over this service's use cases."""

from __future__ import annotations

from pathlib import Path

from communities.models import KNOWN_USERS, Base
from svclib import users
from svclib.db import Database

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class CommunitiesService(users.UserDirectory):
    name = "communities"

    db = Database(Base.metadata, MIGRATIONS)
    users_table = KNOWN_USERS
