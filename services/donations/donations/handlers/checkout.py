"""Starting a donation: checking the request, answering a retried one the same, and where to pay."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid

from sqlalchemy import select

from donations.exceptions import Conflict, Invalid, NotFound, Unauthenticated
from donations.handlers.people import find_person, names_of, recipient_named
from donations.models import Donation, Pledge
from svclib.db import Transaction, isoformat

MIN_CENTS = 100
MAX_CENTS = 10_000_000


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


def new_checkout(provider, donation: Donation):
    """A fresh random checkout token for the donation (its hash kept) and where to pay."""
    token = secrets.token_urlsafe(24)
    donation.checkout_token_hash = token_hash(token)
    checkout = provider.create_checkout(donation, token)
    donation.checkout_url = checkout.url
    return checkout


def checkout_token_matches(donation: Donation | None, token: str) -> bool:
    stored = donation.checkout_token_hash if donation is not None else None
    return bool(stored and token) and hmac.compare_digest(stored, token_hash(token))


def donation_view(tx: Transaction, donation: Donation, checkout_url: str | None = None) -> dict:
    """A donation as its donor sees it; while pending, with where to pay (``checkout_url``, else the one kept)."""
    if donation.status != "pending":
        checkout_url = None
    else:
        checkout_url = checkout_url or donation.checkout_url
    names = names_of(tx, {i for i in (donation.recipient_id,) if i})
    return {
        "donation_id": donation.id,
        "status": donation.status,
        "amount_cents": donation.amount_cents,
        "currency": donation.currency,
        "recipient": recipient_named(names, donation.recipient_id),
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
        return donation_view(tx, existing, checkout_url(provider, existing))
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
    if len(message or "") > 500:
        fields["message"] = ["Use at most 500 characters."]
    if fields:
        raise Invalid("Some fields are not valid.", fields=fields)
    if recurring == "monthly" and donor_id is None:  # a well-formed request that needs a signed-in donor
        raise Unauthenticated("Sign in to pledge monthly, so that you can cancel.")
    recipient_id = None
    if recipient != "platform":
        if not recipient.startswith("@"):
            raise Invalid("Give to the platform or to @username.", fields={"recipient": ["platform or @username"]})
        recipient_id = find_person(tx, username=recipient[1:]).id
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
    checkout = new_checkout(provider, donation)
    donation.provider_ref = checkout.reference
    return donation_view(tx, donation, checkout.url)


def checkout_url(provider, donation: Donation) -> str | None:
    """A replay's link: the offline provider's is fresh (its token is kept only hashed), a real
    provider's is the one kept."""
    if donation.status != "pending":
        return None
    if provider.name != "offline":
        return donation.checkout_url
    return new_checkout(provider, donation).url


def donation_for_checkout(tx: Transaction, donation_id: str) -> Donation:
    donation = tx.session.get(Donation, donation_id)
    if donation is None:
        raise NotFound("No such donation.")
    return donation
