"""A service's own copy of who exists: a table and the functions that keep it.

Services reference people by id only; this table lets a service know an id is
a registered, not erased, account without asking identity on every request.
Each service declares its own two event handlers for the events that announce
accounts, applying ``record`` and ``erase`` (with what else it keeps about a
person) once each (``Database.apply_once``); this module knows no service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, Text, cast, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from svclib.db import Transaction, UTCDateTime, isoformat, utcnow
from svclib.events import NotYet


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


def unknown(error: Exception, user_id: str) -> Exception:
    """``error`` (a 404) marked as raised for a person this service does not know (``as_known`` may learn of them)."""
    error.unknown_person = user_id
    return error


def as_known(act: Callable[[], Any], user_id: str, database, table: Table, people: Callable[[list[str]], dict]) -> Any:
    """``act()`` (its own transaction); if it raised an error marked ``unknown`` for ``user_id`` though identity
    has the account (``people``: identity's ``get_people``), the account is recorded (``record_learned``) and
    ``act`` tried once more. A person's first request to a service the moment they signed up can come before
    their registration's event: identity is asked only then. Identity not answering, or not having the account
    (erased), leaves the error as it was."""
    try:
        return act()
    except Exception as exc:
        if getattr(exc, "unknown_person", None) != user_id:
            raise
        try:
            person = people([user_id]).get(user_id)
        except Exception:  # noqa: BLE001 - identity away: the person is as unknown as before
            raise exc from None
        if not person or not person.get("username"):
            raise
    with database.transaction() as tx:
        record_learned(tx, table, user_id, person["username"])
    return act()


def record_learned(tx: Transaction, table: Table, user_id: str, username: str) -> None:
    """Remember an account learned from identity before its registration's event arrived (a person's first
    request to this service, made the moment they signed up): the event, applied later, finds it there and
    changes nothing; a registration applied meanwhile leaves this insert nothing to do."""
    insert_into = postgresql.insert if tx.connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert_into(table).values(id=user_id, username=username, registered_at=utcnow())
    tx.session.execute(statement.on_conflict_do_nothing(index_elements=[table.c.id]))


def known_or_awaited(tx: Transaction, table: Table, user_id: str, exists: Callable[[str], bool] | None = None) -> bool:
    """Whether an event about ``user_id``'s account applies now: True when the account is known, its row
    shared until the transaction ends (so that an erasure waits for the event, or it for the erasure);
    False when it is not and ``exists`` (identity, asked) says the account is gone, erased since: the event
    is dropped, nothing of the erased person kept nor left waiting in a queue. Otherwise the registration is
    still on its way, on its own queue: ``NotYet``, and the event is tried again later."""
    if tx.session.execute(select(table.c.id).where(table.c.id == user_id).with_for_update(read=True)).first():
        return True
    if exists is not None and not exists(user_id):
        return False
    raise NotYet(f"person {user_id} is not known yet")


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
