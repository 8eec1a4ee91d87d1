"""A service's own copy of who exists: a table and the functions that keep it.

Services reference people by id only; this table lets a service know an id is
a registered, not erased, account without asking identity on every request.
Each service names the events that announce accounts (``Announcements``) and
takes its two event handlers from ``kept_from``; this module knows no service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

from sqlalchemy import Column, MetaData, String, Table, Text, cast, delete, select, update

from svclib.db import Transaction, UTCDateTime, isoformat, utcnow
from svclib.events import event_handler


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
    """Forget an account: its row goes, id and name with it (an unknown id is no live account)."""
    tx.session.execute(delete(table).where(table.c.id == user_id))


def forget(
    tx: Transaction,
    user_id: str,
    *,
    anonymise: Iterable[Column] = (),
    delete_where: Iterable[Column] = (),
    keys: Iterable[Column] = (),
    outbox: Table | None = None,
    event_id: str | None = None,
) -> None:
    """Remove an erased account's id from a service's database.

    ``anonymise``: columns that keep their row but lose the id (set to NULL); ``delete_where``:
    rows whose column holds the id go; ``keys``: rows whose composite text key contains the id
    go (versions, rate limits); ``outbox``: events already published that named the id go (and
    ``event_id``, the event that announced the erasure, which was published since it arrived).
    Events not yet published stay: consumers need them.
    """
    for column in anonymise:
        tx.session.execute(update(column.table).where(column == user_id).values({column.name: None}))
    for column in delete_where:
        tx.session.execute(delete(column.table).where(column == user_id))
    for column in keys:
        tx.session.execute(delete(column.table).where(column.contains(user_id, autoescape=True)))
    if outbox is not None:
        named = cast(outbox.c.payload, Text).contains(user_id, autoescape=True)
        published = outbox.c.published_at.is_not(None)
        if event_id:
            published = published | (outbox.c.event_id == event_id)
        tx.session.execute(delete(outbox).where(named, published))


def export(tx: Transaction, table: Table, user_id: str) -> dict | None:
    """What this service holds about an account, for the account's own export; None if unknown."""
    row = tx.session.execute(select(table).where(table.c.id == user_id)).first()
    if row is None:
        return None
    return {"id": row.id, "username": row.username, "registered_at": isoformat(row.registered_at)}


class Announcements(NamedTuple):
    """The events that announce accounts: their producer, the two events' types, and the entity
    they carry (the declared events' ``entity``, svclib.contracts), an account with at least ``id`` and ``username``."""

    producer: str
    registered: str
    erased: str
    entity: str


def kept_from(
    table: Table,
    announced: Announcements,
    also_registered: Callable[[Transaction, dict], None] | None = None,
    also_erased: Callable[[Transaction, str], None] | None = None,
) -> type:
    """A base class for a service (with a ``db`` dependency) whose event handlers keep ``table``.

    The handlers are named ``handle_<event type>``, as every handler is (their queues and
    idempotency records are named after them). ``also_registered(tx, account)`` and
    ``also_erased(tx, account_id)``, when given, apply in the same transaction: what else the
    service keeps about an account.
    """

    def registered(self, payload: dict) -> None:
        def apply(tx: Transaction, account: dict) -> None:
            record(tx, table, account["id"], account["username"])
            if also_registered is not None:
                also_registered(tx, account)

        self.db.apply_once(payload, f"handle_{announced.registered}", apply, payload[announced.entity])

    def erased(self, payload: dict) -> None:
        def apply(tx: Transaction, account_id: str) -> None:
            erase(tx, table, account_id)
            if also_erased is not None:
                also_erased(tx, account_id)

        self.db.apply_once(payload, f"handle_{announced.erased}", apply, payload[announced.entity]["id"])

    return type(
        "KnownUsers",
        (),
        {
            "__doc__": f"Keeps {table.name} from {announced.producer}'s {announced.registered} and {announced.erased}.",
            f"handle_{announced.registered}": event_handler(announced.producer, announced.registered)(registered),
            f"handle_{announced.erased}": event_handler(announced.producer, announced.erased)(erased),
        },
    )
