"""One version per key, held under a row lock: how events that carry a state are applied in order.

Events are not ordered (consumers run in parallel, a retried event comes back later), so every
event that carries a state (a vote, a membership, a follow) carries its source's version of that
key, a per-key sequence, and a consumer applies it only when it is newer than the one it holds.
Holding the key's row for the rest of the transaction serialises everything done to that key.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite

from identity.models import KeyVersion
from svclib.db import Transaction, locked_row, utcnow


def hold(tx: Transaction, kind: str, key: str) -> KeyVersion:
    """The key's version row, locked until the transaction ends (made at version 0 when new)."""
    return locked_row(tx, KeyVersion, {"kind": kind, "key": key}, {"version": 0})


def newer(tx: Transaction, kind: str, key: str, version: int | None) -> bool:
    """Whether an event's ``version`` of a key is newer than the one applied; if so it becomes the one held.

    An event without a version (sent before its source numbered them) is applied as it comes.
    """
    if version is None:
        hold(tx, kind, key)
        return True
    connection = tx.connection
    params = {"kind": kind, "key": key, "version": int(version), "now": utcnow()}
    return connection.execute(_advance(connection.dialect.name), params).first() is not None


_ADVANCE: dict[str, Any] = {}


def _advance(dialect: str):
    """One statement that makes the key's row at ``version``, or moves it there when it holds an older one,
    and returns a row only then. The row stays locked until the transaction ends either way: ON CONFLICT
    DO UPDATE locks the row it conflicts with even where its WHERE leaves it unchanged."""
    statement = _ADVANCE.get(dialect)
    if statement is None:
        table = KeyVersion.__table__
        insert_into = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert_into(table).values(
            kind=bindparam("kind"),
            key=bindparam("key"),
            version=bindparam("version"),
            created_at=bindparam("now"),
            updated_at=bindparam("now"),
        )
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.kind, table.c.key],
            set_={"version": statement.excluded.version, "updated_at": statement.excluded.updated_at},
            where=table.c.version < statement.excluded.version,
        ).returning(table.c.version)
        _ADVANCE[dialect] = statement
    return statement
