"""CommunitiesService: thin entrypoints over this service's use cases."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from communities.models import KNOWN_USERS, Base, Membership
from svclib import users
from svclib.db import Database
from svclib.rpc import rpc

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class CommunitiesService(users.UserDirectory):
    name = "communities"

    db = Database(Base.metadata, MIGRATIONS)
    users_table = KNOWN_USERS

    @rpc
    def list_user_subwikis(self, user_id: str) -> list[str]:
        with self.db.transaction() as tx:
            return list(
                tx.session.scalars(
                    select(Membership.subwiki_slug)
                    .where(Membership.user_id == user_id)
                    .order_by(Membership.subwiki_slug)
                )
            )
