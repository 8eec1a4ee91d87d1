from datetime import timedelta

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select

from donations import providers
from donations.exceptions import Conflict, Forbidden, Invalid, NotFound
from donations.models import OUTBOX, Base
from donations.service import DonationsService
from svclib.db import utcnow
from svclib.testing import memory_database


class FakeClock:
    def __init__(self):
        self.moment = utcnow()

    def now(self):
        return self.moment

    def advance(self, **kwargs):
        self.moment += timedelta(**kwargs)


@pytest.fixture
def db():
    database = memory_database(Base.metadata)
    yield database
    database.dispose()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def service(db, clock):
    service = worker_factory(
        DonationsService,
        db=db,
        clock=clock,
        config={
            "DONATION_CURRENCIES": "EUR,USD",
            "CAMPAIGN_CURRENCY": "EUR",
            "CAMPAIGN_GOAL_CENTS": 100_000,
            "PUBLIC_URL": "http://gw",
        },
    )
    for n, name in enumerate(("ann", "bob")):
        service.handle_user_registered({"event_id": f"r{n}", "user": {"id": name, "username": name}})
    return service


def donate(service, key="k1", donor="ann", **overrides):
    fields = {
        "amount_cents": 2500,
        "currency": "EUR",
        "recipient": "platform",
        "recurring": "none",
        "public": True,
        "message": "Thanks",
    } | overrides
    return service.start_donation(donor, idempotency_key=key, **fields)


def confirm(service, started, paid=True):
    token = started["checkout_url"].split("token=")[1]
    return service.decide_checkout(started["donation_id"], token, paid)


def emitted(db):
    with db.transaction() as tx:
        return [row.event_type for row in tx.session.execute(select(OUTBOX).order_by(OUTBOX.c.id))]


def test_offline_donation_pays_through_the_signed_webhook(service, db):
    started = donate(service)
    assert started["status"] == "pending" and started["checkout_url"].startswith("http://gw/donations/checkout/")
    assert service.get_campaign()["raised_cents"] == 0
    done = confirm(service, started)
    assert done["status"] == "paid" and done["webhook"] == "processed"
    assert service.get_campaign() | {"ends_at": None} == {
        "goal_cents": 100_000,
        "raised_cents": 2500,
        "currency": "EUR",
        "donor_count": 1,
        "ends_at": None,
    }
    assert service.get_ledger()["items"][0]["donor"] == "ann"
    assert emitted(db) == ["donation_completed"]


def test_idempotency_key_replays_and_refuses_misuse(service):
    first = donate(service)
    assert donate(service)["donation_id"] == first["donation_id"]
    with pytest.raises(Conflict):
        donate(service, amount_cents=9999)
    assert donate(service, donor="bob")["donation_id"] != first["donation_id"]
    with pytest.raises(Invalid):
        donate(service, key="")


@pytest.mark.parametrize(
    "overrides",
    [
        {"amount_cents": 0},
        {"amount_cents": -500},
        {"amount_cents": 10**12},
        {"amount_cents": 12.5},
        {"currency": "XXX"},
        {"recurring": "weekly"},
        {"recipient": "someone"},
    ],
)
def test_bad_amounts_and_fields_are_refused(service, overrides):
    with pytest.raises(Invalid):
        donate(service, key=str(overrides), **overrides)


def test_donating_to_nobody_is_404(service):
    with pytest.raises(NotFound):
        donate(service, recipient="@ghost")


def test_anonymous_donations_show_no_name_and_creators_see_totals(service):
    confirm(service, donate(service, key="a", donor=None, public=True))
    confirm(service, donate(service, key="b", public=False, recipient="@bob"))
    confirm(service, donate(service, key="c", donor=None, recipient="@bob", amount_cents=500))
    assert service.get_ledger()["items"][0]["donor"] is None
    assert service.get_support("bob") == {
        "username": "bob",
        "totals": [{"currency": "EUR", "amount_cents": 3000}],
        "supporter_count": 2,
    }


def test_forged_and_stale_webhooks_are_refused_and_replays_change_nothing(service):
    started = donate(service)
    secret = "offline-provider-development-secret"
    body = b'{"id": "evt_1", "type": "paid", "reference": "off_%s"}' % started["donation_id"].encode()
    now = int(providers.now())
    good = {"Stripe-Signature": f"t={now},v1={providers.sign(secret, now, body)}"}
    import base64

    def send(headers, raw=body):
        return service.handle_webhook("offline", headers, base64.b64encode(raw).decode())

    with pytest.raises(Invalid):
        send({"Stripe-Signature": f"t={now},v1={'0' * 64}"})
    with pytest.raises(Invalid):
        send({"Stripe-Signature": f"t={now - 400},v1={providers.sign(secret, now - 400, body)}"})
    with pytest.raises(Invalid):
        send(good, body.replace(b"evt_1", b"evt_2"))
    assert send(good) == {"status": "processed"}
    assert send(good) == {"status": "duplicate"}
    assert service.get_campaign()["raised_cents"] == 2500


def test_checkout_links_need_their_token(service):
    started = donate(service)
    with pytest.raises(Forbidden):
        service.decide_checkout(started["donation_id"], "wrong", True)


def test_monthly_pledge_charged_by_the_timer_then_cancelled(service, clock):
    started = donate(service, recurring="monthly", amount_cents=1000)
    confirm(service, started)
    assert service.charge_due_pledges() == {}
    clock.advance(days=32)
    assert service.charge_due_pledges() == {"charged": 1}
    assert service.charge_due_pledges() == {}
    clock.advance(days=32)
    assert service.charge_due_pledges() == {"charged": 1}
    assert service.get_campaign()["raised_cents"] == 3000
    pledge = service.my_donations("ann")["pledges"][0]
    with pytest.raises(NotFound):
        service.cancel_pledge("bob", pledge["id"])
    service.cancel_pledge("ann", pledge["id"])
    clock.advance(days=40)
    assert service.charge_due_pledges() == {}
    assert service.my_donations("ann")["pledges"][0]["status"] == "canceled"


def test_failed_pledge_payments_retry_then_go_past_due(service, clock, monkeypatch):
    started = donate(service, recurring="monthly", amount_cents=1000)
    confirm(service, started)
    monkeypatch.setattr(providers.OfflineProvider, "charge", lambda self, pledge: providers.Charge(False, "declined"))
    clock.advance(days=32)
    assert service.charge_due_pledges() == {"retry": 1}
    clock.advance(hours=25)
    assert service.charge_due_pledges() == {"retry": 1}
    clock.advance(hours=25)
    assert service.charge_due_pledges() == {"past_due": 1}
    assert service.my_donations("ann")["pledges"][0]["status"] == "past_due"
