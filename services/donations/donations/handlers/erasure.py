"""An erased person in donations: their gifts stay, as anonymous ones; nothing keeps their id."""

from __future__ import annotations

from sqlalchemy import select, update

from donations.handlers.people import ERASED_RECIPIENT
from donations.models import KNOWN_USERS, OUTBOX, Donation, LedgerEntry, Pledge
from svclib import users
from svclib.db import Transaction


def erase_person(tx: Transaction, user_id: str) -> None:
    """An erased person's gifts stay in the ledger and the campaign as anonymous ones, gifts to them
    name no one, their monthly pledges stop, and nothing keeps their id (their known_users row goes first)."""
    users.erase(tx, KNOWN_USERS, user_id)
    for pledge in tx.session.scalars(
        select(Pledge).where(Pledge.donor_id == user_id).order_by(Pledge.id).with_for_update()
    ).all():
        if pledge.status in ("pending", "active", "past_due"):
            pledge.status = "canceled"
        pledge.donor_id, pledge.provider_customer, pledge.public, pledge.message = None, None, False, ""
    for model in (Donation, LedgerEntry):
        tx.session.execute(update(model).where(model.donor_id == user_id).values(donor_id=None, public=False))
    for model in (Donation, LedgerEntry, Pledge):
        tx.session.execute(update(model).where(model.recipient_id == user_id).values(recipient_id=ERASED_RECIPIENT))
    tx.session.execute(
        update(Donation)
        .where(Donation.idempotency_scope == user_id)
        .values(idempotency_scope=None, idempotency_key=None, request_fingerprint=None, message="")
    )
    users.forget(tx, user_id, outbox=OUTBOX)
