"""DonationsService: thin entrypoints over the use cases in the handlers package."""

from __future__ import annotations

import base64
import binascii
import logging
import os
from datetime import datetime, timedelta
from pathlib import Path

from nameko.dependency_providers import Config
from nameko.timer import timer

from donations import handlers, providers
from donations.dependencies import Clock, ProviderSettings
from donations.exceptions import DonationsError, Forbidden, Invalid, NotFound
from donations.models import KNOWN_USERS, Base, Donation
from svclib import users
from svclib.db import Database
from svclib.events import event_handler
from svclib.exceptions import ServiceError
from svclib.faults import FaultLog
from svclib.rpc import rpc

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
DECLARED = (DonationsError, ServiceError)
log = logging.getLogger(__name__)
PLEDGE_CHECK_SECONDS = int(os.environ.get("PLEDGE_CHECK_SECONDS", "300"))


class DonationsService:
    name = "donations"

    db = Database(Base.metadata, MIGRATIONS)
    faults = FaultLog()  # a worker's unexpected error logged with the caller's request id
    config = Config()
    clock = Clock()
    provider_settings = ProviderSettings()  # refuses to start on settings that would let donations be forged

    # Who exists: identity's accounts, kept in known_users (svclib.users).

    @event_handler("identity", "user_registered")
    def handle_user_registered(self, payload: dict) -> None:
        user = payload["user"]
        self.db.apply_once(payload, "handle_user_registered", users.record, KNOWN_USERS, user["id"], user["username"])

    @event_handler("identity", "user_erased")
    def handle_user_erased(self, payload: dict) -> None:
        self.db.apply_once(payload, "handle_user_erased", handlers.erase_person, payload["user"]["id"])

    @rpc
    def health(self) -> dict:
        return {"service": self.name, "ok": True}

    @property
    def provider(self):
        return providers.provider_from(self.config)

    def _currencies(self) -> tuple[str, ...]:
        return tuple(c.strip().upper() for c in str(self.config.get("DONATION_CURRENCIES", "EUR")).split(","))

    def _campaign(self) -> handlers.Campaign:
        ends = str(self.config.get("CAMPAIGN_ENDS_AT", "2026-12-31T23:59:59Z")).replace("Z", "+00:00")
        return handlers.Campaign(
            int(self.config.get("CAMPAIGN_GOAL_CENTS", 5_000_000)),
            str(self.config.get("CAMPAIGN_CURRENCY", "EUR")).upper(),
            datetime.fromisoformat(ends),
        )

    def _pledge_policy(self) -> handlers.PledgePolicy:
        return handlers.PledgePolicy(
            timedelta(hours=float(self.config.get("PLEDGE_RETRY_HOURS", 24))),
            int(self.config.get("PLEDGE_MAX_FAILURES", 3)),
        )

    @rpc(expected_exceptions=DECLARED)
    def start_donation(
        self,
        donor_id: str | None,
        amount_cents: int,
        currency: str,
        recipient: str,
        recurring: str,
        public: bool,
        message: str,
        idempotency_key: str,
        client: str = "",
    ) -> dict:
        """``client``: the caller's address, which scopes an anonymous caller's Idempotency-Key."""
        with self.db.transaction() as tx:
            return handlers.start_donation(
                tx,
                self.provider,
                self._currencies(),
                donor_id,
                amount_cents,
                (currency or "").upper(),
                recipient,
                recurring,
                public,
                message,
                idempotency_key,
                client,
            )

    def _apply_webhook(self, provider, headers: dict, raw_body: bytes) -> str:
        try:
            event = provider.parse_webhook(headers, raw_body, providers.now())
        except providers.MalformedWebhook as exc:
            log.warning("rejected a signed %s webhook: %s (%d bytes)", provider.name, exc, len(raw_body))
            with self.db.transaction() as tx:
                handlers.record_rejected_webhook(tx, provider.name, str(exc), raw_body)
            raise Invalid(str(exc)) from None
        if event is None:
            return "ignored"
        with self.db.transaction() as tx:
            return handlers.apply_provider_event(tx, provider.name, event, self.clock.now())

    @rpc(expected_exceptions=DECLARED)
    def handle_webhook(self, provider_name: str, headers: dict, raw_body_base64: str) -> dict:
        provider = self.provider
        if not isinstance(headers, dict) or not isinstance(raw_body_base64, str):
            raise Invalid("Unreadable webhook.")
        if provider_name != provider.name:
            raise NotFound("This platform does not use that provider.")
        try:
            raw_body = base64.b64decode(raw_body_base64, validate=True)
        except (binascii.Error, TypeError):
            raise Invalid("Unreadable webhook body.") from None
        return {"status": self._apply_webhook(provider, headers, raw_body)}

    def _offline_donation(self, donation_id: str, token: str):
        """The offline provider, if ``token`` is this donation's own checkout token."""
        provider = self.provider
        if provider.name != "offline" or not isinstance(token, str) or not isinstance(donation_id, str):
            raise Forbidden("This checkout link is not valid.")
        with self.db.reading() as tx:
            if not handlers.checkout_token_matches(tx.session.get(Donation, donation_id), token):
                raise Forbidden("This checkout link is not valid.")
        return provider

    @rpc(expected_exceptions=DECLARED)
    def get_checkout(self, donation_id: str, token: str) -> dict:
        self._offline_donation(donation_id, token)
        with self.db.reading() as tx:
            return handlers.donation_view(tx, handlers.donation_for_checkout(tx, donation_id))

    @rpc(expected_exceptions=DECLARED)
    def decide_checkout(self, donation_id: str, token: str, paid: bool) -> dict:
        """The offline checkout page's decision, sent through the signed webhook path."""
        provider = self._offline_donation(donation_id, token)
        with self.db.reading() as tx:
            donation = handlers.donation_for_checkout(tx, donation_id)
            reference = donation.provider_ref
        headers, body = provider.decision_webhook(donation_id, reference, paid, providers.now())
        status = self._apply_webhook(provider, headers, body)
        with self.db.reading() as tx:
            return {**handlers.donation_view(tx, handlers.donation_for_checkout(tx, donation_id)), "webhook": status}

    @timer(interval=PLEDGE_CHECK_SECONDS)
    def charge_due_pledges(self) -> dict:
        """Charge every monthly pledge that is due; each in its own transaction."""
        now = self.clock.now()
        with self.db.reading() as tx:
            due = handlers.due_pledges(tx, now)
        outcomes: dict[str, int] = {}
        for pledge_id in due:
            with self.db.transaction() as tx:
                outcome = handlers.charge_pledge(tx, self.provider, pledge_id, now, self._pledge_policy())
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        return outcomes

    @rpc(expected_exceptions=DECLARED)
    def cancel_pledge(self, donor_id: str, pledge_id: str) -> None:
        with self.db.transaction() as tx:
            handlers.cancel_pledge(tx, donor_id, pledge_id)

    @rpc(expected_exceptions=DECLARED)
    def get_campaign(self) -> dict:
        with self.db.reading() as tx:
            return handlers.get_campaign(tx, self._campaign())

    @rpc(expected_exceptions=DECLARED)
    def get_ledger(self, limit: int | None = None, cursor: str | None = None, currency: str | None = None) -> dict:
        with self.db.reading() as tx:
            return handlers.get_ledger(tx, limit, cursor, currency)

    @rpc(expected_exceptions=DECLARED)
    def list_gifts_to_creators(self, after: str | None = None, limit: int = 500) -> dict:
        """Paid donations to creators, a page of facts for the feed's rebuild of its notifications."""
        with self.db.reading() as tx:
            return handlers.list_gifts_to_creators(tx, after, limit)

    @rpc(expected_exceptions=DECLARED)
    def get_support(self, username: str) -> dict:
        with self.db.reading() as tx:
            return handlers.get_support(tx, username)

    @rpc(expected_exceptions=DECLARED)
    def my_donations(self, donor_id: str) -> dict:
        with self.db.reading() as tx:
            return handlers.my_donations(tx, donor_id)

    @rpc
    def export_user(self, user_id: str) -> dict:
        with self.db.reading() as tx:
            return {"account": users.export(tx, KNOWN_USERS, user_id), **handlers.my_donations(tx, user_id)}
