"""The site's Prometheus metrics: requests by endpoint and status, their latency, and the calls to the
gateway's API behind them. Counted in gunicorn's workers, served by its master on ``WEB_METRICS_PORT``
(9103; ``web.observability``), never on the public port."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter("web_requests_total", "Pages and forms answered", ["method", "endpoint", "status"])
LATENCY = Histogram(
    "web_request_seconds",
    "Time to answer a page or form",
    ["method", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
API_FAILURES = Counter(
    "web_api_failures_total", "Calls to the gateway that failed to answer (unreachable, too slow, 5xx)"
)

_children: dict[tuple[str, str, int], tuple] = {}


def observe(method: str, endpoint: str, status: int, seconds: float) -> None:
    key = (method, endpoint, status)
    children = _children.get(key)
    if children is None:
        children = _children[key] = (REQUESTS.labels(method, endpoint, status), LATENCY.labels(method, endpoint))
    children[0].inc()
    children[1].observe(seconds)
