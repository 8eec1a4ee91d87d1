"""Donations through the public API with the offline provider, as a donor would."""

import re
import uuid


def key():
    return uuid.uuid4().hex


def give(api, token=None, idempotency_key=None, **fields):
    body = {
        "amount_cents": 2500,
        "currency": "EUR",
        "recipient": "platform",
        "recurring": "none",
        "public": True,
    } | fields
    return api.post("/api/v1/donations", token=token, json=body, headers={"Idempotency-Key": idempotency_key or key()})


def confirm_on_checkout_page(api, checkout_url):
    page = api.session.get(checkout_url, timeout=10)
    assert page.status_code == 200 and "Confirm your donation" in page.text
    form = re.search(r'action="([^"]+/confirm)".*?name="token" value="([^"]+)"', page.text, re.S)
    done = api.session.post(api.base + form.group(1), data={"token": form.group(2)}, timeout=10)
    assert done.status_code == 200 and "Thank you" in done.text


def test_offline_donation_changes_ledger_campaign_and_badge(api, wait_until):
    donor, token = api.register("donor")
    before = api.get("/api/v1/donations/campaign").json()
    started = give(api, token, amount_cents=4200, message="For the servers")
    assert started.status_code == 201
    assert started.json()["status"] == "pending"
    confirm_on_checkout_page(api, started.json()["checkout_url"])

    after = api.get("/api/v1/donations/campaign").json()
    assert after["raised_cents"] == before["raised_cents"] + 4200
    assert after["donor_count"] == before["donor_count"] + 1
    entries = api.get("/api/v1/donations/ledger?limit=100").json()["items"]
    assert entries[0]["amount_cents"] == 4200 and entries[0]["donor"] == donor["username"]
    trust_before = api.get(f"/api/v1/users/{donor['username']}").json()["trust"]
    assert wait_until(lambda: "supporter" in api.get(f"/api/v1/users/{donor['username']}").json()["badges"])
    assert api.get(f"/api/v1/users/{donor['username']}").json()["trust"] == trust_before  # money buys no standing
    mine = api.get("/api/v1/me/donations", token=token).json()
    assert mine["donations"][0]["status"] == "paid"


def test_ledger_sum_equals_raised(api):
    _, token = api.register("summer")
    confirm_on_checkout_page(api, give(api, token, amount_cents=1234, public=False).json()["checkout_url"])
    confirm_on_checkout_page(api, give(api, None, amount_cents=766).json()["checkout_url"])
    campaign = api.get("/api/v1/donations/campaign").json()
    total, cursor = 0, None
    while True:
        page = api.get("/api/v1/donations/ledger", params={"limit": 100, **({"cursor": cursor} if cursor else {})})
        total += sum(e["amount_cents"] for e in page.json()["items"] if e["currency"] == campaign["currency"])
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    assert total == campaign["raised_cents"]
    anonymous = [e for e in api.get("/api/v1/donations/ledger").json()["items"] if e["amount_cents"] in (1234, 766)]
    assert all(e["donor"] is None for e in anonymous)


def test_idempotency_key_replay_and_misuse(api):
    _, token = api.register("careful")
    k = key()
    first = give(api, token, idempotency_key=k)
    again = give(api, token, idempotency_key=k)
    assert again.status_code == 201 and again.json()["donation_id"] == first.json()["donation_id"]
    misuse = give(api, token, idempotency_key=k, amount_cents=9900)
    assert misuse.status_code == 409
    missing = api.post("/api/v1/donations", token=token, json={"amount_cents": 100, "currency": "EUR"})
    assert missing.status_code == 400


def test_creator_support_and_unknown_recipient(api):
    creator, _ = api.register("creator")
    _, fan = api.register("fan")
    confirm_on_checkout_page(
        api, give(api, fan, recipient=f"@{creator['username']}", amount_cents=700).json()["checkout_url"]
    )
    support = api.get(f"/api/v1/users/{creator['username']}/support").json()
    assert support["totals"] == [{"currency": "EUR", "amount_cents": 700}] and support["supporter_count"] == 1
    nobody = give(api, fan, recipient=f"@nobody_{uuid.uuid4().hex[:8]}")
    assert nobody.status_code == 404
    for amount in (0, -100, 10**12):
        assert give(api, fan, amount_cents=amount).status_code == 400


def test_forged_webhook_is_refused(api):
    forged = api.post(
        "/api/v1/donations/webhooks/offline",
        data=b'{"id": "evt", "type": "paid"}',
        headers={"Stripe-Signature": "t=1,v1=deadbeef", "Content-Type": "application/json"},
    )
    assert forged.status_code == 400
    assert api.post("/api/v1/donations/webhooks/stripe", data=b"{}").status_code == 404


def test_an_unpaid_checkout_is_resumed_from_my_donations(api):
    _, token = api.register("resumer")
    started = give(api, token, amount_cents=1500).json()
    mine = api.get("/api/v1/me/donations", token=token).json()["donations"]
    kept = next(d for d in mine if d["donation_id"] == started["donation_id"])
    assert kept["status"] == "pending" and kept["checkout_url"] == started["checkout_url"]
    confirm_on_checkout_page(api, kept["checkout_url"])
    paid = next(d for d in api.get("/api/v1/me/donations", token=token).json()["donations"])
    assert paid["status"] == "paid" and paid["checkout_url"] is None
