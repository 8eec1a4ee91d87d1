"""``make bench-feed``: the feed at WT.Social's scale (``--scale 1``) or a fraction of it.

Measures, in one run: the home feed and the front page through the gateway (wrk, c=8 and 16),
page 1 against page 1000, the feed's own query time against Lemmy's stored ``hot_rank``
on the same data and server (pages 1 and 40), and freshness (a new post or vote visible in
the affected feed after the gateway answered the write). Results: ``bench/results/feed-*.json``
and a PNG plot beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime

import psycopg
import requests

from bench.seed import lemmy_baseline, seed
from devstack import infra
from devstack.stack import ROOT, Stack
from feed import handlers
from feed.models import Base as FeedBase
from svclib.db import StandaloneDatabase, make_engine, migrate
from svclib.migrations import migrations_dir

RESULTS = ROOT / "bench" / "results"


def wrk(url: str, connections: int, seconds: int, headers: dict[str, str]) -> dict:
    args = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    base = ["wrk", "-t2", f"-c{connections}", "-s", str(ROOT / "bench" / "percentiles.lua"), *args, url]
    subprocess.run([base[0], "-d2s", *base[1:]], capture_output=True, check=True)
    out = subprocess.run([base[0], f"-d{seconds}s", *base[1:]], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def timed(fn, repeat: int = 20) -> float:
    """Median milliseconds of ``fn``."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1e3)
    return round(statistics.median(samples), 3)


def query_times(feed_url: str, reader: str, subwikis: list[str]) -> dict:
    """The feed service's page query against Lemmy's ORDER BY hot_rank, pages 1 and 40."""
    database = StandaloneDatabase(FeedBase.metadata, feed_url)
    now = datetime.now(UTC)
    results = {}

    def ours(call):
        cursors = [None]
        with database.reading() as tx:
            for _ in range(39):
                cursors.append(call(tx, cursors[-1])["next_cursor"])
        with database.reading() as tx:
            return {page: timed(lambda c=cursors[page - 1]: call(tx, c)) for page in (1, 40)}

    results["ours_front"] = ours(lambda tx, c: handlers.public_feed(tx, "quality", "all", 25, c, now))
    results["ours_home"] = ours(lambda tx, c: handlers.home_feed(tx, reader, "quality", 25, c, now))
    with psycopg.connect(feed_url.replace("postgresql+psycopg://", "postgresql://")) as conn:

        def lemmy(sql, params):
            return {
                page: timed(lambda p=page: conn.execute(sql, (*params, (p - 1) * 25)).fetchall()) for page in (1, 40)
            }

        results["lemmy_front"] = lemmy("SELECT * FROM lemmy_posts ORDER BY hot_rank DESC LIMIT 25 OFFSET %s", ())
        results["lemmy_home"] = lemmy(
            "SELECT * FROM lemmy_posts WHERE subwiki_id = ANY(%s) ORDER BY hot_rank DESC LIMIT 25 OFFSET %s",
            (subwikis,),
        )
    database.dispose()
    results["ratio"] = {
        f"{feed}_page{page}": round(results[f"ours_{feed}"][page] / results[f"lemmy_{feed}"][page], 3)
        for feed in ("front", "home")
        for page in (1, 40)
    }
    return results


def cursor_at_page(feed_url: str, page: int) -> tuple[str | None, int]:
    """The cursor of page ``page`` of the newest-first front page, or of its last page when shorter."""
    database = StandaloneDatabase(FeedBase.metadata, feed_url)
    now = datetime.now(UTC)
    cursor, reached = None, 1
    with database.reading() as tx:
        while reached < page:
            following = handlers.public_feed(tx, "new", "all", 25, cursor, now)["next_cursor"]
            if following is None:
                break
            cursor, reached = following, reached + 1
    database.dispose()
    return cursor, reached


def newcomer(api: str, slug: str) -> str:
    """A person who registers and joins through the API, as every writer does."""
    name = f"writer_{uuid.uuid4().hex[:8]}"
    account = {"username": name, "email": f"{name}@bench.invalid", "password": "benchmark password"}
    requests.post(f"{api}/auth/register", json=account, timeout=30).raise_for_status()
    login = {"login": name, "password": "benchmark password"}
    token = requests.post(f"{api}/auth/login", json=login, timeout=30).json()["token"]
    requests.put(f"{api}/subwikis/{slug}/membership", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return token


def _until(check, limit_s: float = 10.0) -> float:
    """Milliseconds until ``check()`` holds (polling the gateway); inf when it never does."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit_s:
        if check():
            return (time.perf_counter() - started) * 1e3
    return float("inf")


def freshness(api: str, slug: str, samples: int) -> dict:
    """After the gateway answered a write: how long until the affected feed shows it."""
    writer = {"Authorization": f"Bearer {newcomer(api, slug)}"}
    voter = {"Authorization": f"Bearer {newcomer(api, slug)}"}
    time.sleep(1.0)
    subwiki_feed = f"{api}/subwikis/{slug}/posts?sort=new&limit=1"
    front_page = f"{api}/feed/public?sort=new&window=day&limit=1"

    def first(url):
        return requests.get(url, timeout=10).json()["items"][0]

    def voted(entry):
        return any(r["factor"] == "up_weight" and r["value"] > 0 for r in entry["rank"]["reasons"])

    post_lag, vote_lag = [], []
    for n in range(samples):
        made = requests.post(
            f"{api}/subwikis/{slug}/posts",
            headers=writer,
            json={"kind": "text", "title": f"Fresh {n}", "body": "New."},
            timeout=10,
        )
        made.raise_for_status()
        post_id = made.json()["id"]
        post_lag.append(_until(lambda p=post_id: first(subwiki_feed)["post"]["id"] == p))
        requests.put(f"{api}/posts/{post_id}/vote", headers=voter, json={"value": 1}, timeout=10).raise_for_status()
        vote_lag.append(_until(lambda: voted(first(front_page))))

    def summary(values):
        values = sorted(values)
        return {
            "p50_ms": round(values[len(values) // 2], 1),
            "p99_ms": round(values[int(len(values) * 0.99)], 1),
            "never_seen": sum(v == float("inf") for v in values),
        }

    return {"post": summary(post_lag), "vote": summary(vote_lag), "samples": samples}


def sustained_writes(api: str, slug: str, seconds: float = 10, threads: int = 8) -> float:
    headers = {"Authorization": f"Bearer {newcomer(api, slug)}"}
    done = []
    stop = time.monotonic() + seconds

    def writer():
        session = requests.Session()
        while time.monotonic() < stop:
            response = session.post(
                f"{api}/subwikis/{slug}/posts",
                headers=headers,
                json={"kind": "text", "title": "Load", "body": "Load."},
                timeout=10,
            )
            if response.status_code == 201:
                done.append(1)

    workers = [threading.Thread(target=writer) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return round(len(done) / seconds, 1)


def plot(result: dict, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    http = result["http"]
    names = list(http)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    axes[0].bar(names, [http[n]["p95_ms"] for n in names], color="#4a7")
    axes[0].set_ylabel("p95 latency (ms)")
    axes[0].set_title(f"Feeds through the gateway, {result['counts']['posts']:,} posts")
    axes[0].tick_params(axis="x", rotation=30)
    q = result["queries"]
    labels = ["front p1", "front p40", "home p1", "home p40"]
    ours = [q["ours_front"]["1"], q["ours_front"]["40"], q["ours_home"]["1"], q["ours_home"]["40"]]
    lemmy = [q["lemmy_front"]["1"], q["lemmy_front"]["40"], q["lemmy_home"]["1"], q["lemmy_home"]["40"]]
    xs = range(len(labels))
    axes[1].bar([x - 0.2 for x in xs], ours, 0.4, label="feed service")
    axes[1].bar([x + 0.2 for x in xs], lemmy, 0.4, label="Lemmy hot_rank")
    axes[1].set_xticks(list(xs), labels)
    axes[1].set_ylabel("query time (ms, median)")
    axes[1].legend()
    fig.tight_layout()
    fig.savefig(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--freshness-samples", type=int, default=50)
    args = parser.parse_args()

    broker, postgres = infra.find_broker(), infra.find_postgres()
    vhost = broker.create_vhost(f"bench-feed-{uuid.uuid4().hex[:8]}")
    run = uuid.uuid4().hex[:8]
    names = {s: f"benchfeed_{s}_{run}" for s in infra.SERVICES}
    urls = {s: postgres.create(db) for s, db in names.items()}
    for service, url in urls.items():
        engine = make_engine(url)
        migrate(engine, migrations_dir(service))
        engine.dispose()
    stack = None
    load_before = os.getloadavg()
    try:
        started = time.monotonic()
        seeded = seed(urls, args.scale)
        seed_seconds = round(time.monotonic() - started, 1)
        now = datetime.now(UTC)
        lemmy_baseline(urls["feed"], now)
        joined = [sid for sid, _ in seeded.subwikis[:50]]
        queries = query_times(urls["feed"], seeded.reader, joined)
        queries = json.loads(json.dumps(queries))
        env = {f"{s.upper()}_DATABASE_URL": url for s, url in urls.items()}
        env.update(AMQP_URI=broker.uri(vhost), GATEWAY_WORKERS="2", GATEWAY_THREADS="4")
        stack = Stack(env, 18700, ROOT / "var" / "bench" / f"feed-{run}")
        stack.start_all()
        api = f"{stack.gateway_url}/api/v1"
        token = requests.post(
            f"{api}/auth/login", json={"login": "user0", "password": "benchmark password"}, timeout=30
        ).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        page_1000, deepest_page = cursor_at_page(urls["feed"], 1000)
        targets = {
            "home": (f"{api}/feed", auth),
            "front": (f"{api}/feed/public?window=all", {}),
        }
        http = {
            f"{name}_c{c}": wrk(url, c, args.seconds, headers)
            for c in (8, 16)
            for name, (url, headers) in targets.items()
        }
        http["front_new_page1_c8"] = wrk(f"{api}/feed/public?sort=new&window=all", 8, args.seconds, {})
        http["front_new_page1000_c8"] = wrk(
            f"{api}/feed/public?sort=new&window=all&cursor={page_1000}", 8, args.seconds, {}
        )
        fresh = freshness(api, seeded.subwikis[0][1], args.freshness_samples)
        writes = sustained_writes(api, seeded.subwikis[1][1])
    finally:
        if stack is not None:
            stack.stop_all()
        for db in names.values():
            postgres.drop(db)
        broker.delete_vhost(vhost)
    result = {
        "when": datetime.now(UTC).isoformat(),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "scale": args.scale,
        "counts": seeded.counts,
        "seed_seconds": seed_seconds,
        "machine": {"cpus": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "http": http,
        "deep_page": deepest_page,
        "page_1000_over_page_1_p95": round(
            http["front_new_page1000_c8"]["p95_ms"] / http["front_new_page1_c8"]["p95_ms"], 3
        ),
        "queries": queries,
        "freshness": fresh,
        "sustained_post_writes_per_s": writes,
        "targets": {
            "rps_c8": ">= 400",
            "p95_ms_c8": "<= 30",
            "page_1000_over_page_1": "0.8 .. 1.2",
            "query_ratio_vs_lemmy": "<= 0.5",
            "freshness_p99_ms": "<= 200",
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"feed-scale{args.scale}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    plot(result, path.with_suffix(".png"))
    print(
        json.dumps(
            {
                k: result[k]
                for k in (
                    "counts",
                    "seed_seconds",
                    "http",
                    "page_1000_over_page_1_p95",
                    "freshness",
                    "sustained_post_writes_per_s",
                )
            },
            indent=1,
        )
    )
    print("query ratios (ours / Lemmy):", result["queries"]["ratio"])
    print(f"written to {path.relative_to(ROOT)} and {path.with_suffix('.png').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
