"""DonationsService: thin entrypoints over this service's use cases."""

from __future__ import annotations

from pathlib import Path

from donations.models import KNOWN_USERS, Base
from svclib import users
from svclib.db import Database

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class DonationsService(users.UserDirectory):
    name = "donations"

    db = Database(Base.metadata, MIGRATIONS)
    users_table = KNOWN_USERS
