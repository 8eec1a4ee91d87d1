"""Prometheus metrics, aggregated across gunicorn workers when
``PROMETHEUS_MULTIPROC_DIR`` is set (gunicorn.conf.py sets it).

They are served by gunicorn's master process on ``GATEWAY_METRICS_PORT`` (9102), never on the
public port: request counts by endpoint and status are for the operator, not for everyone."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from svclib.httpmetrics import registry, render, serve  # noqa: F401 (this module's interface)

REQUESTS = Counter("gateway_requests_total", "HTTP requests answered", ["method", "endpoint", "status"])
LATENCY = Histogram(
    "gateway_request_seconds",
    "HTTP request latency",
    ["method", "endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
UNAVAILABLE = Counter("gateway_unavailable_total", "Requests answered 503 because a service did not answer")
# What became of the pages a gateway process holds (gateway.pagetags), by service (``feed``: front and home pages;
# ``post``: a post with its discussion) and what was held (``entry``: the call, or ``shares``, that a reader sees
# every reader's front page): a request ``answered`` from what was held or ``asked`` of the service; an answer
# ``kept``, or not: a change that touches it heard since it was read (``changed``), or this process not hearing
# the service's changes then (``unheard``).
HELD_PAGES = Counter(
    "gateway_held_pages_total", "Pages held by the gateway: requests and keeps", ["pages", "entry", "outcome"]
)

_children: dict[tuple[str, str, int], tuple] = {}


def observe(method: str, endpoint: str, status: int, seconds: float) -> None:
    """Count an answered request and its latency (each label set's metrics looked up once per process)."""
    key = (method, endpoint, status)
    children = _children.get(key)
    if children is None:
        children = _children[key] = (REQUESTS.labels(method, endpoint, status), LATENCY.labels(method, endpoint))
    children[0].inc()
    children[1].observe(seconds)
    if status == 503:
        UNAVAILABLE.inc()
