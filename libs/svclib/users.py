"""Each service's own copy of who exists, kept from identity's events.

Services reference people by id only; this table lets a service know an id is
a registered, not erased, account without asking identity on every request.
"""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table, select, update

from svclib.db import Transaction, UTCDateTime, isoformat, utcnow
from svclib.events import event_handler
from svclib.rpc import rpc


def known_users_table(metadata: MetaData) -> Table:
    return Table(
        "known_users",
        metadata,
        Column("id", String(32), primary_key=True),
        Column("username", String(64), nullable=False),
        Column("registered_at", UTCDateTime(), nullable=False),
        Column("erased_at", UTCDateTime(), nullable=True),
    )


def create_known_users_table(bind) -> None:
    metadata = MetaData()
    known_users_table(metadata)
    metadata.create_all(bind)


def record_registered(tx: Transaction, table: Table, user: dict) -> None:
    if tx.session.execute(select(table.c.id).where(table.c.id == user["id"])).first() is None:
        tx.session.execute(table.insert().values(id=user["id"], username=user["username"], registered_at=utcnow()))


def record_erased(tx: Transaction, table: Table, user_id: str) -> None:
    tx.session.execute(
        update(table).where(table.c.id == user_id).values(username=f"deleted_{user_id[:20]}", erased_at=utcnow())
    )


def export_row(tx: Transaction, table: Table, user_id: str) -> dict | None:
    row = tx.session.execute(select(table).where(table.c.id == user_id)).first()
    if row is None:
        return None
    return {"id": row.id, "username": row.username, "registered_at": isoformat(row.registered_at)}


class UserDirectory:
    """Entrypoints every service has: a health check and its copy of the accounts.

    A service using it sets ``users_table`` and has a ``db`` dependency.
    """

    users_table: Table

    @rpc
    def health(self) -> dict:
        return {"service": self.name, "ok": True}

    @event_handler("identity", "user_registered")
    def handle_user_registered(self, payload: dict) -> None:
        self.db.apply_once(payload, "handle_user_registered", record_registered, self.users_table, payload["user"])

    @event_handler("identity", "user_erased")
    def handle_user_erased(self, payload: dict) -> None:
        self.db.apply_once(payload, "handle_user_erased", record_erased, self.users_table, payload["user"]["id"])

    @rpc
    def export_user(self, user_id: str) -> dict:
        with self.db.reading() as tx:
            return {"account": export_row(tx, self.users_table, user_id)}
