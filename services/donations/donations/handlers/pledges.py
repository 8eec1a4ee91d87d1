"""Monthly pledges: charging the due ones, retrying, giving up, and cancelling."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from donations import events
from donations.exceptions import NotFound
from donations.handlers.payments import add_month, pay
from donations.models import Donation, Pledge
from svclib.db import Transaction


@dataclass(frozen=True)
class PledgePolicy:
    retry_after: timedelta = timedelta(hours=24)
    max_failures: int = 3


def due_pledges(tx: Transaction, now: datetime) -> list[str]:
    return list(
        tx.session.scalars(
            select(Pledge.id).where(Pledge.status.in_(("active", "past_due")), Pledge.next_charge_at <= now)
        )
    )


def charge_pledge(tx: Transaction, provider, pledge_id: str, now: datetime, policy: PledgePolicy) -> str:
    """Charge one due pledge: a paid donation, or a retry later, or past due after too many failures."""
    pledge = tx.session.scalar(select(Pledge).where(Pledge.id == pledge_id).with_for_update())
    if pledge is None or pledge.status not in ("active", "past_due") or pledge.next_charge_at > now:
        return "skipped"
    result = provider.charge(pledge)
    if result.succeeded:
        donation = Donation(
            id=uuid.uuid4().hex,
            donor_id=pledge.donor_id,
            recipient_id=pledge.recipient_id,
            amount_cents=pledge.amount_cents,
            currency=pledge.currency,
            recurring="monthly",
            public=pledge.public,
            message=pledge.message,
            status="pending",
            provider=provider.name,
            provider_ref=result.reference,
            pledge_id=pledge.id,
        )
        tx.session.add(donation)
        tx.session.flush()
        pay(tx, donation, now, result.reference)
        return "charged"
    pledge.failed_attempts += 1
    if pledge.failed_attempts >= policy.max_failures:
        pledge.status = "past_due"
        pledge.next_charge_at = add_month(now)
        tx.emit(events.PledgePastDue(id=pledge.id, donor_id=pledge.donor_id))
        return "past_due"
    pledge.next_charge_at = now + policy.retry_after
    return "retry"


def cancel_pledge(tx: Transaction, donor_id: str, pledge_id: str) -> None:
    pledge = tx.session.get(Pledge, pledge_id)
    if pledge is None or pledge.donor_id != donor_id:
        raise NotFound("No such pledge.")
    pledge.status, pledge.next_charge_at = "canceled", None
