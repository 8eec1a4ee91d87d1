"""The Stripe provider against a small local fake of Stripe's API, over loopback."""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import requests

from devstack.client import Api
from donations.providers import sign

WEBHOOK_SECRET = "whsec_test_secret"


class FakeStripe:
    """Checkout Sessions and PaymentIntents, remembered for the test to inspect."""

    def __init__(self):
        self.sessions: dict[str, dict] = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                form = {
                    k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()
                }
                if self.headers.get("Authorization") != "Bearer sk_test_key":
                    return self.answer(401, {"error": {"message": "bad key"}})
                if self.path == "/v1/checkout/sessions":
                    session = {
                        "id": f"cs_test_{uuid.uuid4().hex}",
                        "url": "https://checkout.stripe.test/pay",
                        "form": form,
                    }
                    fake.sessions[session["id"]] = session
                    return self.answer(200, session)
                return self.answer(404, {"error": {"message": "unknown"}})

            def answer(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def signed(event: dict, secret=WEBHOOK_SECRET, at=None) -> tuple[bytes, dict]:
    body = json.dumps(event).encode()
    timestamp = int(at if at is not None else time.time())
    return body, {
        "Stripe-Signature": f"t={timestamp},v1={sign(secret, timestamp, body)}",
        "Content-Type": "application/json",
    }


def completed(session_id: str, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "type": "checkout.session.completed",
        "data": {"object": {"id": session_id, "payment_intent": f"pi_{session_id}"}},
    }


@pytest.fixture(scope="module")
def stripe():
    fake = FakeStripe()
    yield fake
    fake.server.shutdown()


@pytest.fixture(scope="module")
def stripe_stack(stack_factory, stripe):
    return stack_factory(
        DONATIONS_PROVIDER="stripe",
        STRIPE_API_BASE=stripe.url,
        STRIPE_SECRET_KEY="sk_test_key",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )


@pytest.fixture
def api(stripe_stack):
    return Api(stripe_stack.gateway_url)


def start(api, amount=3000):
    response = api.post(
        "/api/v1/donations",
        json={"amount_cents": amount, "currency": "EUR", "public": True},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text
    return response.json()


def session_of(stripe, started):
    return next(s for s in stripe.sessions.values() if s["form"]["metadata[donation_id]"] == started["donation_id"])


def hook(api, body, headers):
    return api.post("/api/v1/donations/webhooks/stripe", data=body, headers=headers)


def raised(api):
    return api.get("/api/v1/donations/campaign").json()["raised_cents"]


def test_checkout_session_is_created_at_stripe(api, stripe):
    started = start(api, 1500)
    assert started["checkout_url"] == "https://checkout.stripe.test/pay"
    form = session_of(stripe, started)["form"]
    assert form["line_items[0][price_data][unit_amount]"] == "1500"
    assert form["line_items[0][price_data][currency]"] == "eur"


def test_forged_and_old_webhooks_are_refused(api, stripe):
    session = session_of(stripe, start(api))
    before = raised(api)
    body, headers = signed(completed(session["id"]), secret="whsec_someone_else")
    assert hook(api, body, headers).status_code == 400
    body, headers = signed(completed(session["id"]), at=time.time() - 301)
    assert hook(api, body, headers).status_code == 400
    body, headers = signed(completed(session["id"]))
    assert hook(api, body.replace(b"checkout", b"Checkout"), headers).status_code == 400
    assert raised(api) == before


def test_a_replayed_event_changes_nothing(api, stripe):
    session = session_of(stripe, start(api, 2000))
    before = raised(api)
    body, headers = signed(completed(session["id"]))
    assert hook(api, body, headers).json()["status"] == "processed"
    assert hook(api, body, headers).json()["status"] == "duplicate"
    assert raised(api) == before + 2000


def test_two_identical_webhooks_at_once_make_one_ledger_entry(api, stripe):
    session = session_of(stripe, start(api, 3100))
    before = raised(api)
    body, headers = signed(completed(session["id"]))
    results = []
    barrier = threading.Barrier(2)

    def send():
        barrier.wait()
        results.append(
            requests.post(
                f"{api.base}/api/v1/donations/webhooks/stripe", data=body, headers=headers, timeout=10
            ).json()["status"]
        )

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["duplicate", "processed"]
    assert raised(api) == before + 3100
    entries = [e for e in api.get("/api/v1/donations/ledger?limit=100").json()["items"] if e["amount_cents"] == 3100]
    assert len(entries) == 1


def test_a_refund_is_a_negative_ledger_entry(api, stripe):
    session = session_of(stripe, start(api, 4400))
    body, headers = signed(completed(session["id"]))
    hook(api, body, headers)
    before = raised(api)
    refund = {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": "charge.refunded",
        "data": {"object": {"id": "ch_1", "payment_intent": f"pi_{session['id']}"}},
    }
    body, headers = signed(refund)
    assert hook(api, body, headers).json()["status"] == "processed"
    assert raised(api) == before - 4400
    assert api.get("/api/v1/donations/ledger").json()["items"][0]["amount_cents"] == -4400
