"""Idempotency-Keys for creating requests: a client that did not hear the answer retries with the
same key and gets the same resource, never a second one.

A key belongs to its caller. It is claimed in the transaction that creates the resource, so two
requests with one key at the same moment make one resource: the second waits for the first's
commit and then answers with what it made. The same key with a different request is 409.

Each service that takes keys keeps them in its own ``request_keys`` table (``request_keys_table``)
and uses them through one ``RequestKeys``.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import Column, MetaData, String, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from svclib.db import Transaction, UTCDateTime, utcnow
from svclib.exceptions import Conflict, Invalid

MAX_KEY = 255


def request_keys_table(metadata: MetaData) -> Table:
    """A service's ``request_keys``: per caller and key, what was asked (a fingerprint) and what it made."""
    return Table(
        "request_keys",
        metadata,
        Column("caller_id", String(32), primary_key=True),
        Column("key", String(MAX_KEY), primary_key=True),
        Column("action", String(20), nullable=False),
        Column("fingerprint", String(64), nullable=False),
        Column("resource_id", String(32), nullable=True),
        Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
        Column("updated_at", UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow),
    )


def _fingerprint(action: str, request: dict) -> str:
    return hashlib.sha256(json.dumps([action, request], sort_keys=True, default=str).encode()).hexdigest()


class RequestKeys:
    """The keys kept in ``table`` (made by ``request_keys_table``). A reused key raises ``conflict``, an
    unusable one ``invalid``: the service's own kinds of ``svclib.exceptions.Conflict`` and ``Invalid``."""

    def __init__(self, table: Table, conflict: type[Conflict] = Conflict, invalid: type[Invalid] = Invalid):
        self.table = table
        self.conflict = conflict
        self.invalid = invalid

    def _check(self, key: str) -> None:
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY:
            raise self.invalid(
                f"An Idempotency-Key has 1 to {MAX_KEY} characters.",
                fields={"Idempotency-Key": ["Not a usable key."]},
            )

    def _held(self, tx: Transaction, caller_id: str, key: str, fingerprint: str):
        t = self.table
        row = tx.session.execute(
            select(t.c.fingerprint, t.c.resource_id).where(t.c.caller_id == caller_id, t.c.key == key)
        ).first()
        if row is not None and row.fingerprint != fingerprint:
            raise self.conflict(
                "This Idempotency-Key was used with a different request.",
                fields={"Idempotency-Key": ["Use a new key for a new request."]},
            )
        return row

    def answered(self, tx: Transaction, caller_id: str, key: str | None, action: str, request: dict) -> str | None:
        """The id of what this same request made before under ``key``, without claiming it; 409 for another request."""
        if key is None:
            return None
        self._check(key)
        row = self._held(tx, caller_id, key, _fingerprint(action, request))
        return row.resource_id if row is not None else None

    def claim(self, tx: Transaction, caller_id: str, key: str | None, action: str, request: dict) -> str | None:
        """None when this request is new (the key is now this transaction's: ``settle`` it with what it makes);
        the id of what the same request made before otherwise; 409 when the key was used for another request."""
        if key is None:
            return None
        self._check(key)
        fingerprint = _fingerprint(action, request)
        row = self._held(tx, caller_id, key, fingerprint)
        if row is None:
            try:
                with tx.session.begin_nested():
                    tx.session.execute(
                        insert(self.table).values(caller_id=caller_id, key=key, action=action, fingerprint=fingerprint)
                    )
                return None
            except IntegrityError:
                # The same key at the same moment: the other request committed first.
                row = self._held(tx, caller_id, key, fingerprint)
        return row.resource_id

    def settle(self, tx: Transaction, caller_id: str, key: str | None, resource_id: str) -> None:
        """Record what the request that claimed ``key`` made."""
        if key is not None:
            t = self.table
            tx.session.execute(
                update(t).where(t.c.caller_id == caller_id, t.c.key == key).values(resource_id=resource_id)
            )
