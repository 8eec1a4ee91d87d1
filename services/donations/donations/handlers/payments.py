"""Payments confirmed by a provider's signed webhooks: paid, failed, refunded, each applied once."""

from __future__ import annotations

import calendar
import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from donations import events
from donations.models import Donation, LedgerEntry, Pledge, RejectedWebhook, WebhookEvent
from svclib.db import Transaction


def add_month(moment: datetime) -> datetime:
    month = moment.month % 12 + 1
    year = moment.year + (moment.month == 12)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def record_rejected_webhook(tx: Transaction, provider_name: str, reason: str, raw_body: bytes) -> None:
    tx.session.add(
        RejectedWebhook(
            provider=provider_name[:20],
            reason=reason[:200],
            body_sha256=hashlib.sha256(raw_body).hexdigest(),
            body_length=len(raw_body),
            body_excerpt=raw_body[:500].decode("utf-8", "replace").replace("\x00", "\ufffd")[:500],
        )
    )


def pay(tx: Transaction, donation: Donation, now: datetime, payment: str = "") -> None:
    """Mark paid, write the ledger line and announce it; safe against a second call."""
    if donation.status == "paid":
        return
    donation.status, donation.paid_at, donation.checkout_url = "paid", now, None
    donation.provider_payment = payment or donation.provider_payment
    tx.session.add(
        LedgerEntry(
            donation_id=donation.id,
            kind="payment",
            donor_id=donation.donor_id,
            recipient_id=donation.recipient_id,
            amount_cents=donation.amount_cents,
            currency=donation.currency,
            public=donation.public,
        )
    )
    if donation.pledge_id:
        pledge = tx.session.get(Pledge, donation.pledge_id)
        if pledge.status in ("pending", "past_due"):
            pledge.status = "active"
        pledge.failed_attempts = 0
        pledge.next_charge_at = add_month(now)
    tx.session.flush()
    tx.emit(
        events.DonationCompleted(
            id=donation.id,
            donor_id=donation.donor_id,
            recipient_id=donation.recipient_id,
            amount_cents=donation.amount_cents,
            currency=donation.currency,
            public=donation.public,
            recurring=donation.recurring,
        )
    )


def apply_provider_event(tx: Transaction, provider_name: str, event, now: datetime) -> str:
    """Apply a verified webhook once: ``processed``, ``duplicate`` or ``ignored``."""
    try:
        with tx.session.begin_nested():
            tx.session.add(WebhookEvent(provider=provider_name, event_id=event.event_id, kind=event.kind))
            tx.session.flush()
    except IntegrityError:
        return "duplicate"
    if event.kind == "refunded":
        donation = tx.session.scalar(
            select(Donation)
            .where(Donation.provider == provider_name, Donation.provider_payment == event.payment)
            .with_for_update()
        )
    else:
        donation = tx.session.scalar(
            select(Donation)
            .where(Donation.provider == provider_name, Donation.provider_ref == event.reference)
            .with_for_update()
        )
    if donation is None:
        return "ignored"
    if event.kind == "paid":
        pay(tx, donation, now, event.payment)
    elif event.kind == "failed" and donation.status == "pending":
        donation.status, donation.checkout_url = "failed", None
        if donation.pledge_id:
            tx.session.get(Pledge, donation.pledge_id).status = "canceled"
    elif event.kind == "refunded" and donation.status == "paid":
        donation.status = "refunded"
        tx.session.add(
            LedgerEntry(
                donation_id=donation.id,
                kind="refund",
                donor_id=donation.donor_id,
                recipient_id=donation.recipient_id,
                amount_cents=-donation.amount_cents,
                currency=donation.currency,
                public=donation.public,
            )
        )
        tx.emit(
            events.DonationRefunded(
                id=donation.id,
                donor_id=donation.donor_id,
                amount_cents=donation.amount_cents,
                currency=donation.currency,
            )
        )
    return "processed"
