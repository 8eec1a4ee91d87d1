"""Idempotency-Keys for creating requests: a client that did not hear the answer retries with the
same key and gets the same resource, never a second one.

A key belongs to its caller. It is claimed in the transaction that creates the resource, so two
requests with one key at the same moment make one resource: the second waits for the first's
commit and then answers with what it made. The same key with a different request is 409.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from content.exceptions import Conflict, Invalid
from content.models import RequestKey
from svclib.db import Transaction

MAX_KEY = 255


def _fingerprint(action: str, request: dict) -> str:
    return hashlib.sha256(json.dumps([action, request], sort_keys=True, default=str).encode()).hexdigest()


def _held(tx: Transaction, caller_id: str, key: str, fingerprint: str) -> RequestKey | None:
    row = tx.session.scalar(select(RequestKey).where(RequestKey.caller_id == caller_id, RequestKey.key == key))
    if row is not None and row.fingerprint != fingerprint:
        raise Conflict(
            "This Idempotency-Key was used with a different request.",
            fields={"Idempotency-Key": ["Use a new key for a new request."]},
        )
    return row


def _check(key: str) -> None:
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY:
        raise Invalid(
            f"An Idempotency-Key has 1 to {MAX_KEY} characters.", fields={"Idempotency-Key": ["Not a usable key."]}
        )


def answered(tx: Transaction, caller_id: str, key: str | None, action: str, request: dict) -> str | None:
    """The id of what this same request made before under ``key``, without claiming it; 409 for another request."""
    if key is None:
        return None
    _check(key)
    row = _held(tx, caller_id, key, _fingerprint(action, request))
    return row.resource_id if row is not None else None


def claim(tx: Transaction, caller_id: str, key: str | None, action: str, request: dict) -> str | None:
    """None when this request is new (the key is now this transaction's: ``settle`` it with what it makes);
    the id of what the same request made before otherwise; 409 when the key was used for another request."""
    if key is None:
        return None
    _check(key)
    fingerprint = _fingerprint(action, request)
    row = _held(tx, caller_id, key, fingerprint)
    if row is None:
        try:
            with tx.session.begin_nested():
                tx.session.add(RequestKey(caller_id=caller_id, key=key, action=action, fingerprint=fingerprint))
            return None
        except IntegrityError:
            # The same key at the same moment: the other request committed first.
            row = _held(tx, caller_id, key, fingerprint)
    return row.resource_id


def settle(tx: Transaction, caller_id: str, key: str | None, resource_id: str) -> None:
    """Record what the request that claimed ``key`` made."""
    if key is not None:
        tx.session.get(RequestKey, (caller_id, key)).resource_id = resource_id
