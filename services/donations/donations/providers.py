"""Payment providers behind one interface.

``offline``: no money moves. Its checkout page is served by the gateway; the
donor confirms or cancels there, and that decision arrives as a signed
webhook through exactly the path a real provider's would.

``stripe``: Checkout Sessions and PaymentIntents over Stripe's HTTP API at a
configurable base URL; webhooks verified from ``Stripe-Signature``
(HMAC-SHA256 over ``timestamp.raw_body``, 300 s tolerance).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass

import requests

from donations.exceptions import Invalid

TOLERANCE_SECONDS = 300


@dataclass(frozen=True)
class Checkout:
    reference: str
    url: str


@dataclass(frozen=True)
class Charge:
    succeeded: bool
    reference: str


@dataclass(frozen=True)
class ProviderEvent:
    """A verified provider event: ``kind`` is paid, failed or refunded.

    ``reference`` names the checkout; ``payment`` the payment it produced (refunds name only that).
    """

    event_id: str
    kind: str
    reference: str
    payment: str = ""


def sign(secret: str, timestamp: int, raw_body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()


def verify_signature(header: str, raw_body: bytes, secret: str, now: float) -> None:
    """Stripe's scheme: ``t=<unix time>,v1=<hex hmac>[,v1=...]``."""
    parts = [item.split("=", 1) for item in (header or "").split(",") if "=" in item]
    timestamps = [value for key, value in parts if key.strip() == "t"]
    signatures = [value.strip() for key, value in parts if key.strip() == "v1"]
    if not secret or not timestamps or not signatures or not timestamps[0].strip().isdigit():
        raise Invalid("The webhook signature is missing or malformed.")
    timestamp = int(timestamps[0])
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise Invalid("The webhook is too old or from the future.")
    expected = sign(secret, timestamp, raw_body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise Invalid("The webhook signature does not match.")


class OfflineProvider:
    name = "offline"

    def __init__(self, public_url: str, secret: str):
        self.public_url = public_url.rstrip("/")
        self.secret = secret

    def checkout_token(self, donation_id: str) -> str:
        return hmac.new(self.secret.encode(), f"checkout:{donation_id}".encode(), hashlib.sha256).hexdigest()[:32]

    def create_checkout(self, donation) -> Checkout:
        reference = f"off_{donation.id}"
        token = self.checkout_token(donation.id)
        return Checkout(reference, f"{self.public_url}/donations/checkout/{donation.id}?token={token}")

    def charge(self, pledge) -> Charge:
        return Charge(True, f"off_charge_{uuid.uuid4().hex}")

    def decision_webhook(self, donation_id: str, reference: str, paid: bool, now: float) -> tuple[dict, bytes]:
        """The signed webhook the offline checkout page's decision becomes."""
        body = json.dumps(
            {
                "id": f"evt_off_{uuid.uuid4().hex}",
                "type": "paid" if paid else "failed",
                "reference": reference,
                "donation_id": donation_id,
            }
        ).encode()
        timestamp = int(now)
        return {"Stripe-Signature": f"t={timestamp},v1={sign(self.secret, timestamp, body)}"}, body

    def parse_webhook(self, headers: dict, raw_body: bytes, now: float) -> ProviderEvent | None:
        verify_signature(_header(headers, "Stripe-Signature"), raw_body, self.secret, now)
        event = json.loads(raw_body)
        return ProviderEvent(event["id"], event["type"], event["reference"])


class StripeProvider:
    name = "stripe"
    KINDS = {
        "checkout.session.completed": "paid",
        "checkout.session.async_payment_succeeded": "paid",
        "checkout.session.async_payment_failed": "failed",
        "checkout.session.expired": "failed",
        "charge.refunded": "refunded",
    }

    def __init__(self, api_base: str, secret_key: str, webhook_secret: str, public_url: str):
        self.api_base = api_base.rstrip("/")
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.public_url = public_url.rstrip("/")

    def _post(self, path: str, form: dict) -> dict:
        response = requests.post(
            f"{self.api_base}{path}", data=form, timeout=10, headers={"Authorization": f"Bearer {self.secret_key}"}
        )
        response.raise_for_status()
        return response.json()

    def create_checkout(self, donation) -> Checkout:
        session = self._post(
            "/v1/checkout/sessions",
            {
                "mode": "payment",
                "success_url": f"{self.public_url}/donations/thanks",
                "cancel_url": f"{self.public_url}/donations/cancelled",
                "line_items[0][quantity]": 1,
                "line_items[0][price_data][currency]": donation.currency.lower(),
                "line_items[0][price_data][unit_amount]": donation.amount_cents,
                "line_items[0][price_data][product_data][name]": "Donation",
                "metadata[donation_id]": donation.id,
                "client_reference_id": donation.id,
            },
        )
        return Checkout(session["id"], session["url"])

    def charge(self, pledge) -> Charge:
        intent = self._post(
            "/v1/payment_intents",
            {
                "amount": pledge.amount_cents,
                "currency": pledge.currency.lower(),
                "customer": pledge.provider_customer or "",
                "off_session": "true",
                "confirm": "true",
                "metadata[pledge_id]": pledge.id,
            },
        )
        return Charge(intent.get("status") == "succeeded", intent["id"])

    def parse_webhook(self, headers: dict, raw_body: bytes, now: float) -> ProviderEvent | None:
        verify_signature(_header(headers, "Stripe-Signature"), raw_body, self.webhook_secret, now)
        event = json.loads(raw_body)
        kind = self.KINDS.get(event.get("type"))
        if kind is None:
            return None
        obj = event["data"]["object"]
        if kind == "refunded":
            return ProviderEvent(event["id"], kind, "", obj.get("payment_intent") or "")
        return ProviderEvent(event["id"], kind, obj.get("id") or "", obj.get("payment_intent") or "")


def _header(headers: dict, name: str) -> str:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return ""


def provider_from(config: dict):
    public_url = config.get("PUBLIC_URL", "http://127.0.0.1:8000")
    if config.get("DONATIONS_PROVIDER", "offline") == "stripe":
        return StripeProvider(
            config.get("STRIPE_API_BASE", "https://api.stripe.com"),
            config.get("STRIPE_SECRET_KEY", ""),
            config.get("STRIPE_WEBHOOK_SECRET", ""),
            public_url,
        )
    return OfflineProvider(public_url, config.get("OFFLINE_WEBHOOK_SECRET") or "offline-provider-development-secret")


def now() -> float:
    return time.time()
