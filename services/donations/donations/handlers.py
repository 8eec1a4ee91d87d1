"""Donations, pledges, webhooks, the campaign and the public ledger, as plain functions."""

from __future__ import annotations

import calendar
import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from donations import events
from donations.exceptions import Conflict, Invalid, NotFound
from donations.models import KNOWN_USERS, Donation, LedgerEntry, Pledge, RejectedWebhook, WebhookEvent
from svclib import pagination
from svclib.db import Transaction, isoformat

MIN_CENTS = 100
MAX_CENTS = 10_000_000


@dataclass(frozen=True)
class Campaign:
    goal_cents: int
    currency: str
    ends_at: datetime


@dataclass(frozen=True)
class PledgePolicy:
    retry_after: timedelta = timedelta(hours=24)
    max_failures: int = 3


def add_month(moment: datetime) -> datetime:
    month = moment.month % 12 + 1
    year = moment.year + (moment.month == 12)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _user(tx: Transaction, user_id: str | None = None, username: str | None = None):
    column, value = (KNOWN_USERS.c.id, user_id) if user_id else (KNOWN_USERS.c.username, (username or "").lower())
    row = tx.session.execute(select(KNOWN_USERS).where(column == value, KNOWN_USERS.c.erased_at.is_(None))).first()
    if row is None:
        raise NotFound("No such person.")
    return row


def _names(tx: Transaction, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = tx.session.execute(select(KNOWN_USERS.c.id, KNOWN_USERS.c.username).where(KNOWN_USERS.c.id.in_(ids)))
    return dict(rows.all())


def fingerprint(request: dict) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idempotency_scope(donor_id: str | None, client: str) -> str:
    """Whose keys these are: a signed-in donor's own, or an anonymous caller's address's.

    Two anonymous callers never share a scope unless they share an address, so an
    anonymous key never answers with a donation someone elsewhere started.
    """
    if donor_id:
        return donor_id
    return "anon:" + hashlib.sha256(f"address:{client or ''}".encode()).hexdigest()[:32]


def _new_checkout(provider, donation: Donation):
    """A fresh random checkout token for the donation (its hash kept) and where to pay."""
    token = secrets.token_urlsafe(24)
    donation.checkout_token_hash = token_hash(token)
    return provider.create_checkout(donation, token)


def checkout_token_matches(donation: Donation | None, token: str) -> bool:
    stored = donation.checkout_token_hash if donation is not None else None
    return bool(stored and token) and hmac.compare_digest(stored, token_hash(token))


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


def donation_view(tx: Transaction, donation: Donation, checkout_url: str | None = None) -> dict:
    names = _names(tx, {i for i in (donation.recipient_id,) if i})
    return {
        "donation_id": donation.id,
        "status": donation.status,
        "amount_cents": donation.amount_cents,
        "currency": donation.currency,
        "recipient": f"@{names[donation.recipient_id]}" if donation.recipient_id in names else "platform",
        "recurring": donation.recurring,
        "public": donation.public,
        "created_at": isoformat(donation.created_at),
        "checkout_url": checkout_url,
        "pledge_id": donation.pledge_id,
    }


def start_donation(
    tx: Transaction,
    provider,
    currencies: tuple[str, ...],
    donor_id: str | None,
    amount_cents,
    currency: str,
    recipient: str,
    recurring: str,
    public: bool,
    message: str,
    idempotency_key: str,
    client: str = "",
) -> dict:
    """A pending donation and where to pay it; the same key and body give the same answer.

    A replay answers with the same donation and a fresh checkout link (the token is stored
    only hashed, so the earlier link stops working).
    """
    request = {
        "donor_id": donor_id,
        "amount_cents": amount_cents,
        "currency": currency,
        "recipient": recipient,
        "recurring": recurring,
        "public": public,
        "message": message,
    }
    scope = idempotency_scope(donor_id, client)
    if not idempotency_key or len(idempotency_key) > 255:
        raise Invalid(
            "Send an Idempotency-Key header (at most 255 characters).", fields={"Idempotency-Key": ["Required."]}
        )
    existing = tx.session.scalar(
        select(Donation).where(Donation.idempotency_scope == scope, Donation.idempotency_key == idempotency_key)
    )
    if existing is not None:
        if existing.request_fingerprint != fingerprint(request):
            raise Conflict("This Idempotency-Key was used with a different request.")
        return donation_view(tx, existing, _checkout_url(provider, existing))
    fields: dict[str, list[str]] = {}
    if (
        not isinstance(amount_cents, int)
        or isinstance(amount_cents, bool)
        or not MIN_CENTS <= amount_cents <= MAX_CENTS
    ):
        fields["amount_cents"] = [f"Give between {MIN_CENTS} and {MAX_CENTS} minor units."]
    if currency not in currencies:
        fields["currency"] = [f"Use one of {', '.join(currencies)}."]
    if recurring not in ("none", "monthly"):
        fields["recurring"] = ["Use none or monthly."]
    if recurring == "monthly" and donor_id is None:
        fields["recurring"] = ["Sign in to pledge monthly, so that you can cancel."]
    if len(message or "") > 500:
        fields["message"] = ["Use at most 500 characters."]
    if fields:
        raise Invalid("Some fields are not valid.", fields=fields)
    recipient_id = None
    if recipient != "platform":
        if not recipient.startswith("@"):
            raise Invalid("Give to the platform or to @username.", fields={"recipient": ["platform or @username"]})
        recipient_id = _user(tx, username=recipient[1:]).id
        if recipient_id == donor_id:
            raise Invalid("You cannot donate to yourself.", fields={"recipient": ["That is you."]})
    pledge = None
    if recurring == "monthly":
        pledge = Pledge(
            id=uuid.uuid4().hex,
            donor_id=donor_id,
            recipient_id=recipient_id,
            amount_cents=amount_cents,
            currency=currency,
            public=public,
            message=message or "",
            status="pending",
            failed_attempts=0,
            provider=provider.name,
        )
        tx.session.add(pledge)
        tx.session.flush()
    donation = Donation(
        id=uuid.uuid4().hex,
        donor_id=donor_id,
        recipient_id=recipient_id,
        amount_cents=amount_cents,
        currency=currency,
        recurring=recurring,
        public=public,
        message=message or "",
        status="pending",
        provider=provider.name,
        pledge_id=pledge.id if pledge else None,
        idempotency_scope=scope,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint(request),
    )
    tx.session.add(donation)
    tx.session.flush()
    checkout = _new_checkout(provider, donation)
    donation.provider_ref = checkout.reference
    return donation_view(tx, donation, checkout.url)


def _checkout_url(provider, donation: Donation) -> str | None:
    if donation.status != "pending" or provider.name != "offline":
        return None
    return _new_checkout(provider, donation).url


def _pay(tx: Transaction, donation: Donation, now: datetime, payment: str = "") -> None:
    """Mark paid, write the ledger line and announce it; safe against a second call."""
    if donation.status == "paid":
        return
    donation.status, donation.paid_at = "paid", now
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
        events.DONATION_COMPLETED,
        "donation",
        {
            "id": donation.id,
            "donor_id": donation.donor_id,
            "recipient_id": donation.recipient_id,
            "amount_cents": donation.amount_cents,
            "currency": donation.currency,
            "public": donation.public,
            "recurring": donation.recurring,
        },
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
        _pay(tx, donation, now, event.payment)
    elif event.kind == "failed" and donation.status == "pending":
        donation.status = "failed"
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
            events.DONATION_REFUNDED,
            "donation",
            {
                "id": donation.id,
                "donor_id": donation.donor_id,
                "amount_cents": donation.amount_cents,
                "currency": donation.currency,
            },
        )
    return "processed"


def donation_for_checkout(tx: Transaction, donation_id: str) -> Donation:
    donation = tx.session.get(Donation, donation_id)
    if donation is None:
        raise NotFound("No such donation.")
    return donation


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
        _pay(tx, donation, now, result.reference)
        return "charged"
    pledge.failed_attempts += 1
    if pledge.failed_attempts >= policy.max_failures:
        pledge.status = "past_due"
        pledge.next_charge_at = add_month(now)
        tx.emit(events.PLEDGE_PAST_DUE, "pledge", {"id": pledge.id, "donor_id": pledge.donor_id})
        return "past_due"
    pledge.next_charge_at = now + policy.retry_after
    return "retry"


def cancel_pledge(tx: Transaction, donor_id: str, pledge_id: str) -> None:
    pledge = tx.session.get(Pledge, pledge_id)
    if pledge is None or pledge.donor_id != donor_id:
        raise NotFound("No such pledge.")
    pledge.status, pledge.next_charge_at = "canceled", None


def campaign(tx: Transaction, settings: Campaign) -> dict:
    raised, donors = tx.session.execute(
        select(
            func.coalesce(func.sum(LedgerEntry.amount_cents), 0), func.count(func.distinct(LedgerEntry.donor_id))
        ).where(LedgerEntry.recipient_id.is_(None), LedgerEntry.currency == settings.currency)
    ).one()
    anonymous = tx.session.scalar(
        select(func.count())
        .select_from(LedgerEntry)
        .where(
            LedgerEntry.recipient_id.is_(None),
            LedgerEntry.currency == settings.currency,
            LedgerEntry.donor_id.is_(None),
            LedgerEntry.kind == "payment",
        )
    )
    return {
        "goal_cents": settings.goal_cents,
        "raised_cents": int(raised),
        "currency": settings.currency,
        "donor_count": int(donors) + int(anonymous),
        "ends_at": isoformat(settings.ends_at),
    }


def ledger(tx: Transaction, limit: int | None, cursor: str | None, currency: str | None = None) -> dict:
    """The platform's public ledger, newest first: names only of donors who chose to be public."""
    query = select(LedgerEntry).where(LedgerEntry.recipient_id.is_(None))
    if currency:
        query = query.where(LedgerEntry.currency == currency)

    def dump(rows: list[LedgerEntry]) -> list[dict]:
        names = _names(tx, {row.donor_id for row in rows if row.public and row.donor_id})
        return [
            {
                "id": row.id,
                "kind": row.kind,
                "amount_cents": row.amount_cents,
                "currency": row.currency,
                "date": isoformat(row.created_at),
                "donor": names.get(row.donor_id) if row.public else None,
            }
            for row in rows
        ]

    return pagination.newest_first(tx.session, query, LedgerEntry.id, limit, cursor, dump)


def support(tx: Transaction, username: str) -> dict:
    user = _user(tx, username=username)
    totals = tx.session.execute(
        select(LedgerEntry.currency, func.sum(LedgerEntry.amount_cents))
        .where(LedgerEntry.recipient_id == user.id)
        .group_by(LedgerEntry.currency)
    ).all()
    supporters = tx.session.scalar(
        select(func.count(func.distinct(func.coalesce(LedgerEntry.donor_id, LedgerEntry.donation_id)))).where(
            LedgerEntry.recipient_id == user.id, LedgerEntry.kind == "payment"
        )
    )
    return {
        "username": user.username,
        "totals": [{"currency": c, "amount_cents": int(a)} for c, a in totals],
        "supporter_count": int(supporters or 0),
    }


def mine(tx: Transaction, donor_id: str) -> dict:
    donations = tx.session.scalars(
        select(Donation).where(Donation.donor_id == donor_id).order_by(Donation.created_at.desc()).limit(200)
    ).all()
    pledges = tx.session.scalars(select(Pledge).where(Pledge.donor_id == donor_id).order_by(Pledge.created_at)).all()
    names = _names(tx, {p.recipient_id for p in pledges if p.recipient_id})
    return {
        "donations": [donation_view(tx, d) for d in donations],
        "pledges": [
            {
                "id": p.id,
                "status": p.status,
                "amount_cents": p.amount_cents,
                "currency": p.currency,
                "recipient": f"@{names[p.recipient_id]}" if p.recipient_id in names else "platform",
                "next_charge_at": isoformat(p.next_charge_at),
            }
            for p in pledges
        ],
    }
