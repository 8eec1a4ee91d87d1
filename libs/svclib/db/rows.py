"""A row found or made, and locked: how concurrent event handlers share one row per key; a lock on a name."""

from __future__ import annotations

import hashlib

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite

from svclib.db.transaction import Transaction
from svclib.times import utcnow


def locked_row(tx: Transaction, model, key: dict, defaults: dict, share: bool = False):
    """The row of ``model`` with ``key``, locked until the transaction ends (FOR SHARE with ``share``),
    made with ``defaults`` (and its timestamps, where the model has them) first if missing.

    Two handlers may find it missing at once: the insert skips a row another made meanwhile
    (ON CONFLICT DO NOTHING) and both then lock the one row, one after the other.
    """
    query = select(model).filter_by(**key).with_for_update(read=share)
    row = tx.session.scalar(query)
    if row is None:
        insert = postgresql.insert if tx.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        values = {**key, **defaults}
        if hasattr(model, "created_at"):
            now = utcnow()
            values.update(created_at=now, updated_at=now)
        tx.session.execute(insert(model).values(**values).on_conflict_do_nothing())
        row = tx.session.scalar(query.execution_options(populate_existing=True))
    return row


def name_lock(tx: Transaction, name: str) -> None:
    """Hold a lock on ``name`` until the transaction ends: for handlers that must take turns on a key no row
    holds yet (a row cannot be locked before it exists, and one inserted by a transaction not yet committed
    is invisible to the others). On PostgreSQL a transaction-level advisory lock on the name's 63-bit hash
    (a collision only makes two names take turns); SQLite has one writer at a time, so nothing to take.
    """
    if tx.connection.dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big") & 0x7FFFFFFFFFFFFFFF
    tx.connection.execute(_ADVISORY, {"key": key})


_ADVISORY = text("SELECT pg_advisory_xact_lock(:key)")
