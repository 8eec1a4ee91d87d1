"""Answers about donations: a started donation, one's own giving, the ledger, the campaign."""

from __future__ import annotations

from marshmallow import fields, validate

from gateway.schemas.base import Answer, page_of, time_field


class DonationStarted(Answer):
    donation_id = fields.String()
    status = fields.String()
    checkout_url = fields.String(allow_none=True, metadata={"description": "where the donor pays"})
    amount_cents = fields.Integer()
    currency = fields.String()
    recipient = fields.String()
    recurring = fields.String(validate=validate.OneOf(["none", "monthly"]))


class Donation(Answer):
    donation_id = fields.String()
    status = fields.String()
    amount_cents = fields.Integer()
    currency = fields.String()
    recipient = fields.String(
        allow_none=True, metadata={"description": "platform or @username; null for an erased person"}
    )
    recurring = fields.String(validate=validate.OneOf(["none", "monthly"]))
    public = fields.Boolean()
    created_at = time_field()
    checkout_url = fields.String(
        allow_none=True, metadata={"description": "while pending: where to resume paying it; null once decided"}
    )
    pledge_id = fields.String(allow_none=True)


class Pledge(Answer):
    id = fields.String()
    status = fields.String()
    amount_cents = fields.Integer()
    currency = fields.String()
    recipient = fields.String(
        allow_none=True, metadata={"description": "platform or @username; null for an erased person"}
    )
    next_charge_at = time_field(allow_none=True)


class MyDonations(Answer):
    donations = fields.List(fields.Nested(Donation))
    pledges = fields.List(fields.Nested(Pledge))


class LedgerEntry(Answer):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "payment, or refund (a negative amount)"})
    amount_cents = fields.Integer()
    currency = fields.String()
    date = time_field()
    donor = fields.String(allow_none=True, metadata={"description": "the donor's username, only if public"})


LedgerPage = page_of(LedgerEntry, "LedgerPage")


class Total(Answer):
    currency = fields.String()
    amount_cents = fields.Integer()


class Support(Answer):
    username = fields.String()
    totals = fields.List(fields.Nested(Total))
    supporter_count = fields.Integer()


class Campaign(Answer):
    goal_cents = fields.Integer()
    raised_cents = fields.Integer()
    currency = fields.String()
    donor_count = fields.Integer()
    ends_at = time_field()


class WebhookReceived(Answer):
    received = fields.Boolean()
    status = fields.String()
