"""``make bench-feed``: the feed at WT.Social's scale (``--scale 1``) or a fraction of it.

Each ``--scale`` (repeatable; ``make bench-feed`` runs 0.01 then 1 for the growth figure)
gets a fresh stack and freshly seeded databases, and measures: the home feed and the front
page through the gateway (wrk, c=8 and 16), page 1 against page 1000, the front page while
posts arrive at a steady rate (every post drops the kept pages), the feed's own query time
against Lemmy's stored ``hot_rank`` on the same data and server, fetching the same columns
(pages 1 and 40; ours both read from PostgreSQL and kept), and freshness (a new post or
vote visible in the affected feed after the gateway answered the write), the home feed and front
page of a reader who mutes 50 people and 10 subwikis beside the same reader muting none, and the
first comment pages of a post with 2,000 comments (``discussion``). Results:
``bench/results/feed-scale*.json`` and a PNG plot beside it.

``--comments`` measures only that post's comment pages, on a stack seeded at ``--scale``:
``bench/results/feed-comments-scale*.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import requests

from bench import cpu
from bench.gateway import ensure_wrk
from bench.seed import LEMMY_COLUMNS, lemmy_baseline, seed
from devstack import infra
from devstack.stack import ROOT, Stack
from feed import pages
from feed.models import Base as FeedBase
from svclib.db import StandaloneDatabase, make_engine, migrate
from svclib.kept import Kept
from svclib.migrations import migrations_dir

RESULTS = ROOT / "bench" / "results"


# The processes whose CPU time each wrk run counts per request (the stack's, by process group).
GROUPS: dict[str, int] = {}


def wrk(
    url: str, connections: int, seconds: int, headers: dict[str, str], backends=None, paths: list[str] | None = None
) -> dict:
    """wrk's figures, with the CPU milliseconds per request of the stack's processes (``GROUPS``;
    RabbitMQ and PostgreSQL are the machine's own servers, shared with whatever else runs). ``backends``:
    a function answering the pids of the PostgreSQL backends serving the stack, counted apart as
    ``postgres_stack`` (the ``postgres`` figure counts every backend of the machine). ``paths``: ask these
    paths of ``url``'s server in turn (bench/rotating.lua) instead of ``url`` over and over."""
    args = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    percentiles = str(ROOT / "bench" / "percentiles.lua")
    script, env = percentiles, None
    if paths:
        listed = ROOT / "var" / "bench" / f"wrk-paths-{os.getpid()}.txt"
        listed.parent.mkdir(parents=True, exist_ok=True)
        listed.write_text("\n".join(paths) + "\n")
        script = str(ROOT / "bench" / "rotating.lua")
        env = {**os.environ, "WRK_PATHS": str(listed), "WRK_PERCENTILES": percentiles}
    base = [ensure_wrk(), f"-t{min(2, connections)}", f"-c{connections}", "-s", script, *args, url]
    subprocess.run([base[0], "-d2s", *base[1:]], capture_output=True, check=True, env=env)
    pids = backends() if backends else set()
    before = cpu.snapshot()
    run = [base[0], f"-d{seconds}s", *base[1:]]
    out = subprocess.run(run, capture_output=True, text=True, check=True, env=env).stdout
    after = cpu.snapshot()
    spent = cpu.used(before, after, GROUPS)
    if backends:
        spent["postgres_stack"] = cpu.of_pids(before, after, pids)
    figures = json.loads(out.strip().splitlines()[-1])
    served = figures["rps"] * seconds
    if served:
        figures["cpu_ms_per_request"] = {name: round(s * 1e3 / served, 3) for name, s in sorted(spent.items())}
    return figures


def timed(fn, repeat: int = 20) -> float:
    """Median milliseconds of ``fn``."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1e3)
    return round(statistics.median(samples), 3)


def query_times(feed_url: str, reader: str, subwikis: list[str], muter: str) -> dict:
    """The feed service's page against Lemmy's ORDER BY hot_rank, pages 1 and 40, same columns, same server.

    ``ours_read``: a page read from PostgreSQL (what every page costs right after a change);
    ``ours_kept``: the page as the service answers it when nothing changed since it was read
    (its kept answers, feed/kept.py).
    """
    database = StandaloneDatabase(FeedBase.metadata, feed_url)
    now = datetime.now(UTC)
    results = {}

    def cursors_of(call):
        cursors = [None]
        with database.reading() as tx:
            for _ in range(39):
                cursors.append(call(tx, cursors[-1])["next_cursor"])
        return cursors

    def ours(call):
        cursors = cursors_of(call)
        with database.reading() as tx:
            return {page: timed(lambda c=cursors[page - 1]: call(tx, c), repeat=100) for page in (1, 40)}

    def kept(name, call):
        cursors = cursors_of(call)
        kept = Kept(max_entries=100, max_age=3600)
        kept.listening = True
        with database.reading() as tx:
            return {
                page: timed(lambda c=cursors[page - 1]: kept.get_or_build((name, c), lambda: call(tx, c)), repeat=100)
                for page in (1, 40)
            }

    front = lambda tx, c: pages.public_feed(tx, "quality", "all", 25, c, now)  # noqa: E731
    home = lambda tx, c: pages.home_feed(tx, reader, "quality", 25, c, now)  # noqa: E731
    results["ours_read_front"] = ours(front)
    results["ours_read_home"] = ours(home)
    results["ours_kept_front"] = kept("front", front)
    results["ours_kept_home"] = kept("home", home)
    # The same home feed for a reader who mutes 50 people and 10 subwikis (muting_reader).
    home_muting = lambda tx, c: pages.home_feed(tx, muter, "quality", 25, c, now)  # noqa: E731
    results["ours_read_home_muting"] = ours(home_muting)
    results["ours_kept_home_muting"] = kept("home_muting", home_muting)
    with psycopg.connect(feed_url.replace("postgresql+psycopg://", "postgresql://")) as conn:

        def lemmy(sql, params):
            return {
                page: timed(
                    lambda p=page: conn.execute(sql, (*params, (p - 1) * 25), prepare=True).fetchall(), repeat=100
                )
                for page in (1, 40)
            }

        results["lemmy_front"] = lemmy(f"SELECT {LEMMY_COLUMNS} ORDER BY hot_rank DESC LIMIT 25 OFFSET %s", ())
        results["lemmy_home"] = lemmy(
            f"SELECT {LEMMY_COLUMNS} WHERE subwiki_id = ANY(%s) ORDER BY hot_rank DESC LIMIT 25 OFFSET %s",
            (subwikis,),
        )
    database.dispose()
    results["ratio"] = {
        f"{how}_{feed}_page{page}": round(results[f"ours_{how}_{feed}"][page] / results[f"lemmy_{feed}"][page], 3)
        for how in ("read", "kept")
        for feed in ("front", "home")
        for page in (1, 40)
    }
    return results


MUTED_PEOPLE, MUTED_SUBWIKIS = 50, 10


def muting_reader(feed_url: str, reader: str, muter: str) -> dict:
    """Make ``muter`` read what ``reader`` reads (the same subwikis and people followed), muting the 50 people
    with the most posts in those subwikis or among those followed, and 10 of the subwikis, as identity's
    events would have left it in the feed. Returns how many posts of the home feed the mutes take away."""
    with psycopg.connect(feed_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO feed_memberships (user_id, subwiki_id, created_at, updated_at)"
            " SELECT %s, subwiki_id, now(), now() FROM feed_memberships WHERE user_id = %s ON CONFLICT DO NOTHING",
            (muter, reader),
        )
        conn.execute(
            "INSERT INTO feed_follows (follower_id, followee_id, created_at, updated_at)"
            " SELECT %s, followee_id, now(), now() FROM feed_follows WHERE follower_id = %s AND followee_id <> %s"
            " ON CONFLICT DO NOTHING",
            (muter, reader, muter),
        )
        home = (
            "FROM feed_posts p WHERE p.visible AND (p.subwiki_id IN"
            " (SELECT subwiki_id FROM feed_memberships WHERE user_id = %(u)s) OR p.author_id IN"
            " (SELECT followee_id FROM feed_follows WHERE follower_id = %(u)s))"
        )
        people = conn.execute(
            f"SELECT p.author_id {home} AND p.author_id <> %(u)s"
            " GROUP BY p.author_id ORDER BY count(*) DESC LIMIT %(n)s",
            {"u": muter, "n": MUTED_PEOPLE},
        ).fetchall()
        subwikis = conn.execute(
            "SELECT subwiki_id FROM feed_memberships WHERE user_id = %s ORDER BY subwiki_id LIMIT %s",
            (muter, MUTED_SUBWIKIS),
        ).fetchall()
        with conn.cursor().copy(
            "COPY feed_mutes (user_id, kind, target_id, created_at, updated_at) FROM STDIN"
        ) as copy:
            now = datetime.now(UTC)
            for kind, rows in (("user", people), ("subwiki", subwikis)):
                for (target,) in rows:
                    copy.write_row((muter, kind, target, now, now))
        (before,) = conn.execute(f"SELECT count(*) {home}", {"u": muter}).fetchone()
        (muted,) = conn.execute(
            f"SELECT count(*) {home} AND (p.author_id IN (SELECT target_id FROM feed_mutes WHERE user_id = %(u)s)"
            " OR p.subwiki_id IN (SELECT target_id FROM feed_mutes WHERE user_id = %(u)s))",
            {"u": muter},
        ).fetchone()
        conn.execute("ANALYZE feed_mutes")
    return {"people": len(people), "subwikis": len(subwikis), "home_posts": before, "home_posts_muted": muted}


def cursor_at_page(feed_url: str, page: int) -> tuple[str | None, int]:
    """The cursor of page ``page`` of the newest-first front page, or of its last page when shorter."""
    database = StandaloneDatabase(FeedBase.metadata, feed_url)
    now = datetime.now(UTC)
    cursor, reached = None, 1
    with database.reading() as tx:
        while reached < page:
            following = pages.public_feed(tx, "new", "all", 25, cursor, now)["next_cursor"]
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


def reads_under_writes(url: str, api: str, slug: str, seconds: int, writes_per_s: float) -> dict:
    """The front page at concurrency 8 while posts arrive at a steady rate: every post drops the kept
    pages, so this shows reads that go to PostgreSQL again and again."""
    headers = {"Authorization": f"Bearer {newcomer(api, slug)}"}
    stop = threading.Event()
    written = []

    def writer():
        session = requests.Session()
        while not stop.is_set():
            started = time.monotonic()
            response = session.post(
                f"{api}/subwikis/{slug}/posts",
                headers=headers,
                json={"kind": "text", "title": "Steady", "body": "Steady."},
                timeout=10,
            )
            written.append(response.status_code == 201)
            stop.wait(max(0.0, 1 / writes_per_s - (time.monotonic() - started)))

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        figures = wrk(url, 8, seconds, {})
    finally:
        stop.set()
        thread.join()
    return {**figures, "writes_per_s": round(sum(written) / (seconds + 2), 1)}


COMMENTS_ON_ONE_POST = 2000
MAX_DEPTH = 8  # content's comments.MAX_DEPTH: a reply to a comment this deep joins its parent


def discussion(
    content_url: str, post_id: str, users: list[str], count: int = COMMENTS_ON_ONE_POST, rng_seed: int = 11
) -> dict:
    """``count`` comments on one post, written into content's tables as its handler writes them, shaped as
    a busy discussion over two days: a fifth start a thread, the rest reply to one of the 300 comments
    written last (the talk moves on; a thread that draws replies draws more), nesting down to MAX_DEPTH;
    a thread's first comment gets more votes the more replies it drew. Returns the shape: top-level
    comments, the largest thread, the deepest reply. Another ``rng_seed`` gives another discussion (other ids),
    for a second post."""
    rng = random.Random(rng_seed)
    now = datetime.now(UTC)
    ids, parent_of, depth_of, root_of, thread_size = [], {}, {}, {}, {}
    for _ in range(count):
        cid = uuid.UUID(int=rng.getrandbits(128)).hex
        parent = rng.choice(ids[-300:]) if ids and rng.random() >= 0.2 else None
        if parent is not None and depth_of[parent] >= MAX_DEPTH:
            parent = parent_of[parent]
        ids.append(cid)
        parent_of[cid], depth_of[cid] = parent, depth_of[parent] + 1 if parent else 0
        root_of[cid] = root_of[parent] if parent else cid
        thread_size[root_of[cid]] = thread_size.get(root_of[cid], 0) + 1
    rows = []
    for n, cid in enumerate(ids):
        at = now - timedelta(hours=48) + timedelta(seconds=n * 48 * 3600 / count)
        up = int(rng.expovariate(1 / 3)) + (thread_size[cid] // 2 if parent_of[cid] is None else 0)
        body = f"Comment {n}: the engine's store held a thousand numbers of fifty digits, and the mill worked on them."
        rows.append(
            (
                cid,
                post_id,
                parent_of[cid],
                root_of[cid],
                depth_of[cid],
                rng.choice(users[:500]),
                body,
                f"<p>{body}</p>\n",
                1,
                up,
                int(rng.expovariate(1.0)),
                at,
                at,
            )
        )
    with psycopg.connect(content_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        columns = "id, post_id, parent_id, root_id, depth, author_id, body, body_html, revision, up_count, down_count"
        with conn.cursor().copy(f"COPY comments ({columns}, created_at, updated_at) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.execute("UPDATE posts SET comment_count = comment_count + %s WHERE id = %s", (count, post_id))
        conn.commit()
    with psycopg.connect(content_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) comments")
    return {
        "comments": count,
        "top_level": sum(1 for cid in ids if parent_of[cid] is None),
        "largest_thread": max(thread_size.values()),
        "deepest": max(depth_of.values()),
    }


def comment_pages(api: str, post_id: str, seconds: int, rounds: int) -> dict:
    """The post's first comment page (sort new and quality) and its second page, through the gateway with
    wrk at concurrency 1 and 8, ``rounds`` times each (every round kept; the median round by p95 named)."""
    first = requests.get(f"{api}/posts/{post_id}/comments", timeout=30).json()
    shown = []
    stack = list(first["items"])
    while stack:
        node = stack.pop()
        shown.append(node)
        stack.extend(node["children"])
    targets = {
        "new_page1": f"{api}/posts/{post_id}/comments",
        "quality_page1": f"{api}/posts/{post_id}/comments?sort=quality",
        "new_page2": f"{api}/posts/{post_id}/comments?cursor={first['next_cursor']}",
    }
    figures: dict = {
        "page1_comments": len(shown),
        "page1_top_level": len(first["items"]),
        "page1_bytes": len(requests.get(targets["new_page1"], timeout=30).content),
        "next_cursor": first["next_cursor"] is not None,
    }
    for c in (1, 8):
        for name, url in targets.items():
            runs = [wrk(url, c, seconds, {}) for _ in range(rounds)]
            ordered = sorted(runs, key=lambda run: run["p95_ms"])
            figures[f"{name}_c{c}"] = {**ordered[len(ordered) // 2], "rounds_p95_ms": [r["p95_ms"] for r in runs]}
            figures[f"{name}_c{c}"]["loadavg"] = os.getloadavg()
    return figures


@contextlib.contextmanager
def fresh_databases(kind: str, broker, postgres) -> Iterator[tuple[str, str, dict[str, str]]]:
    """A vhost and a migrated database per service for one run (its id, AMQP URI and database URLs),
    all dropped afterwards."""
    vhost = broker.create_vhost(f"bench-{kind}-{uuid.uuid4().hex[:8]}")
    run = uuid.uuid4().hex[:8]
    names = {s: f"bench{kind}_{s}_{run}" for s in infra.SERVICES}
    try:
        urls = {s: postgres.create(db) for s, db in names.items()}
        for service, url in urls.items():
            engine = make_engine(url)
            migrate(engine, migrations_dir(service))
            engine.dispose()
        yield run, broker.uri(vhost), urls
    finally:
        for db in names.values():
            postgres.drop(db)
        broker.delete_vhost(vhost)


def run_scale(scale: float, args: argparse.Namespace, broker, postgres) -> dict:
    """Seed a fresh stack at ``scale`` and measure everything on it."""
    with fresh_databases("feed", broker, postgres) as (run, amqp_uri, urls):
        stack = None
        load_before = os.getloadavg()
        try:
            started = time.monotonic()
            seeded = seed(urls, scale)
            seed_seconds = round(time.monotonic() - started, 1)
            lemmy_baseline(urls["feed"], datetime.now(UTC))
            joined = [sid for sid, _ in seeded.subwikis[:50]]
            mutes = muting_reader(urls["feed"], seeded.reader, seeded.users[1])
            queries = json.loads(json.dumps(query_times(urls["feed"], seeded.reader, joined, seeded.users[1])))
            env = {f"{s.upper()}_DATABASE_URL": url for s, url in urls.items()}
            # Every benchmark writer registers from this machine.
            env.update(AMQP_URI=amqp_uri, GATEWAY_WORKERS="2", GATEWAY_THREADS="4", REGISTRATIONS_PER_IP="1000000")
            stack = Stack(env, 18700, ROOT / "var" / "bench" / f"feed-{run}")
            stack.start_all()
            GROUPS.clear()
            GROUPS.update({name: process.pid for name, process in stack.processes.items()})
            api = f"{stack.gateway_url}/api/v1"
            token = requests.post(
                f"{api}/auth/login", json={"login": "user0", "password": "benchmark password"}, timeout=30
            ).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            muting = requests.post(
                f"{api}/auth/login", json={"login": "user1", "password": "benchmark password"}, timeout=30
            ).json()["token"]
            page_1000, deepest_page = cursor_at_page(urls["feed"], 1000)
            targets = {
                "home": (f"{api}/feed", auth),
                "home_muting": (f"{api}/feed", {"Authorization": f"Bearer {muting}"}),
                "front": (f"{api}/feed/public?window=all", {}),
                "front_muting": (f"{api}/feed/public?window=all", {"Authorization": f"Bearer {muting}"}),
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
            http["front_c8_while_posting"] = reads_under_writes(
                f"{api}/feed/public?window=all", api, seeded.subwikis[2][1], args.seconds, args.writes_per_s
            )
            fresh = freshness(api, seeded.subwikis[0][1], args.freshness_samples)
            writes = sustained_writes(api, seeded.subwikis[1][1])
        finally:
            if stack is not None:
                stack.stop_all()
    return {
        "scale": scale,
        "counts": seeded.counts,
        "seed_seconds": seed_seconds,
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "http": http,
        "deep_page": deepest_page,
        "page_1000_over_page_1_p95": round(
            http["front_new_page1000_c8"]["p95_ms"] / http["front_new_page1_c8"]["p95_ms"], 3
        ),
        "queries": queries,
        "mutes": mutes,
        "freshness": fresh,
        "sustained_post_writes_per_s": writes,
    }


def run_comments(scale: float, args: argparse.Namespace, broker, postgres) -> dict:
    """Seed a fresh stack at ``scale``, give its newest post COMMENTS_ON_ONE_POST comments, measure its pages."""
    with fresh_databases("comments", broker, postgres) as (run, amqp_uri, urls):
        stack = None
        load_before = os.getloadavg()
        try:
            seeded = seed(urls, scale)
            post_id = newest_post(urls["content"])
            shape = discussion(urls["content"], post_id, seeded.users)
            env = {f"{s.upper()}_DATABASE_URL": url for s, url in urls.items()}
            env.update(AMQP_URI=amqp_uri, GATEWAY_WORKERS="2", GATEWAY_THREADS="4")
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            stack = Stack(env, port, ROOT / "var" / "bench" / f"comments-{run}")
            stack.start_all()
            GROUPS.clear()
            GROUPS.update({name: process.pid for name, process in stack.processes.items()})
            pages_measured = comment_pages(f"{stack.gateway_url}/api/v1", post_id, args.seconds, args.rounds)
        finally:
            if stack is not None:
                stack.stop_all()
    return {
        "scale": scale,
        "counts": seeded.counts,
        "discussion": shape,
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "pages": pages_measured,
    }


def newest_post(content_url: str) -> str:
    with psycopg.connect(content_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return conn.execute("SELECT id FROM posts ORDER BY created_at DESC LIMIT 1").fetchone()[0]


def readers_home_times(feed_url: str, readers: list[str]) -> dict:
    """Cold (nothing kept) home page 1 of other seeded readers (5 to 50 subwikis, 10 to 100 people each):
    median milliseconds per reader, then their median and largest."""
    database = StandaloneDatabase(FeedBase.metadata, feed_url)
    now = datetime.now(UTC)
    with database.reading() as tx:
        times = [
            timed(lambda r=reader: pages.home_feed(tx, r, "quality", 25, None, now), repeat=5) for reader in readers
        ]
    database.dispose()
    return {"readers": len(times), "median_ms": round(statistics.median(times), 3), "max_ms": max(times)}


def run_cold(scale: float, postgres) -> dict:
    """Seed fresh databases at ``scale`` and time only the pages read from PostgreSQL (nothing kept), ours
    beside Lemmy's SQL: no stack, no HTTP."""
    run = uuid.uuid4().hex[:8]
    names = {s: f"benchcold_{s}_{run}" for s in infra.SERVICES}
    urls = {s: postgres.create(db) for s, db in names.items()}
    load_before = os.getloadavg()
    try:
        for service, url in urls.items():
            engine = make_engine(url)
            migrate(engine, migrations_dir(service))
            engine.dispose()
        seeded = seed(urls, scale, readers=21)
        lemmy_baseline(urls["feed"], datetime.now(UTC))
        joined = [sid for sid, _ in seeded.subwikis[:50]]
        mutes = muting_reader(urls["feed"], seeded.reader, seeded.users[21])
        queries = json.loads(json.dumps(query_times(urls["feed"], seeded.reader, joined, seeded.users[21])))
        others = readers_home_times(urls["feed"], seeded.users[1:21])
    finally:
        for db in names.values():
            postgres.drop(db)
    return {
        "scale": scale,
        "counts": seeded.counts,
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "queries": queries,
        "mutes": mutes,
        "other_readers_home_page1": others,
    }


def plot(result: dict, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = result["runs"]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    names = list(runs[-1]["http"])
    width = 0.8 / len(runs)
    for i, run in enumerate(runs):
        xs = [n + i * width for n in range(len(names))]
        axes[0].bar(
            xs, [run["http"][name]["p95_ms"] for name in names], width, label=f"{run['counts']['posts']:,} posts"
        )
    axes[0].set_xticks([n + 0.4 - width / 2 for n in range(len(names))], names, rotation=30, ha="right")
    axes[0].set_ylabel("p95 latency (ms)")
    axes[0].set_title("Feeds through the gateway, concurrency 8 / 16")
    axes[0].legend()
    q = runs[-1]["queries"]
    labels = ["front p1", "front p40", "home p1", "home p40"]
    keys = [("front", "1"), ("front", "40"), ("home", "1"), ("home", "40")]
    xs = range(len(labels))
    for offset, (label, prefix) in zip(
        (-0.27, 0.0, 0.27),
        (
            ("feed: page read from PostgreSQL", "ours_read_"),
            ("feed: kept page", "ours_kept_"),
            ("Lemmy hot_rank", "lemmy_"),
        ),
        strict=True,
    ):
        axes[1].bar([x + offset for x in xs], [q[f"{prefix}{f}"][p] for f, p in keys], 0.27, label=label)
    axes[1].set_xticks(list(xs), labels)
    axes[1].set_yscale("log")
    axes[1].set_ylabel("query time (ms, median, log scale)")
    axes[1].set_title(f"Page queries, {runs[-1]['counts']['posts']:,} posts")
    axes[1].legend()
    fig.tight_layout()
    fig.savefig(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, action="append", help="repeat for a growth figure (smallest first)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--freshness-samples", type=int, default=50)
    parser.add_argument("--writes-per-s", type=float, default=20.0)
    parser.add_argument("--cold", action="store_true", help="only the pages read from PostgreSQL, beside Lemmy's SQL")
    parser.add_argument("--comments", action="store_true", help="only the comment pages of a post with 2,000 comments")
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs of each comment page (--comments)")
    args = parser.parse_args()
    scales = sorted(args.scale or [1.0])
    if args.cold:
        return cold(scales)
    if args.comments:
        return comments(scales, args)
    broker, postgres = infra.find_broker(), infra.find_postgres()
    runs = [run_scale(scale, args, broker, postgres) for scale in scales]
    result = {
        "when": datetime.now(UTC).isoformat(),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "machine": {"cpus": os.cpu_count()},
        "runs": runs,
        "targets": {
            "rps_c8": ">= 400",
            "p95_ms_c8": "<= 30",
            "page_1000_over_page_1": "0.8 .. 1.2",
            "growth_p95_largest_over_smallest": "<= 1.3",
            "query_ratio_vs_lemmy": "<= 0.5",
            "freshness_p99_ms": "<= 200",
        },
    }
    if len(runs) > 1:
        small, large = runs[0], runs[-1]
        result["growth_p95"] = {
            name: round(large["http"][name]["p95_ms"] / small["http"][name]["p95_ms"], 3)
            for name in ("home_c8", "front_c8", "front_c8_while_posting")
        }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"feed-scale{'-'.join(str(s) for s in scales)}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    plot(result, path.with_suffix(".png"))
    for run in runs:
        print(f"scale {run['scale']}: {run['counts']}, seeded in {run['seed_seconds']} s")
        for name, figures in run["http"].items():
            print(
                f"  {name:28} {figures['rps']:8.1f} req/s  p50 {figures['p50_ms']:7.2f}  p95 {figures['p95_ms']:7.2f}"
                f"  p99 {figures['p99_ms']:7.2f} ms  errors {figures['errors']}"
            )
            ms = figures.get("cpu_ms_per_request", {})
            print(f"  {'':28} CPU ms/request: feed {ms.get('feed', 0):.2f}  gateway {ms.get('gateway', 0):.2f}")
        print("  page 1000 / page 1 p95:", run["page_1000_over_page_1_p95"])
        print("  query ratios (ours / Lemmy):", run["queries"]["ratio"])
        q = run["queries"]
        print(
            f"  home p1/p40 ms, no mutes: read {q['ours_read_home']} kept {q['ours_kept_home']};"
            f" muting {run['mutes']}: read {q['ours_read_home_muting']} kept {q['ours_kept_home_muting']}"
        )
        print("  freshness:", run["freshness"], " sustained posts/s:", run["sustained_post_writes_per_s"])
    if "growth_p95" in result:
        print("growth, p95 largest / smallest:", result["growth_p95"])
    print(f"written to {path.relative_to(ROOT)} and {path.with_suffix('.png').relative_to(ROOT)}")
    return 0


def cold(scales: list[float]) -> int:
    postgres = infra.find_postgres()
    runs = [run_cold(scale, postgres) for scale in scales]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    result = {
        "when": datetime.now(UTC).isoformat(),
        "commit": commit.stdout.strip(),
        "cpus": os.cpu_count(),
        "runs": runs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"feed-cold-scale{'-'.join(str(s) for s in scales)}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    for run in runs:
        queries = run["queries"]
        print(f"scale {run['scale']}: {run['counts']}, load {run['loadavg_before']} .. {run['loadavg_after']}")
        for name in ("ours_read_front", "ours_read_home", "ours_read_home_muting", "lemmy_front", "lemmy_home"):
            print(f"  {name:18} page 1 {queries[name]['1']:8.3f} ms   page 40 {queries[name]['40']:8.3f} ms")
        print("  ratios (ours / Lemmy):", queries["ratio"])
        print("  other readers' home page 1:", run["other_readers_home_page1"])
    print(f"written to {path.relative_to(ROOT)}")
    return 0


def comments(scales: list[float], args: argparse.Namespace) -> int:
    broker, postgres = infra.find_broker(), infra.find_postgres()
    runs = [run_comments(scale, args, broker, postgres) for scale in scales]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    result = {
        "when": datetime.now(UTC).isoformat(),
        "commit": commit.stdout.strip(),
        "cpus": os.cpu_count(),
        "target": "first comment page p95 <= 30 ms through the gateway",
        "runs": runs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"feed-comments-scale{'-'.join(str(s) for s in scales)}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    for run in runs:
        print(f"scale {run['scale']}: {run['discussion']}, load {run['loadavg_before']} .. {run['loadavg_after']}")
        measured = run["pages"]
        print(
            f"  page 1: {measured['page1_top_level']} threads, {measured['page1_comments']} comments,"
            f" {measured['page1_bytes']} bytes; next_cursor: {measured['next_cursor']}"
        )
        for name, figures in measured.items():
            if isinstance(figures, dict):
                print(
                    f"  {name:18} {figures['rps']:8.1f} req/s  p50 {figures['p50_ms']:7.2f}"
                    f"  p95 {figures['p95_ms']:7.2f} ms (rounds {figures['rounds_p95_ms']})  errors {figures['errors']}"
                )
    print(f"written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
