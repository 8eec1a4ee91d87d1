"""Gauges read at scrape time: a scrape asking for some by name reads only their sources."""

from __future__ import annotations

from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from svclib import metrics


class Pool:
    service = "reading"

    def pool_state(self):
        return (8, 3, 1)


class DeadLetters:
    """A dead-letter source: asked only when a scrape opens a broker connection for it."""

    service = "reading"
    amqp_uri = "memory://"

    def __init__(self):
        self.queue = type("Queue", (), {"name": "evt-reading"})()
        self.asked = 0

    def dead_letters(self, channel) -> int:
        self.asked += 1
        return 0


def scraped(text: bytes) -> dict[str, float]:
    return {s.name: s.value for f in text_string_to_metric_families(text.decode()) for s in f.samples}


def test_a_scrape_of_the_pools_by_name_opens_no_broker_connection():
    pool, dead = Pool(), DeadLetters()
    metrics.register("pool", pool)
    metrics.register("dead", dead)
    try:
        pools = REGISTRY.restricted_registry(["svc_db_pool_in_use", "svc_db_pool_waiting"])
        assert scraped(generate_latest(pools)) == {"svc_db_pool_in_use": 3.0, "svc_db_pool_waiting": 1.0}
        assert dead.asked == 0  # the dead-letter queues were not asked for
        whole = scraped(generate_latest(REGISTRY))
        assert whole["svc_db_pool_size"] == 8.0 and whole["svc_event_dead_letters"] == 0.0
        assert dead.asked == 1
    finally:
        metrics.unregister(pool)
        metrics.unregister(dead)
