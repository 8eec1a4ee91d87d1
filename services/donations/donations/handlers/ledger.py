"""What the ledger shows: the campaign's progress, the public ledger, a person's support, one's own giving."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from donations.handlers.checkout import donation_view
from donations.handlers.people import ERASED_RECIPIENT, find_person, names_of, recipient_named
from donations.models import Donation, LedgerEntry, Pledge
from svclib import pagination
from svclib.db import Transaction, isoformat


@dataclass(frozen=True)
class Campaign:
    goal_cents: int
    currency: str
    ends_at: datetime


def get_campaign(tx: Transaction, settings: Campaign) -> dict:
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


def get_ledger(tx: Transaction, limit: int | None, cursor: str | None, currency: str | None = None) -> dict:
    """The platform's public ledger, newest first: names only of donors who chose to be public."""
    query = select(LedgerEntry).where(LedgerEntry.recipient_id.is_(None))
    if currency:
        query = query.where(LedgerEntry.currency == currency)

    def dump(rows: list[LedgerEntry]) -> list[dict]:
        names = names_of(tx, {row.donor_id for row in rows if row.public and row.donor_id})
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


def get_support(tx: Transaction, username: str) -> dict:
    user = find_person(tx, username=username)
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


def my_donations(tx: Transaction, donor_id: str) -> dict:
    donations = tx.session.scalars(
        select(Donation).where(Donation.donor_id == donor_id).order_by(Donation.created_at.desc()).limit(200)
    ).all()
    pledges = tx.session.scalars(select(Pledge).where(Pledge.donor_id == donor_id).order_by(Pledge.created_at)).all()
    names = names_of(tx, {p.recipient_id for p in pledges if p.recipient_id})
    return {
        "donations": [donation_view(tx, d) for d in donations],
        "pledges": [
            {
                "id": p.id,
                "status": p.status,
                "amount_cents": p.amount_cents,
                "currency": p.currency,
                "recipient": recipient_named(names, p.recipient_id),
                "next_charge_at": isoformat(p.next_charge_at),
            }
            for p in pledges
        ],
    }


def list_gifts_to_creators(tx: Transaction, after: str | None, limit: int) -> dict:
    """Paid donations to creators, in id order, as ``donation_completed`` told them (for the feed's
    notifications' rebuild): ``{"items", "next"}``, ``next`` None on the last page."""
    limit, after = pagination.facts_limit(limit), pagination.facts_after(after)
    query = (
        select(Donation)
        .where(
            Donation.paid_at.is_not(None),
            Donation.recipient_id.is_not(None),
            Donation.recipient_id != ERASED_RECIPIENT,
        )
        .order_by(Donation.id)
        .limit(limit)
    )
    if after:
        query = query.where(Donation.id > after)
    rows = tx.session.scalars(query).all()
    items = [
        {
            "id": row.id,
            "donor_id": row.donor_id,
            "recipient_id": row.recipient_id,
            "amount_cents": row.amount_cents,
            "currency": row.currency,
            "public": row.public,
            "paid_at": isoformat(row.paid_at),
        }
        for row in rows
    ]
    return pagination.facts_page(items, [row.id for row in rows], limit)
