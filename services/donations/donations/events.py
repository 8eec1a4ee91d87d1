"""Events the donations service publishes: one declared type each (svclib.contracts), emitted through it."""

from __future__ import annotations

from svclib.contracts import Event


class DonationCompleted(Event, event_type="donation_completed", entity="donation"):
    """A donation was paid. ``recipient_id`` is the creator it went to (None: to the platform); ``recurring``
    is ``none`` or the pledge's period; ``public``: whether the donor let the recipient see who and how much."""

    id: str
    donor_id: str | None
    recipient_id: str | None
    amount_cents: int
    currency: str
    public: bool
    recurring: str


class DonationRefunded(Event, event_type="donation_refunded", entity="donation"):
    """A paid donation was refunded."""

    id: str
    donor_id: str | None
    amount_cents: int
    currency: str


class PledgePastDue(Event, event_type="pledge_past_due", entity="pledge"):
    """A recurring pledge's charge kept failing: the pledge is past due."""

    id: str
    donor_id: str | None
