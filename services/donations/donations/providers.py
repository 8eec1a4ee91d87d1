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
import secrets
import time
import uuid
from dataclasses import dataclass

import requests

from donations.exceptions import Invalid

TOLERANCE_SECONDS = 300
MAX_ID_LENGTH = 200


class ProviderSettingsError(RuntimeError):
    """The provider cannot run with these settings; the service refuses to start."""


class MalformedWebhook(Invalid):
    """A correctly signed webhook whose body is not what the provider sends."""


def dev_mode(config: dict) -> bool:
    """``WIKISOCIAL_DEV_MODE=1``: set by ``make run`` and the tests, never by the deploy files."""
    return str(config.get("WIKISOCIAL_DEV_MODE") or "").strip().lower() in ("1", "true", "yes")


def _event_object(raw_body: bytes) -> dict:
    try:
        event = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise MalformedWebhook("The webhook body is not JSON.") from None
    if not isinstance(event, dict):
        raise MalformedWebhook("The webhook body is not a JSON object.")
    return event


def _text(value, what: str, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value) or len(value) > MAX_ID_LENGTH or "\x00" in value:
        raise MalformedWebhook(f"The webhook's {what} is missing or not valid.")
    return value


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
    stamp = timestamps[0].strip() if timestamps else ""
    if not secret or not signatures or not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise Invalid("The webhook signature is missing or malformed.")
    timestamp = int(stamp)
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise Invalid("The webhook is too old or from the future.")
    expected = sign(secret, timestamp, raw_body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise Invalid("The webhook signature does not match.")


class OfflineProvider:
    name = "offline"

    def __init__(self, public_url: str, secret: str):
        if not secret:
            raise ProviderSettingsError("The offline provider needs a webhook signing secret.")
        self.public_url = public_url.rstrip("/")
        self.secret = secret

    def checkout_url(self, donation_id: str, token: str) -> str:
        return f"{self.public_url}/donations/checkout/{donation_id}?token={token}"

    def create_checkout(self, donation, token: str = "") -> Checkout:
        """The page where the donor decides; ``token`` is the donation's own random checkout token."""
        return Checkout(f"off_{donation.id}", self.checkout_url(donation.id, token))

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
        event = _event_object(raw_body)
        kind = event.get("type")
        if kind not in ("paid", "failed"):
            raise MalformedWebhook("The webhook's type is missing or not valid.")
        return ProviderEvent(_text(event.get("id"), "id"), kind, _text(event.get("reference"), "reference"))


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
        if not secret_key or not webhook_secret:
            raise ProviderSettingsError("Set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET to use Stripe.")
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

    def create_checkout(self, donation, token: str = "") -> Checkout:
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
        event = _event_object(raw_body)
        event_id = _text(event.get("id"), "id")
        kind = self.KINDS.get(event.get("type")) if isinstance(event.get("type"), str) else None
        if kind is None:
            return None
        data = event.get("data")
        obj = data.get("object") if isinstance(data, dict) else None
        if not isinstance(obj, dict):
            raise MalformedWebhook("The webhook has no data.object.")
        payment = _text(obj.get("payment_intent"), "payment_intent", required=False)
        if kind == "refunded":
            return ProviderEvent(event_id, kind, "", payment)
        return ProviderEvent(event_id, kind, _text(obj.get("id"), "data.object.id"), payment)


def _header(headers: dict, name: str) -> str:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return ""


_process_secret: list[str] = []


def _development_secret() -> str:
    """One random signing secret per process: the offline provider signs and verifies in the same call."""
    if not _process_secret:
        _process_secret.append(secrets.token_hex(32))
    return _process_secret[0]


def provider_from(config: dict):
    """The configured provider; ``ProviderSettingsError`` when it may not run with these settings.

    No secret has a default. The offline provider moves no money and marks donations paid on
    the donor's word, so it runs only in development mode (``WIKISOCIAL_DEV_MODE=1``), where its
    signing secret is ``OFFLINE_WEBHOOK_SECRET`` or else random for the process.
    """
    public_url = config.get("PUBLIC_URL") or "http://127.0.0.1:8000"
    name = config.get("DONATIONS_PROVIDER") or "offline"
    if name == "stripe":
        return StripeProvider(
            config.get("STRIPE_API_BASE") or "https://api.stripe.com",
            config.get("STRIPE_SECRET_KEY") or "",
            config.get("STRIPE_WEBHOOK_SECRET") or "",
            public_url,
        )
    if name != "offline":
        raise ProviderSettingsError(f"Unknown DONATIONS_PROVIDER {name!r}: use stripe (or offline in development).")
    if not dev_mode(config):
        raise ProviderSettingsError(
            "The offline provider takes no money and marks donations paid on the donor's word: it runs only "
            "with WIKISOCIAL_DEV_MODE=1. Set DONATIONS_PROVIDER=stripe with its secrets to take donations."
        )
    return OfflineProvider(public_url, config.get("OFFLINE_WEBHOOK_SECRET") or _development_secret())


def now() -> float:
    return time.time()
