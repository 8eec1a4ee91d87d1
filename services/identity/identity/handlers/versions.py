"""One version per key, held under a row lock: how events that carry a state are applied in order.

Events are not ordered (consumers run in parallel, a retried event comes back later), so every
event that carries a state (a vote, a membership, a follow) carries its source's version of that
key, a per-key sequence, and a consumer applies it only when it is newer than the one it holds.
Holding the key's row for the rest of the transaction serialises everything done to that key.
"""

from __future__ import annotations

from identity.models import KeyVersion
from svclib.db import Transaction, locked_row


def hold(tx: Transaction, kind: str, key: str) -> KeyVersion:
    """The key's version row, locked until the transaction ends (made at version 0 when new)."""
    return locked_row(tx, KeyVersion, {"kind": kind, "key": key}, {"version": 0})


def newer(tx: Transaction, kind: str, key: str, version: int | None) -> bool:
    """Whether an event's ``version`` of a key is newer than the one applied; if so it becomes the one held.

    An event without a version (sent before its source numbered them) is applied as it comes.
    """
    held = hold(tx, kind, key)
    if version is None:
        return True
    if int(version) <= held.version:
        return False
    held.version = int(version)
    return True
