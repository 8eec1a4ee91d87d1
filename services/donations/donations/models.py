from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from svclib.db import Timestamps, UTCDateTime, plumbing_tables
from svclib.users import known_users_table


class Base(Timestamps, DeclarativeBase):
    pass


OUTBOX, PROCESSED_EVENTS = plumbing_tables(Base.metadata)
KNOWN_USERS = known_users_table(Base.metadata)
# Identity announces accounts: {"user": {"id", "username", ...}}.


class Pledge(Base):
    """A monthly gift, charged by the service's timer until the donor cancels."""

    __tablename__ = "pledges"
    __table_args__ = (Index("ix_pledges_due", "status", "next_charge_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # None once the donor's account is erased (the pledge is then canceled).
    donor_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    recipient_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    next_charge_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider: Mapped[str] = mapped_column(String(20))
    provider_customer: Mapped[str | None] = mapped_column(String(100), nullable=True)


class Donation(Base):
    __tablename__ = "donations"
    __table_args__ = (UniqueConstraint("idempotency_scope", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    donor_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    recipient_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    recurring: Mapped[str] = mapped_column(String(10), default="none")
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    provider: Mapped[str] = mapped_column(String(20))
    provider_ref: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    provider_payment: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    pledge_id: Mapped[str | None] = mapped_column(ForeignKey("pledges.id"), nullable=True)
    idempotency_scope: Mapped[str | None] = mapped_column(String(40), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # SHA-256 of the donation's random checkout token (the offline provider's page); never the token.
    checkout_token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Where the donor pays while the donation is pending (the latest link given), so an unpaid
    # checkout can be resumed from "my donations"; cleared once the donation is decided.
    checkout_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class LedgerEntry(Base):
    """The public ledger: one line per payment, a negative one per refund."""

    __tablename__ = "ledger"
    __table_args__ = (UniqueConstraint("donation_id", "kind"), Index("ix_ledger_recipient", "recipient_id", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    donation_id: Mapped[str] = mapped_column(ForeignKey("donations.id"))
    kind: Mapped[str] = mapped_column(String(10))
    donor_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    recipient_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    public: Mapped[bool] = mapped_column(Boolean, default=False)


class WebhookEvent(Base):
    """Provider events already applied: a replay changes nothing."""

    __tablename__ = "webhook_events"

    provider: Mapped[str] = mapped_column(String(20), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))


class RejectedWebhook(Base):
    """Correctly signed webhooks whose body was not what the provider sends: kept for an operator."""

    __tablename__ = "rejected_webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(200))
    body_sha256: Mapped[str] = mapped_column(String(64))
    body_length: Mapped[int] = mapped_column(Integer)
    body_excerpt: Mapped[str] = mapped_column(String(500))
