"""Donations: gifts to the platform and to creators, the campaign, the public ledger,
payment-provider webhooks and the offline provider's checkout page."""

from __future__ import annotations

import base64
import html

from flask import Blueprint, Response, g, jsonify, request

from gateway.auth import current_caller, login_required
from gateway.errors import ApiError
from gateway.openapi.views import header
from gateway.routes import IDEMPOTENCY_KEY, body, doc, query, services
from gateway.schemas import (
    Campaign,
    CheckoutDecision,
    CheckoutQuery,
    DonationRequest,
    DonationStarted,
    LedgerPage,
    LedgerQuery,
    MyDonations,
    Support,
    WebhookReceived,
)

bp = Blueprint("donations", __name__)
API = "/api/v1"
WEBHOOK_HEADERS = ("Stripe-Signature",)
SIGNATURE = header(
    "Stripe-Signature", "t=<unix time>,v1=<HMAC-SHA256 of 't.body' with the webhook secret>; without it, a 400"
)
WEBHOOK_BODY = {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}
DECISION = {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": CheckoutDecision}}}


@bp.get(f"{API}/donations/campaign")
@doc("The fundraising campaign, live", response=Campaign, tag="Donations")
def campaign():
    return jsonify(services().call("donations", "get_campaign"))


@bp.post(f"{API}/donations")
@doc(
    "Give to the platform or to @username, once or monthly (Idempotency-Key header required)",
    DonationRequest,
    DonationStarted,
    201,
    tag="Donations",
    optional_auth=True,
    headers=(IDEMPOTENCY_KEY,),
    errors=(404, 409, 429),
)
def donate():
    data = body(DonationRequest)
    caller = current_caller(required=False)
    key = request.headers.get("Idempotency-Key", "")
    if not key:
        raise ApiError(400, "validation_error", "Send an Idempotency-Key header.", {"Idempotency-Key": ["Required."]})
    started = services().call(
        "donations",
        "start_donation",
        caller["id"] if caller else None,
        data["amount_cents"],
        data["currency"],
        data["recipient"],
        data["recurring"],
        data["public"],
        data["message"],
        key,
        request.remote_addr or "",  # an anonymous caller's keys are scoped to its address
    )
    return jsonify(
        {
            k: started[k]
            for k in ("donation_id", "status", "checkout_url", "amount_cents", "currency", "recipient", "recurring")
        }
    ), 201


@bp.post(f"{API}/donations/webhooks/<provider>")
@doc(
    "Signed payment-provider callback; replays are harmless",
    response=WebhookReceived,
    tag="Donations",
    headers=(SIGNATURE,),
    body=WEBHOOK_BODY,
)
def webhook(provider: str):
    raw = request.get_data(cache=False)
    headers = {name: request.headers[name] for name in WEBHOOK_HEADERS if name in request.headers}
    result = services().call("donations", "handle_webhook", provider, headers, base64.b64encode(raw).decode())
    return jsonify({"received": True, **result})


@bp.get(f"{API}/donations/ledger")
@doc(
    "The public ledger: paid donations and refunds, names only where public",
    response=LedgerPage,
    tag="Donations",
    query=LedgerQuery,
)
def ledger():
    return jsonify(services().call("donations", "get_ledger", **query(LedgerQuery)))


@bp.get(f"{API}/me/donations")
@login_required
@doc("Your donations and monthly pledges", response=MyDonations, auth=True, tag="Donations")
def my_donations():
    return jsonify(services().call("donations", "my_donations", g.caller["id"]))


@bp.delete(f"{API}/me/donations/pledges/<pledge_id>")
@login_required
@doc("Cancel a monthly pledge", status=204, auth=True, tag="Donations", errors=(403,))
def cancel_pledge(pledge_id: str):
    services().call("donations", "cancel_pledge", g.caller["id"], pledge_id)
    return "", 204


@bp.get(f"{API}/users/<username>/support")
@doc("What a creator has received", response=Support, tag="Donations")
def support(username: str):
    return jsonify(services().call("donations", "get_support", username))


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>{title}</h1>{content}</main></body></html>"""


def page(title: str, content: str, status: int = 200) -> Response:
    response = Response(
        PAGE.format(title=html.escape(title), content=content), status=status, content_type="text/html; charset=utf-8"
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; form-action 'self'; base-uri 'none'"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def _amount(donation: dict) -> str:
    return f"{donation['amount_cents'] / 100:.2f} {html.escape(donation['currency'])}"


@bp.get("/donations/checkout/<donation_id>")
@doc(
    "The offline provider's checkout page (HTML), where the donor confirms or cancels",
    tag="Donations",
    query=CheckoutQuery,
    media="text/html",
    errors=(403,),
)
def checkout(donation_id: str):
    """The offline provider's checkout: no money moves; the decision comes back as a signed webhook."""
    token = request.args.get("token", "")
    donation = services().call("donations", "get_checkout", donation_id, token)
    if donation["status"] != "pending":
        return page("Donation", f"<p>This donation is {html.escape(donation['status'])}.</p>")
    forms = "".join(
        f'<form method="post" action="/donations/checkout/{html.escape(donation_id)}/{action}">'
        f'<input type="hidden" name="token" value="{html.escape(token)}"><button>{label}</button></form>'
        for action, label in (("confirm", "Confirm the donation"), ("cancel", "Cancel"))
    )
    what = "every month" if donation["recurring"] == "monthly" else "once"
    return page(
        "Confirm your donation",
        f"<p>{_amount(donation)} to {html.escape(donation['recipient'] or 'a deleted member')}, {what}.</p>{forms}",
    )


def _decide(donation_id: str, paid: bool) -> Response:
    donation = services().call("donations", "decide_checkout", donation_id, request.form.get("token", ""), paid)
    if donation["status"] == "paid":
        return page("Thank you", f"<p>{_amount(donation)} received. Thank you for keeping this place free.</p>")
    return page("Donation cancelled", "<p>Nothing was charged.</p>")


@bp.post("/donations/checkout/<donation_id>/confirm")
@doc("The checkout page's confirmation (HTML form)", tag="Donations", body=DECISION, media="text/html", errors=(403,))
def confirm(donation_id: str):
    return _decide(donation_id, True)


@bp.post("/donations/checkout/<donation_id>/cancel")
@doc("The checkout page's cancellation (HTML form)", tag="Donations", body=DECISION, media="text/html", errors=(403,))
def cancel(donation_id: str):
    return _decide(donation_id, False)
