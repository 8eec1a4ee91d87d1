"""Prometheus metrics of a service process, counted by svclib's entrypoints and dependencies.

Every service gets them without a line of its own: ``svclib.rpc`` counts the calls it
answers, ``svclib.events`` the events it handles, ``svclib.db`` reports its outbox and
connection pool, ``svclib.kept`` its kept answers. They are served by prometheus_client's
server on ``METRICS_PORT`` (one port per process; unset or empty: not served), started by
the first of those extensions to set up. Every series carries the ``service`` label.

What is read at scrape time (outbox backlog, dead-lettered messages, pool, kept answers)
is asked of the sources registered here while their containers run.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterable
from functools import partial

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
CPU_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)
LAG_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)

RPC_CALLS = Counter("svc_rpc_calls_total", "RPC requests answered", ["service", "method"])
RPC_ERRORS = Counter(
    "svc_rpc_errors_total",
    "RPC requests answered with an error; kind: declared (the caller's mistake, a 4xx) or fault",
    ["service", "method", "kind"],
)
RPC_SECONDS = Histogram(
    "svc_rpc_seconds",
    "Time from a request reaching a worker to its answer",
    ["service", "method"],
    buckets=LATENCY_BUCKETS,
)
RPC_EXPIRED = Counter(
    "svc_rpc_expired_total", "Requests dropped unrun: their caller's deadline had passed", ["service", "method"]
)

EVENTS_HANDLED = Counter("svc_events_handled_total", "Event deliveries handled", ["service", "source", "event"])
EVENTS_FAILED = Counter(
    "svc_events_failed_total", "Event deliveries whose handler failed", ["service", "source", "event"]
)
EVENTS_RETRIED = Counter(
    "svc_events_retried_total", "Failed events sent to their retry queue", ["service", "source", "event"]
)
EVENTS_PARKED = Counter(
    "svc_events_parked_total", "Events parked in a dead-letter queue (.dead)", ["service", "source", "event"]
)
EVENT_SECONDS = Histogram(
    "svc_event_seconds", "Time to handle an event delivery", ["service", "source", "event"], buckets=LATENCY_BUCKETS
)
# Per handler (a service may handle one event type with several handlers, each on its own queue).
EVENT_WAIT = Histogram(
    "svc_event_wait_seconds",
    "Time an event delivery waited for a free handler slot of its lane (part of svc_event_seconds)",
    ["service", "source", "event", "handler", "lane"],
    buckets=LATENCY_BUCKETS,
)
EVENT_RUN = Histogram(
    "svc_event_run_seconds",
    "Time from an event's handler getting its slot to its end (the rest of svc_event_seconds)",
    ["service", "source", "event", "handler", "lane"],
    buckets=LATENCY_BUCKETS,
)
EVENT_CPU = Histogram(
    "svc_event_cpu_seconds",
    "CPU time of an event handler's green thread (only with EVENT_CPU_SECONDS=1, svclib.greencpu)",
    ["service", "source", "event", "handler", "lane"],
    buckets=CPU_BUCKETS,
)
EVENT_LAG = Histogram(
    "svc_event_lag_seconds",
    "Time from an event's occurred_at to its handling starting",
    ["service", "source", "event"],
    buckets=LAG_BUCKETS,
)
OUTBOX_PUBLISHED = Counter("svc_outbox_published_total", "Events published from the outbox", ["service"])

_SOURCES: dict[str, weakref.WeakSet] = {"outbox": weakref.WeakSet(), "pool": weakref.WeakSet()}
_SOURCES.update(kept=weakref.WeakSet(), dead=weakref.WeakSet())
_server_lock = threading.Lock()
_server_port: int | None = None


def register(kind: str, source) -> None:
    """A source read at scrape time; ``kind`` is ``outbox``, ``pool``, ``kept`` or ``dead`` (see ``_Outbox``,
    ``_Pool``, ``_Kept`` and ``_DeadLetters``)."""
    _SOURCES[kind].add(source)


def unregister(source) -> None:
    for sources in _SOURCES.values():
        sources.discard(source)


def _each(kind: str) -> Iterable:
    return list(_SOURCES[kind])


def _safely(read: Callable[[], object], what: str):
    try:
        return read()
    except Exception as exc:  # a scrape must not fail because one source cannot answer
        log.warning("metrics: could not read %s (%s)", what, exc)
        return None


class _Outbox(Collector):
    """The outbox's backlog: sources with ``service`` and ``outbox_state()`` -> (unpublished rows, age in seconds
    of the oldest).

    The gauges read at scrape time are four collectors, one per kind of source, so that a scrape asking for some
    of them by name (``/metrics?name[]=svc_db_pool_in_use``, as ``make load`` samples the pools every half
    second) reads only those: a whole scrape also opens a broker connection for the dead-letter queues."""

    def collect(self):
        backlog = GaugeMetricFamily("svc_outbox_backlog", "Outbox rows not yet published", labels=["service"])
        oldest = GaugeMetricFamily(
            "svc_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row (0: none)", labels=["service"]
        )
        seen = set()
        for source in _each("outbox"):
            if source.service in seen:
                continue  # one process, one database per service
            state = _safely(source.outbox_state, f"{source.service}'s outbox")
            if state is not None:
                seen.add(source.service)
                backlog.add_metric([source.service], state[0])
                oldest.add_metric([source.service], state[1])
        yield backlog
        yield oldest


class _Pool(Collector):
    """The database pools: sources with ``service`` and ``pool_state()`` -> (size, in use, waiting)."""

    def collect(self):
        size = GaugeMetricFamily("svc_db_pool_size", "Connections the pool keeps open", labels=["service"])
        in_use = GaugeMetricFamily("svc_db_pool_in_use", "Pooled connections checked out", labels=["service"])
        waiting = GaugeMetricFamily(
            "svc_db_pool_waiting", "Threads waiting for a connection from the pool", labels=["service"]
        )
        for source in _each("pool"):
            state = _safely(source.pool_state, f"{source.service}'s pool")
            if state is not None:
                size.add_metric([source.service], state[0])
                in_use.add_metric([source.service], state[1])
                waiting.add_metric([source.service], state[2])
        yield size
        yield in_use
        yield waiting


class _Kept(Collector):
    """Kept answers: sources with ``service``, ``name`` and ``kept`` (an :class:`svclib.kept.Kept`)."""

    def collect(self):
        kept = CounterMetricFamily(
            "svc_kept_answers",
            "Answers asked of kept answers: hit, shared (waited for a read) or miss",
            labels=["service", "name", "result"],
        )
        for source in _each("kept"):
            stats = source.kept.stats()
            for result, key in (("hit", "hits"), ("shared", "shared"), ("miss", "misses")):
                kept.add_metric([source.service, source.name, result], stats[key])
        yield kept


class _DeadLetters(Collector):
    """Dead-letter queues: sources with ``service``, ``amqp_uri``, ``queue`` and ``dead_letters(channel)`` ->
    messages in ``<queue>.dead``, asked of the broker over one connection per broker at each scrape."""

    def collect(self):
        dead = GaugeMetricFamily(
            "svc_event_dead_letters", "Messages waiting in a dead-letter queue", labels=["service", "queue"]
        )
        by_broker: dict[str, list] = {}
        for source in _each("dead"):
            by_broker.setdefault(source.amqp_uri, []).append(source)
        for amqp_uri, sources in by_broker.items():
            counts = _safely(partial(_dead_letters, amqp_uri, sources), "dead-letter queues") or ()
            for service, queue, count in counts:
                dead.add_metric([service, queue], count)
        yield dead


def _dead_letters(amqp_uri: str, sources: list) -> list[tuple[str, str, int]]:
    """(service, dead-letter queue, messages) for event handlers on one broker, over one connection."""
    import kombu

    with kombu.Connection(amqp_uri, connect_timeout=2) as connection:
        channel = connection.default_channel
        return [(s.service, f"{s.queue.name}.dead", s.dead_letters(channel)) for s in sources]


for _collector in (_Outbox(), _Pool(), _Kept(), _DeadLetters()):
    REGISTRY.register(_collector)


def serve(port: int | str | None, host: str = "0.0.0.0") -> int | None:
    """Serve ``/metrics`` on ``port`` once per process (later calls do nothing); None when no port."""
    global _server_port
    if port in (None, ""):
        return None
    with _server_lock:
        if _server_port is None:
            from prometheus_client import start_http_server

            try:
                start_http_server(int(port), addr=host)
            except OSError as exc:
                log.error("metrics could not listen on %s:%s (%s)", host, port, exc)
                return None
            _server_port = int(port)
            log.info("metrics on http://%s:%s/metrics", host, port)
    return _server_port


def serve_from(config: dict) -> int | None:
    """Serve on the container config's ``METRICS_PORT`` (config.yml takes it from the environment),
    on ``METRICS_HOST`` (the environment's; all interfaces by default)."""
    host = config.get("METRICS_HOST") or os.environ.get("METRICS_HOST") or "0.0.0.0"
    return serve(config.get("METRICS_PORT"), str(host))
