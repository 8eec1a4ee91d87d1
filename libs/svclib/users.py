"""A service's own copy of who exists: a table and the functions that keep it.

Services reference people by id only; this table lets a service know an id is
a registered, not erased, account without asking identity on every request.
Each service declares the event handlers that call these functions, reading
the payloads of the service that announces accounts; this module knows
nothing of them.
"""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table, select, update

from svclib.db import Transaction, UTCDateTime, isoformat, utcnow


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


def record(tx: Transaction, table: Table, user_id: str, username: str) -> None:
    """Remember an account (once: a second registration of the same id changes nothing)."""
    if tx.session.execute(select(table.c.id).where(table.c.id == user_id)).first() is None:
        tx.session.execute(table.insert().values(id=user_id, username=username, registered_at=utcnow()))


def erase(tx: Transaction, table: Table, user_id: str) -> None:
    """Forget an account's name; the id stays known as erased."""
    tx.session.execute(
        update(table).where(table.c.id == user_id).values(username=f"deleted_{user_id[:20]}", erased_at=utcnow())
    )


def export(tx: Transaction, table: Table, user_id: str) -> dict | None:
    """What this service holds about an account, for the account's own export; None if unknown."""
    row = tx.session.execute(select(table).where(table.c.id == user_id)).first()
    if row is None:
        return None
    return {"id": row.id, "username": row.username, "registered_at": isoformat(row.registered_at)}
