"""``make bench-search``: search at WT.Social's size (1,000,000 posts; ``--posts`` for fewer) through the gateway.

A fresh stack on databases of its own; content's posts written straight into its tables with COPY
(titles and bodies drawn from a Zipf vocabulary, a quarter of them French from a vocabulary of their
own), the feed's quality of 40% of them in their rows (as ``post_quality_changed`` would have
left it), people in identity and subwikis in communities, and the feed's read model of every post
(what the answers show of each: names and numbers). The search index is built after the load, as a
restore builds it. Then:

- ``sql``: content's ``search`` function alone on the seeded database (what the RPC costs without
  the bus), median and p95 over repeated calls, and the CPU milliseconds a call of the PostgreSQL backend
  that ran them, for each query below;
- ``http``: ``GET /api/v1/search?q=...`` through the gateway with wrk at concurrency 8 (a 2 s warm-up
  dropped, then ``--seconds``): req/s, p50, p95, p99, and the CPU milliseconds a request of each of the
  stack's processes, of the PostgreSQL backends serving its databases (``postgres_stack``), and of every
  ``postgres`` and ``rabbitmq`` process of the machine (shared with whatever else runs). The gateway makes
  one call per search: content answers the posts found with their names (its copies of identity's and
  communities' names, filled from their seeded tables as their events would have left them) and numbers;
  ``--names feed`` empties content's copies, so that the feed's ``post_cards`` names them, a second call.

Queries (English, all posts, relevance): ``two_words``, the target (two words of middling frequency,
ranks 40 and 100 of the vocabulary); ``common_words`` (ranks 2 and 5: a large share of all posts
match, where relevance ranks the newest ``content.handlers.search.CANDIDATES`` only); ``rare_words``
(ranks 3000 and 5000). How many posts each matches is in the result. Target: ``two_words`` p95 <= 50 ms
at concurrency 8. Results: ``bench/results/search-<posts>-<time>.json``, with the load before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import numpy
import psycopg
import requests
from sqlalchemy import text

from bench import cpu
from bench.feed import GROUPS, wrk
from bench.seed import _copy, fresh_databases, seed_names
from content.handlers import recent_posts
from content.handlers import search as content_search
from content.models import Base as ContentBase
from devstack import infra
from devstack.stack import ROOT, Stack
from identity.passwords import hash_password
from svclib.db import StandaloneDatabase, make_engine, migrate
from svclib.migrations import migrations_dir

RESULTS = ROOT / "bench" / "results"
FULL_POSTS = 1_000_000
USERS = 20_000
SUBWIKIS = 500
VOCABULARY = 20_000
TITLE_WORDS, BODY_WORDS = 7, 30
FRENCH_SHARE = 0.25
QUALITY_SHARE = 0.4
# The indexes search reads, built after the load (migration 0015 made them on the empty table).
INDEXES = (
    "CREATE INDEX ix_posts_search_document ON posts USING gin (search_document)",
    "CREATE INDEX ix_posts_created ON posts (created_at, id)",
)

ENGLISH_SYLLABLES = "ba be bi bo bu da de di do fa fe fi fo ga ge go ka ke ki ko la le li lo lu ma me mi mo mu na ne ni no pa pe pi po ra re ri ro ru sa se si so ta te ti to tu va ve vi wa we wi ya yo za"  # noqa: E501
FRENCH_SYLLABLES = "ai au bé ché cou dé eau fé gou jé lé lou mé né ou pé qué ré rou sé té tou vé zé ain oin eur oir ette elle aine ière"  # noqa: E501


def vocabulary(rng: numpy.random.Generator, syllables: str, size: int) -> list[str]:
    """``size`` distinct made-up words of 2 to 4 syllables, the most frequent first (Zipf ranks)."""
    parts = syllables.split()
    words: dict[str, None] = {}
    while len(words) < size:
        count = int(rng.integers(2, 5))
        words["".join(parts[int(i)] for i in rng.integers(0, len(parts), count))] = None
    return list(words)


def zipf_probabilities(size: int) -> numpy.ndarray:
    weights = 1 / numpy.arange(1, size + 1)
    return weights / weights.sum()


RNG_SEED = 11
# The label of a kept database once its seed is complete (devstack's cleaners drop only labels of their own).
KEPT_LABEL = "bench.search kept posts={posts} seeded"


@contextmanager
def kept_databases(broker, postgres, posts: int) -> Iterator[tuple[str, dict[str, str], bool]]:
    """``--keep``: a database per service named for ``posts`` and kept after the run, so that A/B runs read
    the same seeded rows without seeding a million posts again (5 to 13 minutes on this machine); a fresh
    vhost each run. Answers ``(vhost, urls, seeded)``: ``seeded`` False when the databases were just made
    (or an earlier seed never finished) and must be seeded. Each run migrates them to the branch's heads, so
    a migration under test applies to the kept rows. ``--drop-kept`` drops them."""
    names = {s: f"benchsearch_kept{posts}_{s}" for s in infra.SERVICES}
    label = KEPT_LABEL.format(posts=posts)
    seeded = all(_database_label(postgres, name) == label for name in names.values())
    if not seeded:
        for name in names.values():
            postgres.drop(name)
            postgres.create(name)
    urls = {s: postgres.url(name) for s, name in names.items()}
    for service, url in urls.items():
        engine = make_engine(url)
        migrate(engine, migrations_dir(service))
        engine.dispose()
    vhost = broker.create_vhost(f"bench-search-{uuid.uuid4().hex[:8]}")
    try:
        yield vhost, urls, seeded
    finally:
        broker.delete_vhost(vhost)


def mark_seeded(postgres, posts: int) -> None:
    """Label the kept databases as seeded (once the seed is complete, whatever the measuring does next)."""
    label = KEPT_LABEL.format(posts=posts)
    for service in infra.SERVICES:
        postgres._execute(f"COMMENT ON DATABASE \"benchsearch_kept{posts}_{service}\" IS '{label}'")


def drop_kept(postgres, posts: int) -> None:
    for service in infra.SERVICES:
        postgres.drop(f"benchsearch_kept{posts}_{service}")


def _database_label(postgres, name: str) -> str | None:
    rows = postgres._execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '" + name + "'"
    )
    return rows[0][0] if rows else None


def seed(urls: dict[str, str], posts: int, rng_seed: int = RNG_SEED) -> dict:
    """Write the people, subwikis, posts and qualities; answer the vocabularies and counts."""
    rng = numpy.random.default_rng(rng_seed)
    now = datetime.now(UTC)
    english, french = vocabulary(rng, ENGLISH_SYLLABLES, VOCABULARY), vocabulary(rng, FRENCH_SYLLABLES, VOCABULARY)
    users = [uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | i).hex for i in range(USERS)]
    password = hash_password("benchmark password")
    _copy(
        urls["identity"],
        "users",
        ["id", "username", "email", "email_normalised", "display_name", "bio", "password_hash", "trust", "badges"]
        + ["created_at", "updated_at"],
        (
            (u, f"user{i}", f"user{i}@bench.invalid", f"user{i}@bench.invalid", f"User {i}", "", password, 0.5, "[]")
            + (now, now)
            for i, u in enumerate(users)
        ),
    )
    subwikis = [(uuid.uuid4().hex, f"topic_{i}") for i in range(SUBWIKIS)]
    _copy(
        urls["communities"],
        "subwikis",
        ["id", "slug", "name", "summary", "description", "revision", "created_by", "member_count", "post_count"]
        + ["last_activity_at", "created_at", "updated_at"],
        ((sid, slug, slug.title(), "", "", 1, users[0], 0, 0, now, now, now) for sid, slug in subwikis),
    )
    _copy(
        urls["content"],
        "known_users",
        ["id", "username", "registered_at", "erased_at"],
        ((u, f"user{i}", now - timedelta(days=60), None) for i, u in enumerate(users)),
    )
    probabilities = zipf_probabilities(VOCABULARY)
    french_posts = rng.random(posts) < FRENCH_SHARE
    authors = rng.integers(0, USERS, posts)
    places = numpy.minimum(rng.exponential(60, posts).astype(int), SUBWIKIS - 1)
    ages = rng.random(posts) * 720
    ids = [uuid.uuid4().hex for _ in range(posts)]
    # The feed's quality of QUALITY_SHARE of the posts, kept in their rows (from a stream of its own, so the
    # words drawn are those of the runs before the quality moved into the row).
    scoring = numpy.random.default_rng(rng_seed + 1)
    scored = scoring.random(posts) < QUALITY_SHARE
    qualities = numpy.where(scored, scoring.random(posts) * 1.5, 0.0)
    batch = 50_000

    def rows():
        for start in range(0, posts, batch):
            end = min(posts, start + batch)
            drawn = rng.choice(VOCABULARY, size=(end - start, TITLE_WORDS + BODY_WORDS), p=probabilities)
            for offset, words in enumerate(drawn):
                i = start + offset
                vocab = french if french_posts[i] else english
                title = " ".join(vocab[w] for w in words[:TITLE_WORDS]).capitalize()
                body = " ".join(vocab[w] for w in words[TITLE_WORDS:]).capitalize() + "."
                sid, slug = subwikis[places[i]]
                at = now - timedelta(hours=float(ages[i]))
                yield (
                    ids[i], sid, slug, users[authors[i]], "text", title, body, f"<p>{body}</p>\n", None, None,
                    1, False, 0, 0, 0, "fr" if french_posts[i] else "en", float(qualities[i]), int(scored[i]), at, at,
                )  # fmt: skip

    conninfo = urls["content"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("DROP INDEX IF EXISTS ix_posts_search_document")
        conn.execute("DROP INDEX IF EXISTS ix_posts_created")
    started = time.monotonic()
    count = _copy(
        urls["content"],
        "posts",
        ["id", "subwiki_id", "subwiki_slug", "author_id", "kind", "title", "body", "body_html", "url", "image_id"]
        + ["revision", "protected", "up_count", "down_count", "comment_count", "language", "quality"]
        + ["quality_version", "created_at", "updated_at"],
        rows(),
    )
    copied = time.monotonic() - started
    started = time.monotonic()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        for statement in INDEXES:
            conn.execute(statement)
        # As autovacuum leaves a loaded table (its insert threshold reached): hint bits and the visibility map
        # set, so that no run is measured half before and half after an autovacuum landing in the middle.
        conn.execute("VACUUM (ANALYZE) posts")
    return {
        "english": english,
        "posts": count,
        "french_posts": int(french_posts.sum()),
        "qualities": int(scored.sum()),
        "copy_seconds": round(copied, 1),
        "index_seconds": round(time.monotonic() - started, 1),
    }


def recent_index(content_url: str, held: bool = True) -> dict:
    """Search's index of the recent posts (content.handlers.recent_posts) as content's timer keeps it: built
    for the window ending now when missing (or when its first day has moved since the kept databases were
    last used). ``held`` False drops it instead, so that every search reads the index of all posts: the A
    of an A/B on the same rows."""
    engine = make_engine(content_url)
    started = time.monotonic()
    try:
        if held:
            done = recent_posts.rotate(engine)
            done = recent_posts.rotate(engine) if done.get("built") else done  # the superseded one goes too
        else:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                names = connection.execute(
                    text("SELECT indexname FROM pg_indexes WHERE tablename = 'posts' AND indexname LIKE :p"),
                    {"p": recent_posts.PATTERN},
                ).scalars()
                done = {"dropped": list(names)}
                for name in done["dropped"]:
                    connection.execute(text(f'DROP INDEX CONCURRENTLY "{name}"'))
        with engine.connect() as connection:
            size = connection.execute(
                text(
                    "SELECT indexname, pg_relation_size(indexname::regclass) FROM pg_indexes"
                    " WHERE tablename = 'posts' AND indexname LIKE :p"
                ),
                {"p": recent_posts.PATTERN},
            ).all()
    finally:
        engine.dispose()
    return {**done, "indexes": {name: bytes_ for name, bytes_ in size}, "seconds": round(time.monotonic() - started, 1)}


def seed_feed(urls: dict[str, str]) -> int:
    """The feed's read model of every post (its entry, names and numbers, its quality as content keeps it),
    read from content's rows: what search's answers show of each post comes from it."""
    now = datetime.now(UTC)
    source = urls["content"].replace("postgresql+psycopg://", "postgresql://")
    columns = ["id", "subwiki_id", "subwiki_slug", "author_id", "kind", "title", "posted_at", "visible", "up_weight"]
    columns += ["down_weight", "commenters", "editors", "penalty", "approval", "quality", "rank", "refreshed_at"]
    columns += ["refresh_due", "created_at", "updated_at", "author_username", "author_display_name", "subwiki_name"]
    columns += ["small_author", "quality_version"]
    count = 0
    with (
        psycopg.connect(source) as content,
        psycopg.connect(urls["feed"].replace("postgresql+psycopg://", "postgresql://")) as feed,
    ):
        people = dict(content.execute("SELECT id, username FROM known_users").fetchall())
        # The read model's indexes built after the load, as the content's are (a quarter of the time).
        indexes = feed.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'feed_posts'"
            " AND indexname <> 'feed_posts_pkey'"
        ).fetchall()
        for name, _ in indexes:
            feed.execute(f"DROP INDEX {name}")
        posts = (
            "COPY (SELECT id, subwiki_id, subwiki_slug, author_id, kind, title, created_at, quality, quality_version"
            " FROM posts) TO STDOUT"
        )
        with (
            content.cursor().copy(posts) as read,
            feed.cursor().copy(f"COPY feed_posts ({', '.join(columns)}) FROM STDIN") as write,
        ):
            read.set_types(["text", "text", "text", "text", "text", "text", "timestamptz", "float8", "int8"])
            for pid, sid, slug, author, kind, title, at, quality, version in read.rows():
                name = people[author]
                write.write_row(
                    (pid, sid, slug, author, kind, title, at, True, 0.0, 0.0, 0, 0, 0.0, 0.0, quality, quality)
                    + (now, now, at, at, name, name.replace("user", "User "), slug.title(), False, version)
                )
                count += 1
        for _, definition in indexes:
            feed.execute(definition)
        feed.execute("ANALYZE feed_posts")
        feed.commit()
    return count


MIXED_PAIRS = 200
MIXED_RANKS = (100, 2000)


def mixed_pairs(english: list[str], count: int = MIXED_PAIRS) -> list[str]:
    """``count`` two-word queries of words drawn evenly from ranks ``MIXED_RANKS`` of the vocabulary: what
    people type (words that say what they look for, rarer than the target's ranks 40 and 100, commoner than
    the rare pair's), each asked in turn, so that a run asks many different questions instead of one."""
    rng = numpy.random.default_rng(RNG_SEED + 2)
    low, high = MIXED_RANKS
    return [f"{english[a]} {english[b]}" for a, b in rng.integers(low, high, size=(count, 2)) if a != b]


def matches(content_url: str, q: str) -> int:
    """How many posts a query matches (before relevance keeps the newest CANDIDATES)."""
    with psycopg.connect(content_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return conn.execute(
            "SELECT count(*) FROM posts"
            " WHERE (language = 'en' AND search_document @@ websearch_to_tsquery('english', %s))"
            " OR (language = 'fr' AND search_document @@ websearch_to_tsquery('french', %s))",
            (q, q),
        ).fetchone()[0]


def sql_times(content_url: str, q: str, repeat: int = 50) -> dict:
    """Content's search function alone: milliseconds over ``repeat`` calls after 5 warm-up calls, and the CPU
    milliseconds a call of the PostgreSQL backend that ran them (from its ``/proc`` entry: the statement's
    own cost, whatever the load)."""
    database = StandaloneDatabase(ContentBase.metadata, content_url)
    samples = []
    with database.reading() as tx:
        backend = tx.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        for n in range(repeat + 5):
            if n == 5:
                before = cpu.snapshot()
            started = time.perf_counter()
            found = content_search.search(tx, q)
            if n >= 5:
                samples.append((time.perf_counter() - started) * 1e3)
        spent = cpu.of_pids(before, cpu.snapshot(), [backend])
    database.dispose()
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 3),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 3),
        "backend_cpu_ms": round(spent * 1e3 / repeat, 3),
        "page_items": len(found["items"]),
    }


def backends(urls: dict[str, str]):
    """A function answering the pids of the PostgreSQL backends connected to these databases."""
    names = [url.rsplit("/", 1)[1] for url in urls.values()]
    admin = next(iter(urls.values())).rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://") + "/postgres"

    def pids() -> set[int]:
        with psycopg.connect(admin) as conn:
            rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s)", (names,)).fetchall()
        return {pid for (pid,) in rows}

    return pids


@contextmanager
def _fresh(broker, postgres):
    with fresh_databases(broker, postgres, "search") as (vhost, urls):
        yield vhost, urls, False


def run(args: argparse.Namespace) -> dict:
    broker, postgres = infra.find_broker(), infra.find_postgres()
    load_before = os.getloadavg()
    if args.keep:
        databases = kept_databases(broker, postgres, args.posts)
    else:
        databases = _fresh(broker, postgres)
    with databases as (vhost, urls, already):
        started = time.monotonic()
        if already:  # the kept databases: their words are drawn again (the vocabularies come first)
            english = vocabulary(numpy.random.default_rng(RNG_SEED), ENGLISH_SYLLABLES, VOCABULARY)
            seeded = {"kept": True}
        else:
            seeded = seed(urls, args.posts)
            seeded["feed_posts"] = seed_feed(urls)
            english = seeded.pop("english")
            if args.keep:
                mark_seeded(postgres, args.posts)
        seeded["names"] = seed_names(urls, held=args.names == "content")
        seed_seconds = round(time.monotonic() - started, 1)
        recent = recent_index(urls["content"], held=args.recent == "on")
        queries = {
            "two_words": f"{english[39]} {english[99]}",
            "common_words": f"{english[1]} {english[4]}",
            "rare_words": f"{english[2999]} {english[4999]}",
        }
        matched = {name: matches(urls["content"], q) for name, q in queries.items()}
        mixed = mixed_pairs(english)
        counted = sorted(matches(urls["content"], q) for q in mixed)
        mixed_matches = {"queries": len(mixed), "min": counted[0], "median": counted[len(counted) // 2]}
        mixed_matches["max"] = counted[-1]
        sql = {name: sql_times(urls["content"], q) for name, q in queries.items()}
        env = {f"{s.upper()}_DATABASE_URL": url for s, url in urls.items()}
        env.update(AMQP_URI=broker.uri(vhost), GATEWAY_WORKERS="2", GATEWAY_THREADS="4")
        stack = Stack(env, 18900, ROOT / "var" / "bench" / f"search-{vhost}")
        stack.start_all()
        GROUPS.clear()  # each wrk run's CPU milliseconds per request, by process of this stack
        GROUPS.update({name: process.pid for name, process in stack.processes.items()})
        try:
            http = {}
            for name, q in queries.items():
                url = requests.Request("GET", f"{stack.gateway_url}/api/v1/search", params={"q": q}).prepare().url
                answer = requests.get(url, timeout=30)
                answer.raise_for_status()
                http[f"{name}_c{args.concurrency}"] = {
                    **wrk(url, args.concurrency, args.seconds, {}, backends(urls)),
                    "page_items": len(answer.json()["items"]),
                }
            paths = [f"/api/v1/search?{urllib.parse.urlencode({'q': q})}" for q in mixed]
            http[f"mixed_pairs_c{args.concurrency}"] = wrk(
                f"{stack.gateway_url}/api/v1/search", args.concurrency, args.seconds, {}, backends(urls), paths
            )
        finally:
            stack.stop_all()
    return {
        "posts": args.posts,
        "names_from": args.names,
        "seed": {**seeded, "seconds": seed_seconds},
        "recent_index": {"read_first": args.recent == "on", **recent},
        "queries": queries,
        "matches": matched,
        "mixed_pairs": {"ranks": MIXED_RANKS, "matches": mixed_matches},
        "candidates_ranked_at_most": content_search.CANDIDATES,
        "sql": sql,
        "http": http,
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=FULL_POSTS)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="seed once into kept databases and reuse them")
    parser.add_argument(
        "--names",
        choices=("content", "feed"),
        default="content",
        help="who names the posts found: content's copies (one call a search), or the feed's post_cards"
        " (content's copies emptied: two calls, as before content kept them)",
    )
    parser.add_argument(
        "--recent",
        choices=("on", "off"),
        default="on",
        help="search's index of the recent posts read first (built as content's timer builds it), or dropped"
        " (every search reads the index of all posts, as before it)",
    )
    parser.add_argument("--drop-kept", action="store_true", help="drop the kept databases of --posts and stop")
    args = parser.parse_args()
    if args.drop_kept:
        drop_kept(infra.find_postgres(), args.posts)
        return 0
    measured = run(args)
    result = {
        "when": datetime.now(UTC).isoformat(),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "machine": {"cpus": os.cpu_count()},
        "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
        "target": {"two_words_p95_ms_c8": "<= 50"},
        **measured,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"search-{args.posts}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{args.posts} posts seeded in {measured['seed']['seconds']} s: {measured['seed']}")
    print(f"recent posts' index: {measured['recent_index']}")
    for name, q in measured["queries"].items():
        sql = measured["sql"][name]
        figures = measured["http"][f"{name}_c{args.concurrency}"]
        print(
            f"  {name:13} {q!r:28} matches {measured['matches'][name]:8}  sql median {sql['median_ms']:7.2f}"
            f" p95 {sql['p95_ms']:7.2f} ms (backend CPU {sql['backend_cpu_ms']:.2f} ms)"
            f" | http c{args.concurrency} {figures['rps']:7.1f} req/s"
            f" p50 {figures['p50_ms']:7.2f} p95 {figures['p95_ms']:7.2f} p99 {figures['p99_ms']:7.2f} ms"
            f" errors {figures['errors']}"
        )
        spent = figures.get("cpu_ms_per_request", {})
        print(f"  {'':13} CPU ms a request: " + ", ".join(f"{name} {ms:.2f}" for name, ms in spent.items()))
    mixed, figures = measured["mixed_pairs"], measured["http"][f"mixed_pairs_c{args.concurrency}"]
    print(
        f"  mixed_pairs   {mixed['matches']['queries']} pairs of ranks {mixed['ranks']}, matches {mixed['matches']}"
        f" | http c{args.concurrency} {figures['rps']:7.1f} req/s p50 {figures['p50_ms']:7.2f}"
        f" p95 {figures['p95_ms']:7.2f} p99 {figures['p99_ms']:7.2f} ms errors {figures['errors']}"
    )
    spent = figures.get("cpu_ms_per_request", {})
    print(f"  {'':13} CPU ms a request: " + ", ".join(f"{name} {ms:.2f}" for name, ms in spent.items()))
    print(f"load {measured['loadavg_before']} .. {measured['loadavg_after']}; {result['uptime']}")
    print(f"written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
