"""``make bench-votes``: sign-ins while many members vote for a few popular authors.

On a fresh stack (its own RabbitMQ vhost and PostgreSQL databases, removed at the end, as is
every process started here), seeded through the gateway with 8 voters, 5 authors with posts
in one subwiki, and one more account that only signs in:

1. **Logins alone**: one thread signing in through the gateway every ``--login-pause`` seconds
   (a person signing in now and then, not a load of its own: each login hashes a password),
   ``--baseline-logins`` times: p50/p95/p99.
2. **Logins during votes**: the same login loop while 8 threads (one per voter) send ``--votes``
   up-votes (2,000) through the gateway, ``PUT /posts/{id}/vote``, each voter every post of the
   5 authors in its own shuffled order, so that every vote lands on one of 5 authors' trust. The
   loop runs from the first vote until identity and the feed hold every vote: events are handled
   after the gateway answered, and that handling is what sign-ins compete with. With
   ``--vote-rate`` the votes are paced at that many a second in all instead of sent as fast as
   they are answered: a burst that leaves the machine's cores some room, so that what the votes'
   locks and queues do to sign-ins is seen apart from two saturated cores.

Reported: login p50/p95/p99 alone and during the votes, where a login's time went in each phase
(the mean time the gateway's application and identity's worker spent on it, from their Prometheus
histograms: the rest is gunicorn's queue, RabbitMQ and the hops between), votes/s as the gateway answered them and
as identity and the feed applied them, the deadlocks PostgreSQL counted in the stack's databases
(``pg_stat_database``) during the votes, the messages in the dead-letter queues, each process's
CPU seconds during the votes (``bench/cpu.py``; per vote too, a service's niced background process
apart), and identity's trust recomputations. Nothing is
asserted. Results: ``bench/results/votes-<UTC time>.json`` and a table on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import resource
import signal
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import requests
from prometheus_client.parser import text_string_to_metric_families

from bench import cpu
from bench.gateway import free_port, git_state, record, safely, say
from devstack import infra
from devstack.client import PASSWORD, Api
from devstack.stack import Stack

VOTERS = 8
AUTHORS = 5
# Settings from the environment that change what is measured, written into the results when set.
SETTINGS_RECORDED = (
    "EVENT_WORKERS",
    "TRUST_RECOMPUTE_SECONDS",
    "DB_POOL_SIZE",
    "MAX_WORKERS",
    "GATEWAY_WORKERS",
    "GATEWAY_THREADS",
)


def percentiles(seconds: list[float]) -> dict[str, Any]:
    """p50/p95/p99 and max in ms (p99 of a few hundred samples is close to the max: both are given)."""
    if len(seconds) < 2:
        return {"count": len(seconds)}
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {
        "count": len(seconds),
        "p50_ms": round(cuts[49] * 1e3, 1),
        "p95_ms": round(cuts[94] * 1e3, 1),
        "p99_ms": round(cuts[98] * 1e3, 1),
        "max_ms": round(max(seconds) * 1e3, 1),
    }


class LoginLoop:
    """One thread signing in through the gateway every ``pause`` seconds; keeps each login's time."""

    def __init__(self, base: str, username: str, pause: float):
        self.api, self.username, self.pause = Api(base), username, pause
        self.times: list[float] = []
        self.failures: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LoginLoop:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(60)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            response = self.api.post("/api/v1/auth/login", json={"login": self.username, "password": PASSWORD})
            elapsed = time.perf_counter() - started
            if response.status_code == 200:
                self.times.append(elapsed)
            else:
                self.failures[response.status_code] = self.failures.get(response.status_code, 0) + 1
            self._stop.wait(self.pause)


class Databases:
    """The stack's databases: counts and PostgreSQL's deadlock counter."""

    def __init__(self, postgres: infra.Postgres, names: dict[str, str]):
        self.postgres, self.names = postgres, names

    def _connect(self, service: str) -> psycopg.Connection:
        url = self.postgres.url(self.names[service]).replace("postgresql+psycopg://", "postgresql://")
        return psycopg.connect(url, autocommit=True)

    def scalar(self, service: str, sql: str, *args: Any) -> Any:
        with self._connect(service) as conn:
            return conn.execute(sql, args or None).fetchone()[0]

    def deadlocks(self) -> dict[str, int]:
        with self._connect("identity") as conn:
            conn.execute("SELECT pg_stat_clear_snapshot()")
            rows = conn.execute(
                "SELECT datname, deadlocks FROM pg_stat_database WHERE datname = ANY(%s)", (list(self.names.values()),)
            ).fetchall()
        by_name = {name: service for service, name in self.names.items()}
        return {by_name[name]: int(count) for name, count in rows}


# Where a login's (and a vote's) time goes: the histogram of each stage, by (metrics process, series, labels).
LOGIN, VOTE = "/api/v1/auth/login", "/api/v1/posts/<post_id>/vote"
STAGES = {
    "login_gateway_ms": ("gateway", "gateway_request_seconds", {"method": "POST", "endpoint": LOGIN}),
    "login_identity_worker_ms": ("identity", "svc_rpc_seconds", {"method": "login"}),
    "vote_gateway_ms": ("gateway", "gateway_request_seconds", {"method": "PUT", "endpoint": VOTE}),
    "vote_content_worker_ms": ("content", "svc_rpc_seconds", {"method": "vote"}),
}


def stage_totals(urls: dict[str, str]) -> dict[str, tuple[float, float]]:
    """(seconds, count) so far of every stage in ``STAGES``, read from the processes' /metrics."""
    pages = {name: requests.get(urls[name], timeout=10).text for name in {p for p, _, _ in STAGES.values()}}
    totals = {}
    for stage, (process, series, labels) in STAGES.items():
        seconds = count = 0.0
        for family in text_string_to_metric_families(pages[process]):
            for sample in family.samples:
                if sample.name in (f"{series}_sum", f"{series}_count") and labels.items() <= sample.labels.items():
                    if sample.name.endswith("_sum"):
                        seconds += sample.value
                    else:
                        count += sample.value
        totals[stage] = (seconds, count)
    return totals


def stage_means(before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]]) -> dict[str, float]:
    """Each stage's mean time in ms between two readings of ``stage_totals``."""
    means = {}
    for stage, (seconds, count) in after.items():
        n = count - before[stage][1]
        means[stage] = round(1e3 * (seconds - before[stage][0]) / n, 1) if n else None
    return means


def seed(api: Api, posts_per_author: int) -> dict[str, Any]:
    """8 voters, 5 authors with ``posts_per_author`` posts each in one subwiki, and a login account."""
    say(f"seeding {VOTERS} voters, {AUTHORS} authors with {posts_per_author} posts each")
    owner, owner_token = api.register("owner", attempts=20)
    slug = f"votes_{uuid.uuid4().hex[:8]}"
    api.ok(api.post("/api/v1/subwikis", token=owner_token, json={"slug": slug, "name": "Votes"}))
    authors = [api.register(f"author{n}") for n in range(AUTHORS)]
    voters = [api.register(f"voter{n}") for n in range(VOTERS)]
    signer, _ = api.register("signer")
    for _, token in [*authors, *voters]:
        api.ok(api.put(f"/api/v1/subwikis/{slug}/membership", token=token))
    posts = []
    for n, (_, token) in enumerate(authors):
        for m in range(posts_per_author):
            body = {"kind": "text", "title": f"Post {n}.{m}", "body": f"Body of post {m} by author {n}."}
            posts.append(api.ok(api.post(f"/api/v1/subwikis/{slug}/posts", token=token, json=body))["id"])
    return {"authors": [a["id"] for a, _ in authors], "voters": voters, "posts": posts, "signer": signer["username"]}


def vote(
    base: str, token: str, post_ids: list[str], answers: dict[str, int], lock: threading.Lock, interval: float
) -> None:
    """Up-vote each post in turn, one every ``interval`` seconds at most (0: as fast as answered); a 503 is
    sent again after a pause, as a client would."""
    api = Api(base)
    due = time.monotonic()
    for post_id in post_ids:
        due += interval
        for _ in range(100):
            response = api.put(f"/api/v1/posts/{post_id}/vote", token=token, json={"value": 1})
            with lock:
                answers[str(response.status_code)] = answers.get(str(response.status_code), 0) + 1
            if response.status_code != 503:
                break
            time.sleep(0.2)
        time.sleep(max(0.0, due - time.monotonic()))


def wait_applied(databases: Databases, expected: int, timeout: float) -> dict[str, float | None]:
    """Seconds until identity and the feed each hold ``expected`` votes (None when not within ``timeout``)."""
    started = time.monotonic()
    queries = {
        "identity": "SELECT count(*) FROM received_votes",
        "feed": "SELECT count(*) FROM feed_votes WHERE value = 1",
    }
    done: dict[str, float | None] = dict.fromkeys(queries)
    while time.monotonic() - started < timeout and None in done.values():
        for service, sql in queries.items():
            if done[service] is None and databases.scalar(service, sql) >= expected:
                done[service] = round(time.monotonic() - started, 2)
        time.sleep(0.2)
    return done


def dead_letters(amqp_uri: str) -> dict[str, int]:
    """Messages in every dead-letter queue of the stack's event handlers, where any."""
    from svclib import dlq  # imports the services (and nameko, eventlet): only here

    counts = dlq.counts([f"{name}.service" for name in infra.SERVICES], amqp_uri)
    return {queue: count for queue, count in counts.items() if count}


def run(args: argparse.Namespace, run_id: str, run_dir: Path) -> dict[str, Any]:
    """The whole bench; every process, database and vhost it makes is gone when it returns or raises."""
    load_before = os.getloadavg()
    started_at = datetime.now(UTC)
    git = git_state()  # what the services started from, before anyone edits the tree
    broker = infra.find_broker()
    postgres = infra.find_postgres()
    if postgres is None:
        raise RuntimeError("PostgreSQL is not available: the services must run on it as in production")
    posts_per_author = -(-args.votes // (VOTERS * AUTHORS))
    cleanup = contextlib.ExitStack()
    try:
        vhost = broker.create_vhost(f"bench-votes-{run_id}")
        cleanup.callback(safely, broker.delete_vhost, vhost)
        amqp_uri = broker.uri(vhost)
        env = {
            "AMQP_URI": amqp_uri,
            "DATA_DIR": str(run_dir / "data"),
            "UPLOAD_DIR": str(run_dir / "data" / "uploads"),
            "REGISTRATIONS_PER_IP": "1000000",  # every account registers from this machine
        }
        names = {}
        for service in infra.SERVICES:
            names[service] = f"bench_votes_{service}_{run_id}"
            env[f"{service.upper()}_DATABASE_URL"] = postgres.create(names[service])
            cleanup.callback(safely, postgres.drop, names[service])
        databases = Databases(postgres, names)

        stack = Stack(env, free_port(), run_dir)
        cleanup.callback(safely, stack.stop_all)
        say(f"starting the stack on vhost {vhost!r} (gateway {stack.gateway_url})")
        stack.start_all()
        api = Api(stack.gateway_url)
        world = seed(api, posts_per_author)
        time.sleep(args.settle)  # the seeding's events handled before anything is measured

        say(f"logins alone: {args.baseline_logins}, one every {args.login_pause} s")
        metrics_urls = stack.metrics_urls()
        stages_alone_before = stage_totals(metrics_urls)
        with LoginLoop(stack.gateway_url, world["signer"], args.login_pause) as alone:
            while len(alone.times) + sum(alone.failures.values()) < args.baseline_logins:
                time.sleep(0.1)
        stages_alone = stage_means(stages_alone_before, stage_totals(metrics_urls))

        rng = random.Random(args.seed)
        per_voter = []
        for _ in world["voters"]:
            order = list(world["posts"])
            rng.shuffle(order)
            per_voter.append(order)
        expected = min(args.votes, VOTERS * len(world["posts"]))
        per_voter = [
            order[: expected // VOTERS + (1 if n < expected % VOTERS else 0)] for n, order in enumerate(per_voter)
        ]
        answers: dict[str, int] = {}
        lock = threading.Lock()
        interval = VOTERS / args.vote_rate if args.vote_rate else 0.0
        threads = [
            threading.Thread(target=vote, args=(stack.gateway_url, token, order, answers, lock, interval), daemon=True)
            for (_, token), order in zip(world["voters"], per_voter, strict=True)
        ]
        groups = {name: process.pid for name, process in stack.processes.items()}
        deadlocks_before = databases.deadlocks()
        trust_before = databases.scalar("identity", "SELECT coalesce(sum(trust_version), 0) FROM users")
        pace = f" at {args.vote_rate:g}/s in all" if args.vote_rate else ""
        say(f"{expected} votes from {VOTERS} threads for {AUTHORS} authors{pace}, logins alongside")
        stages_during_before = stage_totals(metrics_urls)
        with LoginLoop(stack.gateway_url, world["signer"], args.login_pause) as during:
            before, machine_before = cpu.snapshot(), cpu.machine_ticks()
            self_before = resource.getrusage(resource.RUSAGE_SELF)
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            answered = time.monotonic() - started
            applied = wait_applied(databases, expected, args.timeout)
            elapsed = time.monotonic() - started
            after, machine_after = cpu.snapshot(), cpu.machine_ticks()
            self_after = resource.getrusage(resource.RUSAGE_SELF)
        stages_during = stage_means(stages_during_before, stage_totals(metrics_urls))
        time.sleep(args.settle)  # events still in retry queues would show up as dead letters later
        deadlocks_after = databases.deadlocks()
        trust_after = databases.scalar("identity", "SELECT coalesce(sum(trust_version), 0) FROM users")
        author_trust = {
            author: databases.scalar("identity", "SELECT trust FROM users WHERE id = %s", author)
            for author in world["authors"]
        }
        parked = dead_letters(amqp_uri)
    finally:
        # A second Ctrl-C must not cut the clean-up short: it is what drops the databases and the vhost.
        previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in (signal.SIGINT, signal.SIGTERM)}
        say("stopping processes, dropping the databases and the vhost")
        cleanup.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    spent = cpu.used(before, after, groups)
    by_role = cpu.used(before, after, groups, niced_apart=True)
    spent["bench_client"] = (self_after.ru_utime + self_after.ru_stime) - (self_before.ru_utime + self_before.ru_stime)
    return {
        "bench": "votes",
        "started": started_at.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": git,
        "machine": {
            "nproc": len(os.sched_getaffinity(0)),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
        },
        "settings": {name: os.environ[name] for name in SETTINGS_RECORDED if name in os.environ},
        "seeded": {"voters": VOTERS, "authors": AUTHORS, "posts": len(world["posts"])},
        "login_pause_s": args.login_pause,
        "logins_alone": {**percentiles(alone.times), "failures": alone.failures},
        "logins_during_votes": {**percentiles(during.times), "failures": during.failures},
        # Mean ms of each stage (the gateway's application, a service's worker) alone and during the votes.
        "stages_alone": stages_alone,
        "stages_during_votes": stages_during,
        "votes": {
            "sent": expected,
            "paced_per_s": args.vote_rate or None,
            "answers": answers,
            "answered_s": round(answered, 2),
            "answered_per_s": round(expected / answered, 1),
            "applied_s_after_last_answer": applied,
            "all_applied_per_s": round(expected / elapsed, 1) if None not in applied.values() else None,
        },
        "deadlocks": sum(deadlocks_after.values()) - sum(deadlocks_before.values()),
        "deadlocks_by_database": {s: deadlocks_after[s] - deadlocks_before.get(s, 0) for s in deadlocks_after},
        "dead_lettered": parked,
        "trust_changes": int(trust_after - trust_before),
        "author_trust": sorted(author_trust.values()),
        "cpu_seconds_during_votes": {name: round(s, 2) for name, s in sorted(spent.items(), key=lambda kv: -kv[1])},
        # The same, in CPU milliseconds per vote sent, a service's niced background process apart (svclib.serve):
        # the figure that does not depend on what else the machine was doing.
        "cpu_ms_per_vote": {
            name: round(1000 * s / expected, 2) for name, s in sorted(by_role.items(), key=lambda kv: -kv[1])
        },
        "machine_busy_during_votes": round(cpu.busy(machine_before, machine_after), 2),
        "notes": [
            "Logins: one thread, one login then a pause of login_pause_s; during the votes from the first vote"
            " until identity and the feed held every vote.",
            "trust_changes: user_trust_changed events identity emitted (sum of trust_version) during the votes.",
            "cpu_seconds_during_votes: each process group the bench started, RabbitMQ and PostgreSQL (the"
            " machine's shared servers: other work counts there too), and this process (its threads).",
        ],
    }


def table(result: dict[str, Any]) -> str:
    alone, during, votes = result["logins_alone"], result["logins_during_votes"], result["votes"]
    paced = f" paced at {votes['paced_per_s']:g}/s" if votes.get("paced_per_s") else ""
    lines = [f"{'login through the gateway':28} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"]
    for name, row in (("alone", alone), ("during the votes", during)):
        lines.append(
            f"{name:28} {row['count']:>5} {row.get('p50_ms', 0):>8.1f} {row.get('p95_ms', 0):>8.1f}"
            f" {row.get('p99_ms', 0):>8.1f} {row.get('max_ms', 0):>8.1f}"
        )
    lines.append(f"mean ms in a stage: {'alone':>10} {'during':>10}   (the rest: gunicorn's queue, RabbitMQ, hops)")
    for stage in result["stages_alone"]:
        alone_ms, during_ms = result["stages_alone"][stage], result["stages_during_votes"][stage]
        lines.append(f"  {stage:26} {alone_ms if alone_ms is not None else '-':>10} {during_ms or '-':>10}")
    lines += [
        "",
        f"votes: {votes['sent']}{paced} answered in {votes['answered_s']} s ({votes['answered_per_s']}/s), answers"
        f" {votes['answers']}; applied after the last answer (s): {votes['applied_s_after_last_answer']};"
        f" all applied: {votes['all_applied_per_s']}/s",
        f"deadlocks: {result['deadlocks']}; dead-lettered: {result['dead_lettered'] or 0};"
        f" trust changes emitted: {result['trust_changes']}",
        "CPU s during the votes: "
        + ", ".join(f"{name} {s}" for name, s in result["cpu_seconds_during_votes"].items())
        + f"; machine busy {result['machine_busy_during_votes']:.0%}",
        "CPU ms per vote: " + ", ".join(f"{name} {ms}" for name, ms in result["cpu_ms_per_vote"].items()),
        f"machine: nproc {result['machine']['nproc']}, load average {result['machine']['loadavg_before']} before,"
        f" {result['machine']['loadavg_after']} after",
        f"commit {result['git']['commit'][:12]}{' (tree has uncommitted changes)' if result['git']['dirty'] else ''}",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--votes", type=int, default=2000)
    parser.add_argument("--baseline-logins", type=int, default=100)
    parser.add_argument("--login-pause", type=float, default=0.25, help="seconds between one login and the next")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds left for events after seeding and votes")
    parser.add_argument("--timeout", type=float, default=300.0, help="longest wait for the votes to be applied")
    parser.add_argument("--seed", type=int, default=2000)
    parser.add_argument(
        "--vote-rate",
        type=float,
        default=0.0,
        help="votes a second in all, spread over the 8 threads (0: each thread as fast as it is answered)",
    )
    args = parser.parse_args()
    return record("votes", run, args, table)


if __name__ == "__main__":
    sys.exit(main())
