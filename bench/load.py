"""``make load``: members' visits (bench/load_visit.py) played by Locust, headless and bounded in time,
against a stack seeded at ``--scale`` as ``make bench-feed`` seeds it (bench/seed.py), measured after
``--warmup`` seconds of the same visits (30; figures of a stack that has served a while, not of one just started).

Reports, in ``bench/results/load-<scale>-<timestamp>.json`` and a PNG beside it: req/s, p50/p95/p99
and errors per request type and overall; the feed's kept-page hits and misses (its ``health`` RPC,
before and after); CPU seconds per component (bench/cpu.py); the peak number of PostgreSQL
connections to the stack's databases (pg_stat_activity, sampled every half second); and, measured
beside the visits by a probe of its own (``Freshness``), how long after the gateway's answer a new
post shows on its subwiki's newest page and a reply shows in its post's author's unread count. Then the same
visits once more, paced at ``--paced`` (0.6) of the throughput just measured: the latency at a rate the stack
keeps up with (``paced`` in the JSON).
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from bench import cpu
from bench.feed import RESULTS, newcomer
from bench.seed import seed
from devstack import infra
from devstack.stack import ROOT, Stack
from svclib.db import make_engine, migrate
from svclib.migrations import migrations_dir

LOCUST = ROOT / "var" / "load-venv" / "bin" / "locust"
READERS_AT_FULL_SCALE = 10_000


def install_locust() -> None:
    """A virtualenv of its own, from requirements/load.txt (locust brings gevent and its own pins)."""
    venv = LOCUST.parent.parent
    stamp = venv / ".installed"
    lock = ROOT / "requirements" / "load.txt"
    if stamp.exists() and stamp.read_text() == lock.read_text():
        return
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-r", str(lock)], check=True)
    stamp.write_text(lock.read_text())


def kept_sessions(identity_url: str, usernames: list[str]) -> dict[str, str]:
    """A session for each reader, as a sign-in before the run would have left it (identity's ``sessions`` row:
    the token's SHA-256, 30 days to live), written straight into identity's database as the seed writes its
    rows: 10,000 sign-ins through the gateway would take argon2 minutes. ``{username: token}``."""
    now = datetime.now(UTC)
    expires = now + timedelta(days=30)
    with psycopg.connect(identity_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        ids = dict(conn.execute("SELECT username, id FROM users WHERE username = ANY(%s)", (usernames,)).fetchall())
        tokens = {name: secrets.token_urlsafe(32) for name in ids}
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO sessions (id, user_id, token_hash, expires_at, created_at, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    (uuid.uuid4().hex, ids[name], hashlib.sha256(token.encode()).hexdigest(), expires, now, now)
                    for name, token in tokens.items()
                ],
            )
    return tokens


def visit_data(urls: dict[str, str], seeded, scale: float, path) -> dict:
    """What the visits draw from: seeded accounts to sign in as, subwikis, posts, authors' names."""
    readers = max(100, int(READERS_AT_FULL_SCALE * scale))
    readers = min(readers, len(seeded.users))
    with psycopg.connect(urls["content"].replace("postgresql+psycopg://", "postgresql://")) as conn:
        posts = conn.execute("SELECT id, subwiki_slug FROM posts ORDER BY random() LIMIT 5000").fetchall()
    names = [f"user{i}" for i in range(readers)]
    sessions = kept_sessions(urls["identity"], names)
    slugs = [slug for _, slug in seeded.subwikis]
    where = {slug: i for i, slug in enumerate(slugs)}
    belongs: dict[str, list[int]] = {}
    with psycopg.connect(urls["communities"].replace("postgresql+psycopg://", "postgresql://")) as conn:
        rows = conn.execute(
            "SELECT k.username, s.slug FROM memberships m JOIN known_users k ON k.id = m.user_id"
            " JOIN subwikis s ON s.id = m.subwiki_id WHERE k.username = ANY(%s)",
            (names,),
        ).fetchall()
    for name, slug in rows:
        belongs.setdefault(name, []).append(where[slug])
    data = {
        "readers": names,
        "sessions": sessions,
        "password": "benchmark password",
        "slugs": slugs,
        "posts": [list(row) for row in posts],
        "authors": [f"user{i}" for i in range(min(len(seeded.users), 50_000))],
        "memberships": belongs,  # each reader's subwikis, as indexes into "slugs"
    }
    path.write_text(json.dumps(data))
    return {
        "readers": readers,
        "readers_memberships_mean": round(len(rows) / max(1, len(belongs)), 1),
        "kept_sessions": len(sessions),
        "posts_drawn_from": len(posts),
        "subwikis": len(seeded.subwikis),
    }


class ConnectionPeak(threading.Thread):
    """Samples pg_stat_activity for the stack's databases until stopped; keeps the peak."""

    def __init__(self, url: str, databases: list[str]):
        super().__init__(daemon=True)
        self.url, self.databases = url, databases
        self.peak, self.samples, self.stopping = 0, [], threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stopping.wait(0.5):
                count = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = ANY(%s)", (self.databases,)
                ).fetchone()[0]
                self.samples.append(count)
                self.peak = max(self.peak, count)


class Statements:
    """What PostgreSQL spent its time on in the stack's databases while the visits ran, from
    ``pg_stat_statements`` when the server loads it (``shared_preload_libraries``; an operator's choice, so it
    is never turned on here): the statements reset for those databases alone before the visits, the
    ``TOP`` by total time read after them. Without it, the report says so."""

    TOP = 10

    def __init__(self, url: str, databases: dict[str, str]):
        self.url, self.databases = url, databases  # service: database name
        self.available = False

    def start(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            loaded = conn.execute("SHOW shared_preload_libraries").fetchone()[0]
            if "pg_stat_statements" not in loaded:
                return
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            for oid in self._oids(conn):
                conn.execute("SELECT pg_stat_statements_reset(0::oid, %s::oid, 0::bigint)", (oid,))
        self.available = True

    def _oids(self, conn) -> list[int]:
        names = list(self.databases.values())
        return [row[0] for row in conn.execute("SELECT oid FROM pg_database WHERE datname = ANY(%s)", (names,))]

    def summary(self) -> dict:
        if not self.available:
            return {"available": False}
        service = {name: service for service, name in self.databases.items()}
        with psycopg.connect(self.url, autocommit=True) as conn:
            rows = conn.execute(
                """SELECT d.datname, s.calls, s.total_exec_time, s.shared_blks_hit + s.shared_blks_read, s.query
                FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
                WHERE d.datname = ANY(%s) ORDER BY s.total_exec_time DESC LIMIT %s""",
                (list(self.databases.values()), self.TOP),
            ).fetchall()
        return {
            "available": True,
            "top_by_total_time": [
                {
                    "service": service[name],
                    "calls": calls,
                    "total_ms": round(total, 1),
                    "mean_ms": round(total / calls, 3) if calls else None,
                    "pages_a_call": round(pages / calls) if calls else None,
                    "query": " ".join(query.split())[:300],
                }
                for name, calls, total, pages, query in rows
            ],
        }


class PoolSampler(threading.Thread):
    """Samples a process's database pool (svclib.metrics: connections in use, green threads waiting for one)
    every half second until stopped.

    It asks for the two gauges by name: a whole scrape of a feed process (every histogram of its handlers and
    calls, and a broker connection for its dead-letter queues) twice a second cost the feed a fifth of its
    CPU in a run (py-spy, 2026-12-05), which the run then counted as the feed's."""

    NAMES = ("svc_db_pool_in_use", "svc_db_pool_waiting")

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = url + "?" + "&".join(f"name[]={name}" for name in self.NAMES)
        self.in_use, self.waiting, self.stopping = [], [], threading.Event()

    def run(self) -> None:
        from prometheus_client.parser import text_string_to_metric_families

        while not self.stopping.wait(0.5):
            try:
                text = requests.get(self.url, timeout=5).text
            except requests.RequestException:
                continue
            for family in text_string_to_metric_families(text):
                if family.name in ("svc_db_pool_in_use", "svc_db_pool_waiting"):
                    total = sum(sample.value for sample in family.samples)
                    (self.in_use if family.name == "svc_db_pool_in_use" else self.waiting).append(total)

    def summary(self) -> dict:
        def figures(values: list[float]) -> dict:
            return {"mean": round(sum(values) / len(values), 2), "max": max(values)} if values else {}

        return {"in_use": figures(self.in_use), "waiting": figures(self.waiting), "samples": len(self.waiting)}


class Freshness(threading.Thread):
    """Under the visits' load: after the gateway answered a write, how long until a reader sees it.

    Two accounts of its own (registered and joined to one seeded subwiki before the visits start), in
    turn about once a second until stopped: the author posts, and the time until the post is among its
    subwiki's five newest (``GET /subwikis/<slug>/posts?sort=new``) is a post's freshness; the other
    replies to it, and the time until the author's unread count (``GET /notifications/unread``) rises
    is a notification's delivery; then the author marks everything read. Polled every ``POLL`` seconds;
    a write not seen within ``LIMIT`` seconds counts as never seen.
    """

    POLL = 0.05  # every poll is a request the visits do not count: a finer one would add a load of its own
    LIMIT = 10.0
    PAUSE = 1.0

    def __init__(self, gateway_url: str, slug: str):
        super().__init__(daemon=True)
        self.api, self.slug = f"{gateway_url}/api/v1", slug
        self.stopping = threading.Event()
        self.errors: list[str] = []
        self.post_ms: list[float] = []
        self.notification_ms: list[float] = []
        self.session = requests.Session()
        self.author = {"Authorization": f"Bearer {newcomer(self.api, slug)}"}
        self.replier = {"Authorization": f"Bearer {newcomer(self.api, slug)}"}

    def _until(self, check) -> float:
        started = time.perf_counter()
        while time.perf_counter() - started < self.LIMIT:
            if check():
                return (time.perf_counter() - started) * 1e3
            time.sleep(self.POLL)
        return float("inf")

    def _get(self, path: str, headers: dict | None = None) -> dict:
        response = self.session.get(f"{self.api}{path}", headers=headers, timeout=10)
        response.raise_for_status()
        return response.json()

    def sample(self, n: int) -> None:
        made = self.session.post(
            f"{self.api}/subwikis/{self.slug}/posts",
            headers=self.author,
            json={"kind": "text", "title": f"Fresh under load {n}", "body": f"Probe {uuid.uuid4().hex}."},
            timeout=10,
        )
        made.raise_for_status()
        post_id = made.json()["id"]
        newest = f"/subwikis/{self.slug}/posts?sort=new&limit=5"
        self.post_ms.append(self._until(lambda: any(i["post"]["id"] == post_id for i in self._get(newest)["items"])))
        self.session.post(
            f"{self.api}/posts/{post_id}/comments",
            headers=self.replier,
            json={"body": f"A reply {uuid.uuid4().hex}."},
            timeout=10,
        ).raise_for_status()
        self.notification_ms.append(self._until(lambda: self._get("/notifications/unread", self.author)["unread"] > 0))
        self.session.post(f"{self.api}/notifications/read", headers=self.author, json={}, timeout=10)

    def run(self) -> None:
        n = 0
        while not self.stopping.wait(self.PAUSE):
            try:
                self.sample(n)
            except requests.RequestException as error:  # an error of the stack under load: counted, not fatal
                self.errors.append(str(error)[:200])
            n += 1

    def summary(self) -> dict:
        def figures(values: list[float]) -> dict:
            seen = sorted(v for v in values if v != float("inf"))
            if not seen:
                return {"samples": len(values), "never_seen": len(values)}
            return {
                "samples": len(values),
                "p50_ms": round(seen[len(seen) // 2], 1),
                "p99_ms": round(seen[min(len(seen) - 1, int(len(seen) * 0.99))], 1),
                "max_ms": round(seen[-1], 1),
                "never_seen": len(values) - len(seen),
            }

        return {
            "post_on_its_subwiki_page": figures(self.post_ms),
            "reply_in_authors_unread_count": figures(self.notification_ms),
            "errors": self.errors,
            "poll_s": self.POLL,
        }


# The feed's event figures (svclib.metrics, from both its processes: REQUESTS_LANES), per handler: time waiting
# for a slot of its lane, time from the slot to the end, and the handler's own CPU (EVENT_CPU_SECONDS=1,
# svclib.greencpu).
HANDLER_FAMILIES = {"svc_event_wait_seconds": "wait", "svc_event_run_seconds": "run", "svc_event_cpu_seconds": "cpu"}


def metric_samples(urls: list[str]):
    """Each ``(family, sample)`` of the processes' ``/metrics`` at ``urls``, read once each."""
    from prometheus_client.parser import text_string_to_metric_families

    text = "".join(requests.get(url, timeout=10).text for url in urls)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            yield family, sample


def handler_sums(urls: list[str]) -> dict[str, dict[str, list[float]]]:
    """``{handler: {"wait"|"run"|"cpu": [sum, count]}}`` read from processes' ``/metrics``."""
    sums: dict[str, dict[str, list[float]]] = {}
    for family, sample in metric_samples(urls):
        what = HANDLER_FAMILIES.get(family.name)
        suffix = sample.name.removeprefix(family.name)
        if what and suffix in ("_sum", "_count"):
            pair = sums.setdefault(sample.labels["handler"], {}).setdefault(what, [0.0, 0.0])
            pair[suffix == "_count"] += sample.value
    return sums


def handler_figures(before: dict, after: dict) -> dict[str, dict]:
    """Per handler over the run: events handled, mean wait for a slot, mean time in the handler, mean CPU (ms)."""
    figures = {}
    for handler, kinds in after.items():
        row = {}
        for what, (total, count) in kinds.items():
            was_total, was_count = before.get(handler, {}).get(what, [0.0, 0.0])
            if count - was_count:
                row["events"] = int(count - was_count)
                row[f"{what}_ms"] = round((total - was_total) / (count - was_count) * 1e3, 2)
        if row:
            figures[handler] = row
    return dict(sorted(figures.items(), key=lambda item: -item[1]["events"]))


# What the services did for the load, from every process's /metrics (svclib.metrics): RPC requests answered and
# event deliveries handled, by service and by method or event.
MESSAGE_FAMILIES = {"svc_rpc_calls": ("rpc", "method"), "svc_events_handled": ("events", "event")}


def message_counts(urls: list[str]) -> dict[str, dict[str, float]]:
    """``{"rpc"|"events": {"service.method": count}}`` summed over the processes' ``/metrics``."""
    counts: dict[str, dict[str, float]] = {"rpc": {}, "events": {}}
    for family, sample in metric_samples(urls):
        kind = MESSAGE_FAMILIES.get(family.name)
        if kind and sample.name.endswith("_total"):
            key = f"{sample.labels['service']}.{sample.labels[kind[1]]}"
            counts[kind[0]][key] = counts[kind[0]].get(key, 0.0) + sample.value
    return counts


def messages_a_request(before: dict, after: dict, requests_made: int) -> dict:
    """Per request of the load: RPC requests and event deliveries handled, by service, and the ten most frequent
    of each kind by method or event."""
    figures: dict[str, dict] = {}
    if not requests_made:
        return figures
    for kind, now in after.items():
        grew = {key: now[key] - before.get(kind, {}).get(key, 0.0) for key in now}
        grew = {key: n for key, n in grew.items() if n > 0}
        by_service: dict[str, float] = {}
        for key, n in grew.items():
            service = key.split(".", 1)[0]
            by_service[service] = by_service.get(service, 0.0) + n
        top = sorted(grew.items(), key=lambda item: -item[1])[:10]
        figures[kind] = {
            "all": round(sum(grew.values()) / requests_made, 3),
            "by_service": {k: round(n / requests_made, 3) for k, n in sorted(by_service.items())},
            "most": {k: round(n / requests_made, 3) for k, n in top},
        }
    return figures


def kept_answers(amqp_uri: str) -> dict:
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as rpc:
        return rpc.feed.health()["kept_answers"]


def held_pages(url: str) -> dict[str, dict[str, float]]:
    """The gateway's ``gateway_held_pages_total`` (its master's /metrics, all workers): ``{"pages:entry": {outcome:
    n}}``."""
    held: dict[str, dict[str, float]] = {}
    for _, sample in metric_samples([url]):
        if sample.name == "gateway_held_pages_total":
            held.setdefault(f"{sample.labels['pages']}:{sample.labels['entry']}", {})[sample.labels["outcome"]] = (
                sample.value
            )
    return held


def held_over(before: dict, after: dict) -> dict:
    """What became of the gateway's held pages over the run, by kind: each outcome's count, and the share of
    requests answered from what was held."""
    over = {}
    for pages, outcomes in sorted(after.items()):
        counts = {o: int(n - before.get(pages, {}).get(o, 0)) for o, n in sorted(outcomes.items())}
        asked = counts.get("answered", 0) + counts.get("asked", 0)
        over[pages] = {**counts, "answered_share": round(counts.get("answered", 0) / asked, 3) if asked else None}
    return over


def kept_by_kind(before: dict, after: dict) -> dict:
    """The feed's kept pages over the run by kind of page (the page function asked: ``public_feed``,
    ``subwiki_feed``, ``home_feed`` ...): answers asked, and the share answered kept (hits and shared reads)."""
    kinds = {}
    for kind, counts in sorted(after.get("kinds", {}).items()):
        was = before.get("kinds", {}).get(kind, {})
        hits = counts["hits"] - was.get("hits", 0) + counts["shared"] - was.get("shared", 0)
        asked = hits + counts["misses"] - was.get("misses", 0)
        if asked:
            kinds[kind] = {"asked": asked, "hit_rate": round(hits / asked, 3)}
    return kinds


def locust_stats(csv_path) -> dict:
    stats = {}
    with open(csv_path) as handle:
        for row in csv.DictReader(handle):
            name = "overall" if row["Name"] == "Aggregated" else row["Name"]
            stats[name] = {
                "requests": int(row["Request Count"]),
                "errors": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 1),
                "p50_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]),
                "p99_ms": float(row["99%"]),
            }
    return stats


@dataclass
class Seeded:
    """A stack started on data seeded for the visits (``seeded_stack``)."""

    stack: Stack
    amqp_uri: str
    databases: dict[str, str]  # service: database name
    urls: dict[str, str]
    seeded: object
    drawn: dict
    work: Path
    seed_seconds: float


@contextmanager
def seeded_stack(scale: float, handler_cpu: bool = False) -> Iterator[Seeded]:
    """A vhost and databases of its own, seeded at ``scale`` with the visits' data, and the stack started on
    them (gateway: 2 workers of 4 threads); all of it stopped and dropped at the end."""
    broker, postgres = infra.find_broker(), infra.find_postgres()
    vhost = broker.create_vhost(f"bench-load-{uuid.uuid4().hex[:8]}")
    run_id = uuid.uuid4().hex[:8]
    names = {s: f"benchload_{s}_{run_id}" for s in infra.SERVICES}
    urls = {s: postgres.create(db) for s, db in names.items()}
    work = ROOT / "var" / "bench" / f"load-{run_id}"
    work.mkdir(parents=True, exist_ok=True)
    stack = None
    try:
        for service, url in urls.items():
            engine = make_engine(url)
            migrate(engine, migrations_dir(service))
            engine.dispose()
        started = time.monotonic()
        seeded = seed(urls, scale, readers=max(100, int(READERS_AT_FULL_SCALE * scale)))
        seed_seconds = round(time.monotonic() - started, 1)
        drawn = visit_data(urls, seeded, scale, work / "data.json")
        env = {f"{s.upper()}_DATABASE_URL": url for s, url in urls.items()}
        env.update(AMQP_URI=broker.uri(vhost), GATEWAY_WORKERS="2", GATEWAY_THREADS="4")
        if handler_cpu:  # a tracer on every green thread switch: it costs the services CPU of its own
            env["EVENT_CPU_SECONDS"] = "1"
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        stack = Stack(env, port, work)
        stack.start_all()
        yield Seeded(stack, broker.uri(vhost), names, urls, seeded, drawn, work, seed_seconds)
    finally:
        if stack is not None:
            stack.stop_all()
        for db in names.values():
            postgres.drop(db)
        broker.delete_vhost(vhost)


def locust(
    gateway_url: str, work: Path, users: int, seconds: int, env: dict | None = None, classes=(), prefix: str = "locust"
) -> None:
    """Locust playing bench/load_visit.py headless for ``seconds`` at ``users``; figures in ``work/locust_*.csv``."""
    subprocess.run(
        [
            str(LOCUST),
            "-f",
            str(ROOT / "bench" / "load_visit.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{seconds}s",
            "--stop-timeout",
            "10",
            "--host",
            gateway_url,
            "--csv",
            str(work / prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            *classes,
        ],
        env={**os.environ, "LOAD_DATA": str(work / "data.json"), **(env or {})},
        check=False,
    )


def run(args: argparse.Namespace) -> dict:
    with seeded_stack(args.scale, args.handler_cpu) as at:
        stack, work, names, urls, seeded = at.stack, at.work, at.databases, at.urls, at.seeded
        amqp_uri = at.amqp_uri
        if args.warmup:  # the same visits, not measured: a stack that has run a while, not one just started
            locust(stack.gateway_url, work, args.concurrency, args.warmup, classes=["Member"], prefix="warmup")
        kept_before = kept_answers(amqp_uri)
        held_before = held_pages(stack.metrics_url)
        feed_metrics = [stack.metrics_urls()[name] for name in ("feed", "feed-background")]
        handlers_before = handler_sums(feed_metrics)
        every_process = list(stack.metrics_urls().values())
        messages_before = message_counts(every_process)
        feed_pools = {
            name: PoolSampler(url) for name, url in zip(("requests", "background"), feed_metrics, strict=True)
        }
        for sampler in feed_pools.values():
            sampler.start()
        admin_url = urls["identity"].replace("postgresql+psycopg://", "postgresql://")
        peak = ConnectionPeak(admin_url, list(names.values()))
        peak.start()
        statements = Statements(admin_url, names)
        statements.start()
        fresh = Freshness(stack.gateway_url, seeded.subwikis[0][1])
        fresh.start()
        groups = {name: process.pid for name, process in stack.processes.items()}
        load_before = os.getloadavg()
        profilers = profile(groups, args.seconds, work) if args.profile else []
        before, machine_before, children_before = cpu.snapshot(), cpu.machine_ticks(), cpu.children_seconds()
        locust(stack.gateway_url, work, args.concurrency, args.seconds, classes=["Member"])
        after, machine_after, children_after = cpu.snapshot(), cpu.machine_ticks(), cpu.children_seconds()
        load_after = os.getloadavg()
        for profiler in profilers:
            profiler.wait(timeout=60)
        peak.stopping.set()
        fresh.stopping.set()
        for sampler in feed_pools.values():
            sampler.stopping.set()
            sampler.join()
        peak.join()
        fresh.join()
        kept_after = kept_answers(amqp_uri)
        held_after = held_pages(stack.metrics_url)
        handlers = handler_figures(handlers_before, handler_sums(feed_metrics))
        messages_after = message_counts(every_process)
        spent_by_postgres = statements.summary()
        stats = locust_stats(work / "locust_stats.csv")
        paced = paced_phase(stack.gateway_url, work, args, stats["overall"]["rps"])
    writes = ("vote", "comment", "join", "new_post", "wiki_edit")
    write_count = sum(v["requests"] for k, v in stats.items() if k in writes)
    read_count = sum(v["requests"] for k, v in stats.items() if k not in (*writes, "overall", "login"))
    hits = kept_after["hits"] - kept_before["hits"] + kept_after["shared"] - kept_before["shared"]
    misses = kept_after["misses"] - kept_before["misses"]
    spent = {**cpu.used(before, after, groups), "locust": children_after - children_before}
    return {
        "scale": args.scale,
        "seconds": args.seconds,
        "warmup_seconds": args.warmup,
        "concurrency": args.concurrency,
        "think_ms": float(os.environ.get("LOAD_THINK_MS") or 0),
        "handler_cpu_traced": args.handler_cpu,
        "profiled": args.profile,
        "profile": profile_summary(work) if args.profile else None,
        "counts": seeded.counts,
        "seed_seconds": at.seed_seconds,
        "visits": at.drawn,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "requests": stats,
        "reads": read_count,
        "writes": write_count,
        "writes_per_read": round(write_count / read_count, 3) if read_count else None,
        "feed_kept_pages": {
            "hits": hits,
            "misses": misses,
            "hit_rate": round(hits / (hits + misses), 3) if hits + misses else None,
            "by_kind": kept_by_kind(kept_before, kept_after),
            "before": kept_before,
            "after": kept_after,
        },
        "gateway_held_pages": held_over(held_before, held_after),
        "cpu_seconds": {name: round(seconds, 1) for name, seconds in sorted(spent.items())},
        "cpu_ms_a_request": cpu_a_request(spent, stats["overall"]["requests"]),
        "machine_busy": round(cpu.busy(machine_before, machine_after), 2),
        "freshness": fresh.summary(),
        "feed_event_handlers": handlers,
        "messages_a_request": messages_a_request(messages_before, messages_after, stats["overall"]["requests"]),
        "feed_pools": {name: sampler.summary() for name, sampler in feed_pools.items()},
        "paced": paced,
        "postgres_connections": {
            "peak": peak.peak,
            "mean": round(sum(peak.samples) / len(peak.samples), 1) if peak.samples else None,
        },
        "postgres_statements": spent_by_postgres,
    }


def paced_phase(gateway_url: str, work: Path, args: argparse.Namespace, capacity: float) -> dict | None:
    """The same visits once more, paced at ``args.paced`` of the throughput just measured (``LOAD_RATE``, each of
    the ``args.concurrency`` users at its share): the latency at a rate the stack keeps up with. At capacity,
    ``concurrency`` requests always in flight wait behind each other (Little's law: the mean latency is
    concurrency / throughput), so that phase's p95 says how full the queue was, not what a member waits at a
    given rate. None when not asked for (``--paced 0``)."""
    if not args.paced or not capacity:
        return None
    rate = round(args.paced * capacity, 1)
    machine_before, load_before = cpu.machine_ticks(), os.getloadavg()
    env = {"LOAD_RATE": str(rate), "LOAD_USERS": str(args.concurrency)}
    locust(gateway_url, work, args.concurrency, args.seconds, env=env, classes=["Member"], prefix="paced")
    stats = locust_stats(work / "paced_stats.csv")
    return {
        "share_of_capacity": args.paced,
        "offered_rps": rate,
        "loadavg_before": load_before,
        "machine_busy": round(cpu.busy(machine_before, cpu.machine_ticks()), 2),
        "requests": stats,
    }


def profile(groups: dict[str, int], seconds: int, work) -> list[subprocess.Popen]:
    """py-spy sampling each process we started (a service's leader with its children) for the run, in py-spy's
    raw format (``work/profile-<name>.txt``: one line a stack, with its count of samples). py-spy's own CPU is
    counted nowhere, but each sample stops the process it reads for a moment: a profiled run is slower."""
    spy = Path(sys.executable).with_name("py-spy")
    return [
        subprocess.Popen(
            [
                str(spy),
                "record",
                "--nonblocking",
                "--subprocesses",
                "--rate",
                "50",
                "--format",
                "raw",
                "--duration",
                str(seconds),
                "--output",
                str(work / f"profile-{name}.txt"),
                "--pid",
                str(pid),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in groups.items()
    ]


# A sample whose innermost frame is one of these is a process waiting for work, not doing it.
IDLE_FRAMES = (
    "Hub.do_poll",
    "Hub.wait",
    "Supervisor.wait",
    "BufferedTransport._read",
    "EpollSelector.select",
    "PollableMethodQueue.defer",
    "_worker (concurrent/futures/thread.py",
    "Popen._internal_poll",
)
# Where a sample's work began: a service's RPC or event handler, a gateway route, the outbox relay.
ENTRY = re.compile(r"(\w+Service\.\w+|OutboxRelay\.\w+|\w+ \(gateway/routes/)")


def profile_summary(work: Path, top: int = 15) -> dict:
    """Each profiled component's busy samples (not waiting for work) by where the work began (``ENTRY``) and by
    innermost function. On a machine whose cores are all busy a sample also lands where a process waits for a
    core (often just after a write that woke another process): shares, not CPU."""
    summary = {}
    for path in sorted(work.glob("profile-*.txt")):
        entries: dict[str, int] = {}
        innermost: dict[str, int] = {}
        total = idle = 0
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            frames = [f for f in stack.split(";") if not f.startswith("process ")]
            if not frames or not count.isdigit():
                continue
            samples = int(count)
            total += samples
            if frames[-1].startswith(IDLE_FRAMES):
                idle += samples
                continue
            entry = next((f.split(" (")[0] for f in frames if ENTRY.match(f)), "other")
            entries[entry] = entries.get(entry, 0) + samples
            leaf = re.sub(r":\d+\)$", ")", frames[-1])
            innermost[leaf] = innermost.get(leaf, 0) + samples
        busy = total - idle
        if busy:
            summary[path.stem.removeprefix("profile-")] = {
                "samples": total,
                "busy": busy,
                "by_entry": {k: round(n / busy, 3) for k, n in sorted(entries.items(), key=lambda i: -i[1])[:top]},
                "innermost": {k: round(n / busy, 3) for k, n in sorted(innermost.items(), key=lambda i: -i[1])[:top]},
            }
    return summary


def cpu_a_request(spent: dict[str, float], requests: int) -> dict:
    """CPU ms a request, by component and over all, and the stack's (all but the load tool) in units of the load
    tool's own: Locust's work a request does not change with the stack's code, so its CPU a request moves with
    the machine's speed in that run, and the ratio compares runs whose machine ran faster or slower."""
    if not requests:
        return {}
    each = {name: round(1000 * seconds / requests, 2) for name, seconds in sorted(spent.items())}
    stack = sum(seconds for name, seconds in spent.items() if name != "locust")
    locust = spent.get("locust", 0.0)
    return {
        "by_component": each,
        "all": round(1000 * sum(spent.values()) / requests, 2),
        "stack_in_load_tool_units": round(stack / locust, 1) if locust else None,
    }


def visit_mix() -> dict[str, int]:
    """``MIX`` as bench/load_visit.py writes it (that file imports Locust, which lives in its own virtualenv)."""
    tree = ast.parse((ROOT / "bench" / "load_visit.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "MIX" for t in node.targets):
            return ast.literal_eval(node.value)
    raise LookupError("MIX")


# What the stack does between two runs with nothing asked (timers, heartbeats) is measured first and taken off;
# after each run, the events it caused are given SETTLE seconds to be handled and counted with it.
IDLE_SECONDS, SETTLE_SECONDS = 5.0, 3.0


def costs(args: argparse.Namespace) -> dict:
    """What one request of each type of the visits costs the stack in CPU, each type asked alone by Locust for
    ``--seconds`` (a member signed in for each, already holding a session; the front page also anonymously),
    with what it causes afterwards (events, their handlers, the outbox): CPU ms a request by component, and
    each type's share of the mix's CPU (its cost times its weight in ``MIX``)."""
    mix = visit_mix()
    asked = [("front", "Reader", "front (anonymous)")] + [(name, "Member", name) for name in mix]
    types = {}
    with seeded_stack(args.scale) as at:
        groups = {name: process.pid for name, process in at.stack.processes.items()}
        before = cpu.snapshot()
        time.sleep(IDLE_SECONDS)
        idle = {k: v / IDLE_SECONDS for k, v in cpu.used(before, cpu.snapshot(), groups).items()}
        load_before = os.getloadavg()
        for action, user_class, label in asked:
            csv_path = at.work / "locust_stats.csv"
            csv_path.unlink(missing_ok=True)
            started, before, children = time.monotonic(), cpu.snapshot(), cpu.children_seconds()
            locust(
                at.stack.gateway_url,
                at.work,
                args.concurrency,
                args.seconds,
                env={"LOAD_ONLY": action, "LOAD_SIGN_IN_SHARE": "0"},
                classes=[user_class],
            )
            locust_seconds = cpu.children_seconds() - children
            time.sleep(SETTLE_SECONDS)
            spent = cpu.used(before, cpu.snapshot(), groups)
            elapsed = time.monotonic() - started
            stats = locust_stats(csv_path)
            made = stats.get(action, {}).get("requests", 0)
            if not made:
                types[label] = {"requests": 0, "errors": stats.get("overall", {}).get("errors")}
                continue
            by_component = {
                name: round(1000 * max(0.0, seconds - idle.get(name, 0.0) * elapsed) / made, 2)
                for name, seconds in sorted(spent.items())
            }
            by_component["locust"] = round(1000 * locust_seconds / made, 2)
            types[label] = {
                "requests": made,
                "other_requests": {k: v["requests"] for k, v in stats.items() if k not in (action, "overall")},
                "errors": stats["overall"]["errors"],
                "rps": stats[action]["rps"],
                "p50_ms": stats[action]["p50_ms"],
                "p95_ms": stats[action]["p95_ms"],
                "cpu_ms": by_component,
                "cpu_ms_stack": round(sum(v for k, v in by_component.items() if k != "locust"), 2),
            }
        load_after = os.getloadavg()
        counts, seed_seconds = at.seeded.counts, at.seed_seconds
    # A member's mix (the anonymous front page is shown beside it, not weighed in).
    answered = {name: weight for name, weight in mix.items() if types[name].get("requests")}
    weighted = {name: weight * types[name]["cpu_ms_stack"] for name, weight in answered.items()}
    whole = sum(weighted.values())
    return {
        "scale": args.scale,
        "seconds_each": args.seconds,
        "concurrency": args.concurrency,
        "counts": counts,
        "seed_seconds": seed_seconds,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "idle_cpu_ms_a_second": {k: round(1000 * v, 1) for k, v in sorted(idle.items())},
        "types": types,
        "mix": mix,
        "share_of_members_mix": {k: round(v / whole, 3) for k, v in sorted(weighted.items(), key=lambda i: -i[1])},
        "members_mix_cpu_ms_a_request": round(whole / sum(answered.values()), 2) if answered else None,
    }


def plot(result: dict, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stats = {k: v for k, v in result["requests"].items() if k != "overall"}
    names = sorted(stats, key=lambda n: -stats[n]["requests"])
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    xs = range(len(names))
    for offset, key in zip((-0.27, 0.0, 0.27), ("p50_ms", "p95_ms", "p99_ms"), strict=True):
        axes[0].bar([x + offset for x in xs], [stats[n][key] for n in names], 0.27, label=key[:3])
    axes[0].set_xticks(list(xs), names, rotation=30, ha="right")
    axes[0].set_ylabel("latency (ms)")
    axes[0].set_title(f"Visits at concurrency {result['concurrency']}, scale {result['scale']}")
    axes[0].legend()
    spent = result["cpu_seconds"]
    axes[1].bar(list(spent), list(spent.values()))
    axes[1].set_ylabel(f"CPU seconds over {result['seconds']} s")
    axes[1].set_title(f"{result['requests']['overall']['rps']} req/s overall")
    axes[1].tick_params(axis="x", rotation=30)
    fig.tight_layout()
    fig.savefig(path)


def written(name: str, figures: dict) -> tuple[dict, Path]:
    """``figures`` with when, on which commit and on what machine, written to ``bench/results/<name>-<stamp>.json``."""
    result = {
        "when": datetime.now(UTC).isoformat(),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "machine": {"cpus": os.cpu_count()},
        **figures,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return result, path


def report_costs(args: argparse.Namespace) -> int:
    result, path = written(f"load-costs-{args.scale}", costs(args))
    components = sorted({c for t in result["types"].values() for c in t.get("cpu_ms", {})})
    print(
        f"  {'type':18} {'req':>6} {'req/s':>7} {'p50':>5} {'stack':>6} " + " ".join(f"{c[:8]:>8}" for c in components)
    )
    for name, t in result["types"].items():
        if not t.get("requests"):
            print(f"  {name:18} no request answered (errors {t.get('errors')})")
            continue
        print(
            f"  {name:18} {t['requests']:6d} {t['rps']:7.1f} {t['p50_ms']:5.0f} {t['cpu_ms_stack']:6.2f} "
            + " ".join(f"{t['cpu_ms'].get(c, 0):8.2f}" for c in components)
        )
    print("share of a member's mix:", result["share_of_members_mix"])
    print("a member's mix, CPU ms a request (the stack):", result["members_mix_cpu_ms_a_request"])
    print(f"written to {path}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--warmup",
        type=int,
        default=int(os.environ.get("LOAD_WARMUP_SECONDS") or 30),
        help="seconds of the same visits before the measured ones, not measured (0: none, as before 2026-12-07)",
    )
    parser.add_argument(
        "--paced",
        type=float,
        default=float(os.environ.get("LOAD_PACED_SHARE") or 0.6),
        help="then the same visits paced at this share of the throughput measured, for the latency at that rate"
        " (0: no paced phase)",
    )
    parser.add_argument(
        "--handler-cpu",
        action="store_true",
        default=os.environ.get("LOAD_HANDLER_CPU") == "1",
        help="measure each event handler's CPU (EVENT_CPU_SECONDS=1: a tracer that costs CPU of its own)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        default=os.environ.get("LOAD_PROFILE") == "1",
        help="sample every process with py-spy during the run (var/bench/load-<run>/profile-<name>.txt)",
    )
    parser.add_argument(
        "--costs",
        action="store_true",
        help="each request type alone: its CPU a request by component, and its share of the mix's CPU",
    )
    args = parser.parse_args()
    install_locust()
    if args.costs:
        return report_costs(args)
    result, path = written(f"load-{args.scale}", run(args))
    plot(result, path.with_suffix(".png"))
    for name, figures in result["requests"].items():
        print(
            f"  {name:10} {figures['requests']:7d} req {figures['rps']:8.1f} req/s  p50 {figures['p50_ms']:6.0f}"
            f"  p95 {figures['p95_ms']:6.0f}  p99 {figures['p99_ms']:6.0f} ms  errors {figures['errors']}"
        )
    print("writes per read:", result["writes_per_read"], " kept pages:", result["feed_kept_pages"]["hit_rate"])
    print("  by kind:", result["feed_kept_pages"]["by_kind"])
    print("the gateway's held pages:", result["gateway_held_pages"])
    print("cpu seconds:", result["cpu_seconds"], " postgres connections:", result["postgres_connections"])
    print("cpu ms a request:", result["cpu_ms_a_request"])
    print("freshness under the load:", result["freshness"])
    if result["paced"]:
        paced, overall = result["paced"], result["paced"]["requests"]["overall"]
        print(
            f"paced at {paced['share_of_capacity']:.0%} of that ({paced['offered_rps']} req/s offered):"
            f" {overall['rps']} req/s, p50 {overall['p50_ms']:.0f}  p95 {overall['p95_ms']:.0f}"
            f"  p99 {overall['p99_ms']:.0f} ms, errors {overall['errors']}, machine busy {paced['machine_busy']}"
        )
    print("the feed's database pools:", result["feed_pools"])
    print("the feed's event handlers (events, mean wait for a slot, time in the handler, CPU; ms):")
    for handler, row in result["feed_event_handlers"].items():
        print(
            f"  {handler:28} {row['events']:6d}  wait {row.get('wait_ms', 0):8.1f}  run {row.get('run_ms', 0):8.1f}"
            f"  cpu {row.get('cpu_ms', float('nan')):7.2f}"
        )
    for kind, row in result["messages_a_request"].items():
        print(f"{kind} a request: {row['all']}, by service {row['by_service']}; most: {row['most']}")
    spent_by_postgres = result["postgres_statements"]
    if spent_by_postgres["available"]:
        print("PostgreSQL's time by statement (pg_stat_statements; total ms, calls, pages a call):")
        for row in spent_by_postgres["top_by_total_time"][:5]:
            figures = f"{row['total_ms']:9.0f} {row['calls']:6d} {row['pages_a_call']:7d}"
            print(f"  {figures}  {row['service']}: {row['query'][:90]}")
    else:
        print("PostgreSQL's time by statement: pg_stat_statements is not loaded by this server")
    print(f"written to {path.relative_to(ROOT)} and {path.with_suffix('.png').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
