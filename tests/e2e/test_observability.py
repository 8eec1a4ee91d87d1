"""Every process observable, on the suite's stack (real services, real broker): one request's trace
runs from the gateway through the service it called to the feed's handler of the event that call
emitted; every metric that deploy/observability's alerts and dashboards name is served by a process."""

from __future__ import annotations

import secrets
import uuid

import requests
from prometheus_client.parser import text_string_to_metric_families

from devstack.client import PASSWORD
from devstack.observability import SYNTHETIC, named_by_deploy, served_names

from .conftest import free_port


def handled_lanes(page: str) -> set[str]:
    """The lanes (svclib.events) of the event handlers that ran in the process serving ``page``."""
    return {
        sample.labels["lane"]
        for family in text_string_to_metric_families(page)
        if family.name == "svc_event_run_seconds"
        for sample in family.samples
        if sample.name.endswith("_count") and sample.value > 0
    }


def test_one_requests_trace_runs_from_the_gateway_through_identity_to_the_feeds_handler(api, otlp, wait_until):
    request_id = uuid.uuid4().hex
    username = f"traced_{uuid.uuid4().hex[:10]}"
    response = api.post(
        "/api/v1/auth/register",
        json={"username": username, "email": f"{username}@example.com", "password": PASSWORD},
        headers={"X-Request-Id": request_id},
    )
    assert response.status_code == 201, response.text

    def gateway_span():
        return [
            s for s in otlp.spans() if s["service"] == "gateway" and s["attributes"].get("request.id") == request_id
        ]

    (root,) = wait_until(gateway_span)
    assert root["name"] == "POST /api/v1/auth/register" and root["parent_span_id"] == ""

    def whole_trace():
        spans = otlp.spans(root["trace_id"])
        by_service = {s["service"] for s in spans}
        return spans if {"gateway", "identity", "feed"} <= by_service else None

    spans = wait_until(whole_trace)
    (answered,) = [s for s in spans if s["name"] == "identity.register"]
    assert answered["parent_span_id"] == root["span_id"]  # the RPC's worker continues the request's span
    handled = [s for s in spans if s["service"] == "feed" and s["name"].endswith("feed.handle_user_registered")]
    assert len(handled) == 1, [s["name"] for s in spans]
    # The event went through identity's outbox with the worker's context in its headers.
    assert handled[0]["parent_span_id"] == answered["span_id"]


def test_every_metric_the_alerts_and_dashboards_name_is_served_by_a_process(stack, api):
    api.register("metered")  # RPC calls, events through the outbox to their handlers
    api.get("/api/v1/posts/2147483647")  # a declared error (404)
    stack.web_port = free_port()
    stack.start_web(WEB_SECRET_KEY=secrets.token_hex(16))
    try:
        stack.wait_web()
        assert requests.get(f"{stack.web_url}/", timeout=30).status_code == 200
        pages = {name: requests.get(url, timeout=10) for name, url in stack.metrics_urls().items()}
    finally:
        stack.stop("web")
    services = {"identity", "communities", "content", "feed", "donations"}
    # Each service is two processes (svclib.serve): requests, and background work (events, timers).
    assert set(pages) == {*services, *(f"{name}-background" for name in services), "gateway", "web"}
    served, sampled = set(), {}
    for name, page in pages.items():
        assert page.status_code == 200, name
        declared, counted = served_names(page.text)
        served |= declared
        sampled[name] = counted

    for where, names in named_by_deploy().items():
        assert names <= served | SYNTHETIC, (where, names - served)

    # What the journey did was counted, by the process that did it.
    assert {"svc_rpc_calls_total", "svc_rpc_seconds_bucket", "svc_outbox_backlog", "svc_db_pool_in_use"} <= sampled[
        "identity"
    ]
    assert {"svc_events_handled_total", "svc_event_lag_seconds_bucket", "svc_event_dead_letters"} <= sampled[
        "feed-background"
    ]
    assert "svc_rpc_calls_total" in sampled["feed"]
    # The feed's requests process handles only the events a member waits to see (REQUESTS_LANES: its "seen" lane).
    assert handled_lanes(pages["feed"].text) <= {"seen"} and "seen" not in handled_lanes(pages["feed-background"].text)
    assert "svc_kept_answers_total" in sampled["feed"] and "svc_rpc_errors_total" in sampled["content"]
    assert {"gateway_requests_total", "web_requests_total"} <= sampled["gateway"] | sampled["web"]
