import base64
import hashlib
import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select

from donations import providers
from donations.dependencies import ProviderSettings
from donations.exceptions import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from donations.models import OUTBOX, Base, Donation, RejectedWebhook
from donations.service import DonationsService
from svclib.db import utcnow
from svclib.testing import memory_database

SECRET = "a secret for these tests only"


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
            "WIKISOCIAL_DEV_MODE": "1",
            "OFFLINE_WEBHOOK_SECRET": SECRET,
        },
    )
    for n, name in enumerate(("ann", "bob")):
        service.handle_user_registered({"event_id": f"r{n}", "user": {"id": name, "username": name}})
    return service


def donate(service, key="k1", donor="ann", client="192.0.2.1", **overrides):
    fields = {
        "amount_cents": 2500,
        "currency": "EUR",
        "recipient": "platform",
        "recurring": "none",
        "public": True,
        "message": "Thanks",
    } | overrides
    return service.start_donation(donor, idempotency_key=key, client=client, **fields)


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


def test_an_anonymous_monthly_pledge_asks_to_sign_in(service):
    with pytest.raises(Unauthenticated):
        donate(service, donor=None, recurring="monthly")


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


def test_paid_gifts_to_creators_are_facts_for_the_feeds_rebuild(service):
    confirm(service, donate(service, key="a"))  # to the platform: no creator to tell
    to_bob = donate(service, key="b", public=False, recipient="@bob")
    confirm(service, to_bob)
    donate(service, key="c", recipient="@bob")  # never paid
    confirm(service, donate(service, key="d", donor="bob", recipient="@ann", amount_cents=700), paid=False)
    from_bob = donate(service, key="e", donor="bob", recipient="@ann", amount_cents=900)
    confirm(service, from_bob)
    first = service.list_gifts_to_creators(limit=1)
    rest = service.list_gifts_to_creators(after=first["next"], limit=5)
    gifts = sorted(first["items"] + rest["items"], key=lambda g: g["id"])
    assert rest["next"] is None
    expected = sorted(
        [
            (to_bob["donation_id"], "ann", "bob", 2500, False),
            (from_bob["donation_id"], "bob", "ann", 900, True),
        ]
    )
    assert [(g["id"], g["donor_id"], g["recipient_id"], g["amount_cents"], g["public"]) for g in gifts] == expected
    assert all(g["paid_at"] and g["currency"] == "EUR" for g in gifts)
    service.handle_user_erased({"event_id": "gone", "user": {"id": "bob"}})
    # bob's gift stays, anonymous; gifts to him are nobody's to be told of
    assert [(g["donor_id"], g["recipient_id"]) for g in service.list_gifts_to_creators()["items"]] == [(None, "ann")]


def test_forged_and_stale_webhooks_are_refused_and_replays_change_nothing(service):
    started = donate(service)
    secret = SECRET
    body = b'{"id": "evt_1", "type": "paid", "reference": "off_%s"}' % started["donation_id"].encode()
    now = int(providers.now())
    good = {"Stripe-Signature": f"t={now},v1={providers.sign(secret, now, body)}"}

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


# --- nothing lets a donation be forged ---------------------------------------------------------


def test_the_offline_provider_runs_only_in_development_mode():
    for config in ({}, {"DONATIONS_PROVIDER": "offline"}, {"WIKISOCIAL_DEV_MODE": "0"}):
        with pytest.raises(providers.ProviderSettingsError):
            providers.provider_from(config)
        check = ProviderSettings()
        check.container = SimpleNamespace(config=config)
        with pytest.raises(RuntimeError, match="cannot start"):
            check.setup()
    assert providers.provider_from({"WIKISOCIAL_DEV_MODE": "1"}).name == "offline"


def test_stripe_needs_its_secrets():
    with pytest.raises(providers.ProviderSettingsError):
        providers.provider_from({"DONATIONS_PROVIDER": "stripe"})
    with pytest.raises(providers.ProviderSettingsError):
        providers.provider_from({"DONATIONS_PROVIDER": "stripe", "STRIPE_SECRET_KEY": "sk"})
    with pytest.raises(providers.ProviderSettingsError):
        providers.provider_from({"DONATIONS_PROVIDER": "paypal", "WIKISOCIAL_DEV_MODE": "1"})


def test_no_signing_secret_has_a_default():
    config = (Path(providers.__file__).resolve().parents[1] / "config.yml").read_text()
    for name, default in re.findall(r"^(\w*(?:SECRET|KEY|TOKEN|PASSWORD)\w*):\s*\$\{\w+:(.*)\}\s*$", config, re.M):
        assert default == "", name
    development = providers.provider_from({"WIKISOCIAL_DEV_MODE": "1"}).secret
    assert len(development) >= 32 and development not in Path(providers.__file__).read_text()


def test_checkout_tokens_are_random_per_donation_and_stored_hashed(service, db):
    first, second = donate(service, key="one"), donate(service, key="two")
    tokens = [started["checkout_url"].split("token=")[1] for started in (first, second)]
    assert len(set(tokens)) == 2 and all(len(token) >= 32 for token in tokens)
    with db.transaction() as tx:
        rows = {row.id: row for row in tx.session.scalars(select(Donation))}
        for started, token in zip((first, second), tokens, strict=True):
            row = rows[started["donation_id"]]
            assert row.checkout_token_hash == hashlib.sha256(token.encode()).hexdigest()
            # The token itself is kept only inside the pending donation's link, for its donor to resume.
            assert token not in repr({k: v for k, v in vars(row).items() if k != "checkout_url"})
            assert row.checkout_url == started["checkout_url"]
    with pytest.raises(Forbidden):
        service.decide_checkout(second["donation_id"], tokens[0], False)
    with pytest.raises(Forbidden):
        service.get_checkout(first["donation_id"], tokens[1])
    assert service.get_checkout(first["donation_id"], tokens[0])["status"] == "pending"


def test_a_replay_gives_a_fresh_checkout_link_and_the_old_one_stops_working(service):
    first = donate(service, key="again")
    again = donate(service, key="again")
    assert again["donation_id"] == first["donation_id"] and again["checkout_url"] != first["checkout_url"]
    with pytest.raises(Forbidden):
        confirm(service, first)
    assert confirm(service, again)["status"] == "paid"


def test_an_anonymous_key_never_answers_with_another_callers_donation(service):
    mine = donate(service, key="shared", donor=None, client="198.51.100.7")
    theirs = donate(service, key="shared", donor=None, client="203.0.113.9")
    assert theirs["donation_id"] != mine["donation_id"]
    different_body = donate(service, key="shared", donor=None, client="203.0.113.10", amount_cents=9999)
    assert different_body["donation_id"] not in (mine["donation_id"], theirs["donation_id"])
    assert donate(service, key="shared", donor=None, client="198.51.100.7")["donation_id"] == mine["donation_id"]
    assert donate(service, key="shared", donor="bob", client="198.51.100.7")["donation_id"] != mine["donation_id"]


def signed(body: bytes, secret: str = SECRET) -> dict:
    now = int(providers.now())
    return {"Stripe-Signature": f"t={now},v1={providers.sign(secret, now, body)}"}


MALFORMED = [
    b"not json at all",
    b"\xff\xfe\x00",
    b"[1, 2, 3]",
    b'"a string"',
    b"null",
    b"{}",
    b'{"id": "evt_x"}',
    b'{"id": 5, "type": "paid", "reference": "off_x"}',
    b'{"id": "evt_y", "type": "paid", "reference": ["off_x"]}',
    b'{"id": "evt_z", "type": "refunded", "reference": "off_x"}',
    b'{"id": "' + b"e" * 300 + b'", "type": "paid", "reference": "off_x"}',
    b"[" * 100_000 + b"]" * 100_000,
]


@pytest.mark.parametrize("body", MALFORMED, ids=range(len(MALFORMED)))
def test_a_signed_webhook_with_a_body_the_provider_never_sends_is_400_and_recorded(service, db, body):
    with pytest.raises(Invalid):
        service.handle_webhook("offline", signed(body), base64.b64encode(body).decode())
    with db.transaction() as tx:
        rejected = tx.session.scalars(select(RejectedWebhook)).all()
    assert [(row.provider, row.body_sha256, row.body_length) for row in rejected] == [
        ("offline", hashlib.sha256(body).hexdigest(), len(body))
    ]


STRIPE_MALFORMED = [
    b"[]",
    b'{"type": "checkout.session.completed"}',
    b'{"id": "evt_1", "type": "checkout.session.completed"}',
    b'{"id": "evt_1", "type": "checkout.session.completed", "data": []}',
    b'{"id": "evt_1", "type": "checkout.session.completed", "data": {"object": "x"}}',
    b'{"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {"id": 7}}}',
    b'{"id": "evt_1", "type": "charge.refunded", "data": {"object": {"payment_intent": {"a": 1}}}}',
]


@pytest.mark.parametrize("body", STRIPE_MALFORMED, ids=range(len(STRIPE_MALFORMED)))
def test_stripe_webhooks_with_a_body_stripe_never_sends_are_refused(body):
    stripe = providers.StripeProvider("http://stripe", "sk_test", "whsec_test", "http://gw")
    with pytest.raises(providers.MalformedWebhook):
        stripe.parse_webhook(signed(body, "whsec_test"), body, providers.now())


def test_an_absurd_signature_timestamp_is_refused(service):
    body = b'{"id": "evt_1", "type": "paid", "reference": "off_x"}'
    for stamp in ("9" * 400, "\u0661\u0662", "-5", ""):
        with pytest.raises(Invalid):
            service.handle_webhook("offline", {"Stripe-Signature": f"t={stamp},v1=00"}, base64.b64encode(body).decode())


def test_a_pending_donation_keeps_where_to_pay_until_it_is_decided(service):
    started = donate(service, key="resume")
    shown = service.my_donations("ann")["donations"][0]
    assert shown["status"] == "pending" and shown["checkout_url"] == started["checkout_url"]
    # The kept link still opens the checkout: the unpaid donation is resumed from there.
    assert confirm(service, shown)["status"] == "paid"
    assert service.my_donations("ann")["donations"][0]["checkout_url"] is None
    # A replay's fresh link replaces the kept one; a cancelled checkout keeps none.
    other = donate(service, key="resume-2", amount_cents=3000)
    again = donate(service, key="resume-2", amount_cents=3000)
    kept = {d["donation_id"]: d for d in service.my_donations("ann")["donations"]}[other["donation_id"]]
    assert kept["checkout_url"] == again["checkout_url"] != other["checkout_url"]
    confirm(service, kept, paid=False)
    assert {d["donation_id"]: d for d in service.my_donations("ann")["donations"]}[other["donation_id"]][
        "checkout_url"
    ] is None
