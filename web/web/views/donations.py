"""Donations: the campaign, giving, the payment provider's checkout round trip, one's own
donations and pledges, the public ledger."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from web.api import ApiError
from web.i18n import gettext
from web.views import api_get, call, cursor_params, done, form_page, refused, signed_in

bp = Blueprint("donations", __name__)
CURRENCIES = ("EUR", "USD", "GBP")
CHECKOUT = re.compile(r"^/donations/checkout/[A-Za-z0-9_-]+$")


def cents(text: str) -> int | None:
    try:
        amount = Decimal(text.replace(",", ".").strip())
    except (InvalidOperation, AttributeError):
        return None
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        return None
    return int(amount * 100)


@bp.route("/donate", methods=["GET", "POST"])
def donate():
    campaign = api_get("/donations/campaign")
    if request.method == "GET":
        form = {
            "amount": "10.00",
            "currency": campaign.get("currency", "EUR"),
            "recipient": request.args.get("to", "platform"),
            "recurring": "none",
            "public": "1",
            "idempotency_key": uuid.uuid4().hex,
        }
        return form_page("donations/donate.html", campaign=campaign, form=form, currencies=CURRENCIES)
    form = request.form
    amount = cents(form.get("amount", ""))
    if amount is None:
        error = ApiError(400, "validation_error", "", {"amount": [gettext("Give an amount such as 10 or 12.50.")]})
        return form_page("donations/donate.html", error, campaign=campaign, currencies=CURRENCIES)
    recipient = form.get("recipient", "platform").strip() or "platform"
    if recipient != "platform" and not recipient.startswith("@"):
        recipient = "@" + recipient
    body = {
        "amount_cents": amount,
        "currency": form.get("currency", "EUR"),
        "recipient": recipient,
        "recurring": "monthly" if form.get("recurring") == "monthly" else "none",
        "public": form.get("public") == "1",
    }
    if form.get("message", "").strip():
        body["message"] = form["message"].strip()
    key = form.get("idempotency_key") or uuid.uuid4().hex
    try:
        started = call("POST", "/donations", json=body, headers={"Idempotency-Key": key})
    except ApiError as error:
        if "amount_cents" in error.fields:
            error.fields["amount"] = error.fields.pop("amount_cents")
        return form_page("donations/donate.html", error, campaign=campaign, currencies=CURRENCIES)
    return redirect(checkout_location(started["checkout_url"]))


def checkout_location(url: str) -> str:
    """The offline provider's checkout is shown by this site; a real provider's page is theirs."""
    parts = urlsplit(url)
    if CHECKOUT.match(parts.path):
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return url


@bp.get("/donations/checkout/<donation_id>")
def checkout(donation_id: str):
    """The offline provider's page (served by the gateway), shown under this site's address."""
    response = call(
        "GET", f"/donations/checkout/{donation_id}", params={"token": request.args.get("token", "")}, raw=True
    )
    if response.status_code >= 400:
        abort(404)
    page = Response(response.content, status=response.status_code, content_type="text/html; charset=utf-8")
    page.headers["Content-Security-Policy"] = response.headers.get("Content-Security-Policy", "default-src 'none'")
    return page


@bp.post("/donations/checkout/<donation_id>/<decision>")
def decide(donation_id: str, decision: str):
    """The person's decision, handed to the provider; then back to this site's own pages."""
    if decision not in ("confirm", "cancel"):
        abort(404)
    response = call(
        "POST", f"/donations/checkout/{donation_id}/{decision}", raw=True, data={"token": request.form.get("token", "")}
    )
    if response.status_code >= 400:
        abort(404)
    if decision == "cancel":
        flash(gettext("The donation was cancelled. Nothing was charged."), "ok")
        return redirect(url_for("donations.donate"))
    return redirect(url_for("donations.thanks"))


@bp.get("/donate/thanks")
def thanks():
    return render_template("donations/thanks.html")


@bp.get("/donate/ledger")
def ledger():
    params = cursor_params()
    page = api_get("/donations/ledger", params=params)
    campaign = api_get("/donations/campaign")
    return render_template("donations/ledger.html", page=page, campaign=campaign)


@bp.get("/donate/mine")
@signed_in
def mine():
    """One's donations and pledges; an unpaid checkout can be resumed where it was left."""
    found = api_get("/me/donations")
    for donation in found.get("donations", []):
        url = donation.get("checkout_url") if donation.get("status") == "pending" else None
        donation["resume_url"] = checkout_location(url) if url else None
    return render_template("donations/mine.html", mine=found)


@bp.post("/donate/pledges/<pledge_id>/cancel")
@signed_in
def cancel_pledge(pledge_id: str):
    try:
        call("DELETE", f"/me/donations/pledges/{pledge_id}")
    except ApiError as error:
        return refused(error, url_for("donations.mine"))
    return done(gettext("The monthly gift is cancelled."), "donations.mine")
