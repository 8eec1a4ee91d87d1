"""``make bench-feed-storage``: the feed's read model in PostgreSQL beside the same model in Redis.

On one bulk-seeded data set (``bench/seed.py`` at ``--scale``), the feed service's pages as the
service reads them from PostgreSQL (its own page functions: a keyset range scan over the
precomputed ``(rank, id)`` indexes) are timed against the same pages assembled from Redis the
way Mastodon keeps timelines: a sorted set by rank for the front page, one per subwiki, one per
author, a hash per post with what an entry shows, memberships and follows as sets, the home feed
a ``ZUNIONSTORE`` of the person's subwikis and followees (per request, or kept for a few seconds).
Both sides apply the same caps (2 per author, 5 per subwiki on the home feed) and the same
new-creator slot, and every page is checked to be the same entries in both.

Also timed: a vote's write (PostgreSQL's row update against ``ZADD`` into three sorted sets), the
decay refresh of 500 posts, Redis's load from PostgreSQL (its rebuild after a restart), and the
memory each holds. Results: ``bench/results/feed-storage-scale<scale>-<UTC time>.json`` and a table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import namedtuple
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg
import redis
from psycopg.rows import namedtuple_row

from bench import cpu
from bench.seed import seed
from devstack import infra
from devstack.stack import ROOT
from feed import pages as service_pages
from feed import ranking
from feed.models import Base as FeedBase
from feed.pages.caps import Caps, choose, creator_median
from feed.pages.items import item
from svclib.db import StandaloneDatabase, make_engine, migrate
from svclib.migrations import migrations_dir

RESULTS = ROOT / "bench" / "results"
C = ranking.CONFIG
SIZE = 25
SCAN_AHEAD = 10

# What an entry shows of a post, kept in its Redis hash; the scan, the caps and the slot need nothing else.
FLOATS = ("up_weight", "down_weight", "penalty", "approval", "quality", "rank")
INTS = ("up_count", "down_count", "comment_count", "commenters", "editors")
OPTIONAL = ("url", "image_file", "author_username", "author_display_name", "subwiki_name")
SHOWN = (
    "id",
    "subwiki_id",
    "subwiki_slug",
    "author_id",
    "kind",
    "title",
    "url",
    "image_file",
    "posted_at",
    *FLOATS,
    *INTS,
    "author_username",
    "author_display_name",
    "subwiki_name",
    "small_author",
)
Post = namedtuple("Post", SHOWN)


def _decode_post(values: list[str | None]) -> Post:
    row = dict(zip(SHOWN, values, strict=True))
    for name in FLOATS:
        row[name] = float(row[name])
    for name in INTS:
        row[name] = int(row[name])
    for name in OPTIONAL:
        row[name] = row[name] or None
    row["posted_at"] = datetime.fromtimestamp(float(row["posted_at"]), UTC)
    row["small_author"] = row["small_author"] == "1"
    return Post(**row)


def _encode_post(row) -> dict[str, str | float | int]:
    fields = {name: getattr(row, name) for name in SHOWN}
    for name in OPTIONAL:
        fields[name] = fields[name] or ""
    fields["posted_at"] = row.posted_at.timestamp()
    fields["small_author"] = "1" if row.small_author else "0"
    return fields


# --- the read model in Redis -----------------------------------------------------------


class RedisFeed:
    """The feed's pages from sorted sets and hashes, with the feed service's caps and new-creator slot.

    ``reuse_home`` keeps a person's home union for ``home_ttl`` seconds, as Mastodon keeps home
    timelines precomputed; otherwise every home page unions into a key of this client's own.
    """

    def __init__(self, client: redis.Redis, prefix: str, reuse_home: bool = False, home_ttl: int = 5, tag: str = ""):
        self.r = client
        self.p = prefix
        self.reuse_home = reuse_home
        self.home_ttl = home_ttl
        self.tag = tag or uuid.uuid4().hex[:6]

    def key(self, *parts: str) -> str:
        return self.p + ":".join(parts)

    def home_key(self, user_id: str) -> str:
        if self.reuse_home:
            key = self.key("home", user_id)
            if self.r.exists(key):
                return key
        else:
            key = self.key("home", user_id, self.tag)
        pipe = self.r.pipeline(transaction=False)
        pipe.smembers(self.key("member", user_id))
        pipe.smembers(self.key("follows", user_id))
        subwikis, followees = pipe.execute()
        sources = [self.key("sw", s) for s in subwikis] + [self.key("au", a) for a in followees]
        pipe = self.r.pipeline(transaction=False)
        # MAX, not the default SUM: a followee's post in a joined subwiki is in two sets with one rank.
        pipe.zunionstore(key, sources, aggregate="MAX")
        pipe.expire(key, self.home_ttl if self.reuse_home else 60)
        pipe.execute()
        return key

    def zset(self, kind: str, value: str | None) -> str:
        if kind == "front":
            return self.key("rank")
        if kind == "subwiki":
            return self.key("sw", value)
        return self.home_key(value)

    def fetch(self, ids: list[str]) -> list[Post]:
        pipe = self.r.pipeline(transaction=False)
        for post_id in ids:
            pipe.hmget(self.key("post", post_id), SHOWN)
        return [_decode_post(values) for values in pipe.execute()]

    def ranked(self, zset: str, after: tuple[float, str] | None, batch: int) -> list[tuple[str, float]]:
        """``(id, rank)`` in (rank, id) descending order strictly after ``after``: ties order by id as in SQL."""
        if after is None:
            return self.r.zrevrangebyscore(zset, "+inf", "-inf", start=0, num=batch, withscores=True)
        score, last_id = after
        found: list[tuple[str, float]] = []
        offset, want = 0, batch + 1  # the cursor's own post comes back first
        while len(found) < batch:
            got = self.r.zrevrangebyscore(zset, score, "-inf", start=offset, num=want, withscores=True)
            found.extend((m, s) for m, s in got if s < score or m < last_id)
            if len(got) < want:
                break
            offset += len(got)
        return found[:batch]

    def scan(self, zset: str, after: tuple[float, str] | None, batch: int) -> list[Post]:
        """Posts in feed order strictly after ``after``."""
        return self.fetch([m for m, _ in self.ranked(zset, after, batch)])

    def new_creator(self, zset: str, median: float, excluded: set[str], after: tuple[float, str] | None) -> Post | None:
        """The best post after the page's start by a small author with approval above the median and not excluded."""
        chunk = 100
        while True:
            ranked = self.ranked(zset, after, chunk)
            pipe = self.r.pipeline(transaction=False)
            candidates = [m for m, _ in ranked if m not in excluded]
            for post_id in candidates:
                pipe.hmget(self.key("post", post_id), ("approval", "small_author"))
            for post_id, (approval, small) in zip(candidates, pipe.execute(), strict=True):
                if small == "1" and float(approval) > median:
                    return self.fetch([post_id])[0]
            if len(ranked) < chunk:
                return None
            after = (ranked[-1][1], ranked[-1][0])

    def page(self, kind: str, value: str | None, cursor: tuple | None, now: datetime, per_subwiki: int | None):
        """``(items, next cursor)``: the feed service's page assembly (feed.pages.assembly.page) over Redis."""
        zset = self.zset(kind, value)
        shown = set(cursor[2]) if cursor else set()

        def scan():
            after, batch = ((cursor[0], cursor[1]) if cursor else None), SIZE + SCAN_AHEAD
            while True:
                rows = self.scan(zset, after, batch)
                yield from rows
                if len(rows) < batch:
                    return
                after = (rows[-1].rank, rows[-1].id)

        chosen, last, more = choose(scan(), SIZE, shown, Caps(C.PER_AUTHOR, per_subwiki))
        median = creator_median(chosen)
        start = (cursor[0], cursor[1]) if cursor else None
        promoted = None
        if median is not None:
            promoted = self.new_creator(zset, median, {row.id for row in chosen} | shown, start)
        shown_rows = chosen if promoted is None else [*chosen[:-1], promoted]
        if promoted is not None:
            shown.add(promoted.id)
        items = [item(row, now, promoted=row is promoted) for row in shown_rows]
        next_cursor = (last.rank, last.id, tuple(sorted(shown)[-50:])) if more else None
        return items, next_cursor


def load_redis(client: redis.Redis, prefix: str, dsn: str) -> dict:
    """Every visible post, its names and the new-creator flag, authors' counts, memberships and follows."""
    started = time.perf_counter()
    with psycopg.connect(dsn, row_factory=namedtuple_row) as conn:
        columns = {
            r.column_name
            for r in conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'feed_posts'")
        }
        if "author_username" in columns:
            names = "p.author_username, p.author_display_name, p.subwiki_name, p.small_author"
            joins = ""
        else:
            names = (
                "pe.username AS author_username, pe.display_name AS author_display_name, s.name AS subwiki_name,"
                f" COALESCE(a.posts, 0) < {C.NEW_CREATOR_POSTS} AS small_author"
            )
            joins = (
                " LEFT JOIN feed_people pe ON pe.id = p.author_id LEFT JOIN feed_subwikis s ON s.id = p.subwiki_id"
                " LEFT JOIN feed_authors a ON a.author_id = p.author_id"
            )
        plain = [f"p.{name}" for name in SHOWN[:-4]]
        sql = f"SELECT {', '.join(plain)}, p.refreshed_at, {names} FROM feed_posts p{joins} WHERE p.visible"
        posts = 0
        with conn.cursor(name="load") as rows:
            rows.itersize = 2000
            rows.execute(sql)
            while chunk := rows.fetchmany(2000):
                pipe = client.pipeline(transaction=False)
                by_subwiki: dict[str, dict[str, float]] = {}
                by_author: dict[str, dict[str, float]] = {}
                for row in chunk:
                    pipe.hset(f"{prefix}post:{row.id}", mapping=_encode_post(row))
                    by_subwiki.setdefault(row.subwiki_id, {})[row.id] = row.rank
                    by_author.setdefault(row.author_id, {})[row.id] = row.rank
                pipe.zadd(f"{prefix}rank", {row.id: row.rank for row in chunk})
                pipe.zadd(f"{prefix}refreshed", {row.id: row.refreshed_at.timestamp() for row in chunk})
                for subwiki_id, members in by_subwiki.items():
                    pipe.zadd(f"{prefix}sw:{subwiki_id}", members)
                for author_id, members in by_author.items():
                    pipe.zadd(f"{prefix}au:{author_id}", members)
                pipe.execute()
                posts += len(chunk)
        posts_seconds = time.perf_counter() - started
        pipe = client.pipeline(transaction=False)
        for n, row in enumerate(conn.execute("SELECT user_id, subwiki_id FROM feed_memberships"), 1):
            pipe.sadd(f"{prefix}member:{row.user_id}", row.subwiki_id)
            if n % 5000 == 0:
                pipe.execute()
        for n, row in enumerate(conn.execute("SELECT follower_id, followee_id FROM feed_follows"), 1):
            pipe.sadd(f"{prefix}follows:{row.follower_id}", row.followee_id)
            if n % 5000 == 0:
                pipe.execute()
        pipe.execute()
    return {
        "posts": posts,
        "posts_seconds": round(posts_seconds, 2),
        "seconds": round(time.perf_counter() - started, 2),
        "posts_per_s": round(posts / posts_seconds),
    }


def redis_memory(client: redis.Redis, prefix: str) -> dict:
    """MEMORY USAGE of every key of this run, by kind of key."""
    by_kind: dict[str, int] = {}
    keys = 0
    batch: list[str] = []

    def flush():
        pipe = client.pipeline(transaction=False)
        for key in batch:
            pipe.memory_usage(key)
        for key, used in zip(batch, pipe.execute(), strict=True):
            kind = key[len(prefix) :].split(":", 1)[0]
            by_kind[kind] = by_kind.get(kind, 0) + (used or 0)
        batch.clear()

    for key in client.scan_iter(match=f"{prefix}*", count=5000):
        batch.append(key)
        keys += 1
        if len(batch) == 5000:
            flush()
    flush()
    return {"keys": keys, "bytes_by_kind": by_kind, "bytes": sum(by_kind.values())}


def drop_keys(client: redis.Redis, prefix: str) -> None:
    batch = []
    for key in client.scan_iter(match=f"{prefix}*", count=5000):
        batch.append(key)
        if len(batch) == 5000:
            client.unlink(*batch)
            batch = []
    if batch:
        client.unlink(*batch)


def pg_sizes(dsn: str) -> dict:
    with psycopg.connect(dsn) as conn:

        def one(sql: str) -> int:
            return conn.execute(sql).fetchone()[0]

        tables = ("feed_posts", "feed_authors", "feed_people", "feed_subwikis", "feed_memberships", "feed_follows")
        return {
            "feed_posts_heap": one("SELECT pg_relation_size('feed_posts')"),
            "feed_posts_indexes": one("SELECT pg_indexes_size('feed_posts')"),
            "feed_posts_total": one("SELECT pg_total_relation_size('feed_posts')"),
            "feed_posts_indexes_list": [
                r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'feed_posts'")
            ],
            "tables_total": {t: one(f"SELECT pg_total_relation_size('{t}')") for t in tables},
        }


# --- timing ----------------------------------------------------------------------------


def _summary(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 3),
        "runs": len(ordered),
    }


def single(fn: Callable[[], object], runs: int, warmup: int = 20) -> dict:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1e3)
    return _summary(samples)


def _server_seconds(before: dict, after: dict) -> dict[str, float]:
    totals = {"postgres": 0.0, "redis": 0.0}
    for pid, sample in after.items():
        component = {"postgres": "postgres", "redis-server": "redis"}.get(sample.name)
        if component is None:
            continue
        previous = before.get(pid)
        start = previous.seconds if previous is not None and previous.started == sample.started else 0.0
        totals[component] += sample.seconds - start
    return totals


def concurrent(calls: list[Callable[[], object]], seconds: float) -> dict:
    """Each thread runs its own call in a loop for ``seconds``: pages/s, latency, CPU per page by component."""
    for call in calls:
        call()
    latencies: list[list[float]] = [[] for _ in calls]
    start = threading.Barrier(len(calls) + 1)
    stop_at = [0.0]

    def run(index: int) -> None:
        call, mine = calls[index], latencies[index]
        start.wait()
        while time.perf_counter() < stop_at[0]:
            began = time.perf_counter()
            call()
            mine.append((time.perf_counter() - began) * 1e3)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    servers_before, self_before = cpu.snapshot(), resource.getrusage(resource.RUSAGE_SELF)
    ticks_before = cpu.machine_ticks()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    self_after, servers_after = resource.getrusage(resource.RUSAGE_SELF), cpu.snapshot()
    busy = cpu.busy(ticks_before, cpu.machine_ticks())
    done = sum(len(mine) for mine in latencies)
    spent = _server_seconds(servers_before, servers_after)
    spent["client"] = (self_after.ru_utime + self_after.ru_stime) - (self_before.ru_utime + self_before.ru_stime)
    summary = _summary([ms for mine in latencies for ms in mine])
    return {
        "threads": len(calls),
        "pages_per_s": round(done / elapsed, 1),
        "median_ms": summary["median_ms"],
        "p95_ms": summary["p95_ms"],
        "pages": done,
        "cpu_ms_per_page": {name: round(s * 1e3 / max(1, done), 3) for name, s in spent.items()},
        "machine_busy": round(busy, 3),
    }


# --- the bench -------------------------------------------------------------------------


def service_page(database: StandaloneDatabase, kind: str, value: str | None, cursor: str | None, now: datetime):
    """The feed service's own page function, as its RPC calls it: one reading transaction per page."""
    with database.reading() as tx:
        if kind == "front":
            answer = service_pages.public_feed(tx, "quality", "all", SIZE, cursor, now)
        elif kind == "subwiki":
            answer = service_pages.subwiki_feed(tx, value, "quality", SIZE, cursor, now)
        else:
            answer = service_pages.home_feed(tx, value, "quality", SIZE, cursor, now)
    return answer["items"], answer["next_cursor"]


def cursor_before(fetch: Callable[[object], tuple], page: int):
    cursor = None
    for _ in range(page - 1):
        cursor = fetch(cursor)[1]
    return cursor


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def time_reads(args, urls: dict, client: redis.Redis, prefix: str, seeded, now: datetime) -> tuple[dict, dict]:
    reader = seeded.reader
    subwiki_id, subwiki_slug = seeded.subwikis[0]
    queries = {
        "front_p1": ("front", None, 1),
        "front_p40": ("front", None, 40),
        "subwiki_p1": ("subwiki", subwiki_id, 1),
        "home_p1": ("home", reader, 1),
        "home_p40": ("home", reader, 40),
    }
    database = StandaloneDatabase(FeedBase.metadata, urls["feed"])
    cursors: dict[tuple, object] = {}

    def pg_call(kind, value, page):
        value = subwiki_slug if kind == "subwiki" else value
        key = ("postgres", kind, page)
        if key not in cursors:
            cursors[key] = cursor_before(lambda c: service_page(database, kind, value, c, now), page)
        cursor = cursors[key]
        return lambda: service_page(database, kind, value, cursor, now)

    def redis_call(kind, value, page, reuse_home=False):
        store = RedisFeed(client, prefix, reuse_home=reuse_home)
        per_subwiki = C.PER_SUBWIKI_HOME if kind == "home" else None
        key = ("redis", kind, page)
        if key not in cursors:
            cursors[key] = cursor_before(lambda c: store.page(kind, value, c, now, per_subwiki), page)
        cursor = cursors[key]
        return lambda: store.page(kind, value, cursor, now, per_subwiki)

    variants = {
        "postgres": pg_call,
        "redis": redis_call,
        "redis_home_reused": lambda k, v, p: redis_call(k, v, p, reuse_home=True),
    }
    timings: dict = {}
    same: dict = {}
    try:
        for name, (kind, value, page) in queries.items():
            pg_items = pg_call(kind, value, page)()[0]
            redis_items = redis_call(kind, value, page)()[0]
            same[name] = {
                "entries": len(pg_items),
                "same_posts": [i["post_id"] for i in pg_items] == [i["post_id"] for i in redis_items],
                "same_entries": pg_items == redis_items,
            }
            for variant, make in variants.items():
                if variant == "redis_home_reused" and kind != "home":
                    continue
                call = make(kind, value, page)
                result = {"single": single(call, args.runs)}
                result["concurrent"] = concurrent([make(kind, value, page) for _ in range(args.threads)], args.seconds)
                timings.setdefault(name, {})[variant] = result
                print(f"  {name} {variant}: {result['single']}", file=sys.stderr, flush=True)
    finally:
        database.dispose()
    return timings, same


def time_union(client: redis.Redis, prefix: str, reader: str, runs: int) -> dict:
    store = RedisFeed(client, prefix)
    key = store.home_key(reader)
    result = single(lambda: store.home_key(reader), runs)
    result["members"] = client.zcard(key)
    result["key_bytes"] = client.memory_usage(key)
    return result


def time_writes(dsn: str, client: redis.Redis, prefix: str, runs: int, batches: int) -> dict:
    """A vote's rank change and the decay refresh of 500 posts, in each storage."""
    now = datetime.now(UTC)
    with psycopg.connect(dsn, autocommit=True, row_factory=namedtuple_row) as conn:
        ids = [r.id for r in conn.execute("SELECT id FROM feed_posts WHERE visible ORDER BY md5(id) LIMIT %s", (runs,))]
        pg_vote, pg_update_only, redis_vote = [], [], []
        changed: dict[str, dict] = {}
        for post_id in ids:
            began = time.perf_counter()
            with conn.transaction():
                row = conn.execute(
                    "SELECT up_weight, down_weight, up_count, commenters, editors, penalty, posted_at,"
                    " subwiki_id, author_id FROM feed_posts WHERE id = %s FOR UPDATE",
                    (post_id,),
                ).fetchone()
                up = row.up_weight + 0.5
                approval = ranking.approval(up, row.down_weight)
                quality = ranking.quality(up, row.down_weight, row.commenters, row.editors, row.penalty)
                rank = ranking.rank(quality, max(0.0, (now - row.posted_at).total_seconds() / 3600))
                conn.execute(
                    "UPDATE feed_posts SET up_weight = %s, up_count = up_count + 1, approval = %s, quality = %s,"
                    " rank = %s, refreshed_at = %s WHERE id = %s",
                    (up, approval, quality, rank, now, post_id),
                )
            pg_vote.append((time.perf_counter() - began) * 1e3)
            changed[post_id] = {
                "fields": {"up_weight": up, "up_count": row.up_count + 1, "approval": approval, "quality": quality},
                "rank": rank,
                "subwiki_id": row.subwiki_id,
                "author_id": row.author_id,
            }
        for post_id, change in changed.items():
            began = time.perf_counter()
            conn.execute(
                "UPDATE feed_posts SET up_weight = %s, approval = %s, quality = %s, rank = %s WHERE id = %s",
                (
                    change["fields"]["up_weight"],
                    change["fields"]["approval"],
                    change["fields"]["quality"],
                    change["rank"],
                    post_id,
                ),
            )
            pg_update_only.append((time.perf_counter() - began) * 1e3)
        for post_id, change in changed.items():
            began = time.perf_counter()
            pipe = client.pipeline(transaction=True)
            pipe.hset(f"{prefix}post:{post_id}", mapping={**change["fields"], "rank": change["rank"]})
            pipe.zadd(f"{prefix}rank", {post_id: change["rank"]})
            pipe.zadd(f"{prefix}sw:{change['subwiki_id']}", {post_id: change["rank"]})
            pipe.zadd(f"{prefix}au:{change['author_id']}", {post_id: change["rank"]})
            pipe.execute()
            redis_vote.append((time.perf_counter() - began) * 1e3)

        cutoff = datetime.now(UTC)
        recent = cutoff - timedelta(days=C.REFRESH_WINDOW_DAYS + 1)
        pg_decay, redis_decay, refreshed = [], [], 0
        for _ in range(batches):
            began = time.perf_counter()
            stamp = datetime.now(UTC)
            with conn.transaction():
                # Every post counts as due here (the seed has just scored them all): the cost of a full batch.
                rows = conn.execute(
                    "SELECT id, quality, posted_at FROM feed_posts WHERE refresh_due <= %s AND posted_at > %s"
                    " AND visible ORDER BY refresh_due LIMIT 500",
                    (cutoff + timedelta(days=C.REFRESH_WINDOW_DAYS + 1), recent),
                ).fetchall()
                with conn.cursor() as cur:
                    cur.executemany(
                        "UPDATE feed_posts SET rank = %s, refreshed_at = %s, refresh_due = %s WHERE id = %s",
                        [
                            (
                                ranking.rank(r.quality, age),
                                stamp,
                                stamp + timedelta(hours=ranking.refresh_after_hours(age)),
                                r.id,
                            )
                            for r in rows
                            for age in [(stamp - r.posted_at).total_seconds() / 3600]
                        ],
                    )
            pg_decay.append((time.perf_counter() - began) * 1e3)
            refreshed += len(rows)
        for _ in range(batches):
            began = time.perf_counter()
            stamp = time.time()
            ids = client.zrangebyscore(f"{prefix}refreshed", "-inf", f"({cutoff.timestamp()}", start=0, num=500)
            pipe = client.pipeline(transaction=False)
            for post_id in ids:
                pipe.hmget(f"{prefix}post:{post_id}", ("quality", "posted_at", "subwiki_id", "author_id"))
            facts = pipe.execute()
            pipe = client.pipeline(transaction=False)
            for post_id, (quality, posted_at, subwiki_id, author_id) in zip(ids, facts, strict=True):
                rank = ranking.rank(float(quality), (stamp - float(posted_at)) / 3600)
                pipe.hset(f"{prefix}post:{post_id}", "rank", rank)
                pipe.zadd(f"{prefix}rank", {post_id: rank})
                pipe.zadd(f"{prefix}sw:{subwiki_id}", {post_id: rank})
                pipe.zadd(f"{prefix}au:{author_id}", {post_id: rank})
                pipe.zadd(f"{prefix}refreshed", {post_id: stamp})
            pipe.execute()
            redis_decay.append((time.perf_counter() - began) * 1e3)
    return {
        "vote": {
            "postgres_select_for_update_and_update": _summary(pg_vote),
            "postgres_update_only": _summary(pg_update_only),
            "redis_multi_hset_and_3_zadd": _summary(redis_vote),
        },
        "decay_refresh_500": {
            "postgres_select_and_executemany_update": _summary(pg_decay),
            "redis_zrangebyscore_hmget_and_zadd": _summary(redis_decay),
            "posts_refreshed_per_batch": round(refreshed / max(1, batches)),
        },
    }


OPERATIONS = {
    "another_server": "Redis is one more server to run, monitor, size and upgrade beside PostgreSQL and RabbitMQ; "
    "every feed replica and every test layer would need it too.",
    "rebuild_after_restart": "Nothing is persisted here (save '' and no AOF): after a restart or a failover the "
    "read model is empty until it is rebuilt from PostgreSQL (see load.seconds; a feed answers nothing or "
    "wrongly meanwhile). Persisting it (RDB/AOF) costs disk and fork memory and still lags.",
    "second_source_of_truth": "PostgreSQL stays the source of truth (votes, trust, comments, the outbox and "
    "processed_events commit in one transaction). A Redis copy is written after that commit, outside it: a "
    "process dying in between leaves Redis stale until a repair; keeping them equal needs its own outbox "
    "consumer or a periodic reconciliation, and the rebuild test must cover both.",
    "memory": "Redis holds everything in RAM (see memory): sorted sets per subwiki and per author duplicate "
    "each post's score three times, plus a hash per post; PostgreSQL keeps the same in pages cached as used.",
    "home_feed": "A home feed is a ZUNIONSTORE over the person's subwikis and followees on every request, or a "
    "precomputed set per person kept for a while (memory per active reader, see union.key_bytes) and fanned "
    "out on each write, as Mastodon does; PostgreSQL reads the same page from the rank index with a semi-join.",
}


def table(result: dict) -> str:
    lines = [
        f"{'query':<12} {'storage':<18} {'median ms':>9} {'p95 ms':>8} {'8 thr /s':>9} {'8 thr p95':>9}"
        f" {'cpu ms/page client/pg/redis':>28}",
    ]
    for query, variants in result["reads"].items():
        for variant, r in variants.items():
            c = r["concurrent"]
            per = c["cpu_ms_per_page"]
            lines.append(
                f"{query:<12} {variant:<18} {r['single']['median_ms']:>9.2f} {r['single']['p95_ms']:>8.2f}"
                f" {c['pages_per_s']:>9.1f} {c['p95_ms']:>9.2f}"
                f" {per['client']:>10.2f}/{per['postgres']:.2f}/{per['redis']:.2f}"
            )
    for name, group in result["writes"].items():
        for variant, r in group.items():
            if isinstance(r, dict):
                lines.append(f"{name:<18} {variant:<40} {r['median_ms']:>8.2f} {r['p95_ms']:>8.2f}")
    u = result["union"]
    lines.append(f"home ZUNIONSTORE alone: median {u['median_ms']} ms, p95 {u['p95_ms']} ms, {u['members']} members")
    m = result["memory"]
    lines.append(
        f"memory: redis used_memory +{m['redis_used_memory_delta'] / 2**20:.1f} MiB"
        f" (keys {m['redis_keys']['bytes'] / 2**20:.1f} MiB), postgres feed_posts with indexes"
        f" {m['postgres']['feed_posts_total'] / 2**20:.1f} MiB"
        f" (indexes {m['postgres']['feed_posts_indexes'] / 2**20:.1f} MiB)"
    )
    lines.append(f"redis load from postgres: {result['load']}")
    lines.append(f"same pages in both: {result['same_pages']}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=200, help="timed runs per query, single client")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each concurrent run")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11"))
    args = parser.parse_args()

    def stop(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    client = redis.Redis.from_url(args.redis_url, decode_responses=True)
    client.ping()
    postgres = infra.find_postgres()
    run = uuid.uuid4().hex[:8]
    prefix = f"benchstore:{run}:"
    names = {s: f"benchstore_{s}_{run}" for s in infra.SERVICES}
    load_before = os.getloadavg()
    urls: dict[str, str] = {}
    try:
        for service, db in names.items():
            urls[service] = postgres.create(db)
            engine = make_engine(urls[service])
            migrate(engine, migrations_dir(service))
            engine.dispose()
        started = time.monotonic()
        seeded = seed(urls, args.scale)
        seed_seconds = round(time.monotonic() - started, 1)
        dsn = _dsn(urls["feed"])
        with psycopg.connect(dsn) as conn:
            reader_subwikis, reader_follows = (
                conn.execute(sql, (seeded.reader,)).fetchone()[0]
                for sql in (
                    "SELECT count(*) FROM feed_memberships WHERE user_id = %s",
                    "SELECT count(*) FROM feed_follows WHERE follower_id = %s",
                )
            )
        print(f"seeded {seeded.counts} in {seed_seconds} s", file=sys.stderr, flush=True)
        used_before = client.info("memory")["used_memory"]
        load = load_redis(client, prefix, dsn)
        used_after = client.info("memory")["used_memory"]
        memory = {
            "redis_used_memory_delta": used_after - used_before,
            "redis_keys": redis_memory(client, prefix),
            "postgres": pg_sizes(dsn),
        }
        print(f"loaded redis: {load}", file=sys.stderr, flush=True)
        now = datetime.now(UTC)
        reads, same = time_reads(args, urls, client, prefix, seeded, now)
        union = time_union(client, prefix, seeded.reader, args.runs)
        writes = time_writes(dsn, client, prefix, args.runs, max(1, min(50, seeded.counts["posts"] // 1000)))
        with psycopg.connect(dsn) as conn:
            pg_version = conn.execute("SHOW server_version").fetchone()[0]
    finally:
        drop_keys(client, prefix)
        for db in names.values():
            postgres.drop(db)
    result = {
        "when": datetime.now(UTC).isoformat(),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "tree_dirty": bool(
            subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        ),
        "scale": args.scale,
        "counts": seeded.counts,
        "seed_seconds": seed_seconds,
        "reader": {"subwikis": reader_subwikis, "follows": reader_follows},
        "machine": {"cpus": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "versions": {
            "postgres": pg_version,
            "redis": client.info("server")["redis_version"],
            "redis_py": redis.__version__,
        },
        "postgres_pages": f"{service_pages.__name__} (the feed service's own page functions, SQLAlchemy Core)",
        "settings": {"runs": args.runs, "threads": args.threads, "seconds": args.seconds, "page_size": SIZE},
        "load": load,
        "memory": memory,
        "same_pages": same,
        "reads": reads,
        "union": union,
        "writes": writes,
        "operations": OPERATIONS,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"feed-storage-scale{args.scale}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    print(f"written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
