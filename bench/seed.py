"""Bulk loaders for benchmarks: WT.Social's scale written straight into each service's
own tables with PostgreSQL COPY (the same rows the services' code paths write).

At ``--scale 1``: 500,000 users, 5,000 subwikis, 1,000,000 posts, 5,000,000 votes,
2,000,000 comments. Each service's database gets only its own tables' rows.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg

from devstack import infra
from feed import ranking
from identity import trust as trust_formula
from identity.passwords import hash_password
from svclib.db import make_engine, migrate
from svclib.migrations import migrations_dir

FULL = {"users": 500_000, "subwikis": 5_000, "posts": 1_000_000, "votes": 5_000_000, "comments": 2_000_000}


@dataclass
class Seeded:
    users: list[str]
    subwikis: list[tuple[str, str]]
    reader: str
    counts: dict = field(default_factory=dict)


@contextmanager
def fresh_databases(broker, postgres, name: str) -> Iterator[tuple[str, dict[str, str]]]:
    """A RabbitMQ vhost and a database per service migrated to head, for one run, dropped after it:
    ``(vhost, {service: database URL})``."""
    vhost = broker.create_vhost(f"bench-{name}-{uuid.uuid4().hex[:8]}")
    tag = uuid.uuid4().hex[:8]
    names = {s: f"bench{name}_{s}_{tag}" for s in infra.SERVICES}
    urls = {s: postgres.create(db) for s, db in names.items()}
    try:
        for service, url in urls.items():
            engine = make_engine(url)
            migrate(engine, migrations_dir(service))
            engine.dispose()
        yield vhost, urls
    finally:
        for db in names.values():
            postgres.drop(db)
        broker.delete_vhost(vhost)


def _copy(url: str, table: str, columns: list[str], rows) -> int:
    count = 0
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        conn.commit()
    return count


def _hex(rng: random.Random) -> str:
    return uuid.UUID(int=rng.getrandbits(128)).hex


def seed(
    urls: dict[str, str], scale: float, now: datetime | None = None, rng_seed: int = 7, readers: int = 1
) -> Seeded:
    """Write users, subwikis, memberships, follows, posts, votes and comments; returns handles for the bench.

    ``readers``: how many accounts (``user0`` .. ) get memberships and follows of their own. ``user0``,
    the benches' reader, always belongs to the 50 largest subwikis and follows 100 people; the others
    join 5 to 50 subwikis (popular ones more often) and follow 10 to 100 people (prolific ones more often).
    """
    rng = random.Random(rng_seed)
    now = now or datetime.now(UTC)
    n = {k: max(1, int(v * scale)) for k, v in FULL.items()}
    n["subwikis"] = max(60, n["subwikis"])
    n["users"] = max(200, n["users"])
    users = [_hex(rng) for _ in range(n["users"])]
    password = hash_password("benchmark password")
    reader = users[0]
    subwikis = [(_hex(rng), f"topic_{i}") for i in range(n["subwikis"])]
    _copy(
        urls["communities"],
        "subwikis",
        [
            "id",
            "slug",
            "name",
            "summary",
            "description",
            "revision",
            "created_by",
            "member_count",
            "post_count",
            "last_activity_at",
            "created_at",
            "updated_at",
        ],
        (
            (sid, slug, slug.replace("_", " ").title(), "", "", 1, users[1], 0, 0, now, now, now)
            for sid, slug in subwikis
        ),
    )
    # Every service keeps its own copy of who exists (svclib.users): seeded as identity's events would.
    for service in ("communities", "content", "feed", "donations"):
        _copy(
            urls[service],
            "known_users",
            ["id", "username", "registered_at", "erased_at"],
            ((u, f"user{i}", now - timedelta(days=60), None) for i, u in enumerate(users)),
        )
    memberships: list[tuple[str, str, str]] = [(reader, sid, slug) for sid, slug in subwikis[:50]]
    follows: list[tuple[str, str]] = [(reader, f) for f in users[1:101]]
    for member in users[1 : max(1, min(readers, len(users)))]:
        picks = {subwikis[min(len(subwikis) - 1, int(rng.expovariate(1 / 300)))] for _ in range(rng.randint(5, 50))}
        memberships.extend((member, sid, slug) for sid, slug in picks)
        followees = {
            users[min(len(users) - 1, int(rng.paretovariate(1.2)) - 1)] if rng.random() < 0.5 else rng.choice(users)
            for _ in range(rng.randint(10, 100))
        }
        follows.extend((member, f) for f in followees if f != member)
    _copy(
        urls["communities"],
        "memberships",
        ["subwiki_id", "user_id", "is_moderator", "created_at", "updated_at"],
        ((sid, u, False, now, now) for u, sid, _ in memberships),
    )
    _copy(
        urls["content"],
        "members",
        ["subwiki_id", "user_id", "subwiki_slug", "is_moderator", "created_at", "updated_at"],
        ((sid, u, slug, False, now, now) for u, sid, slug in memberships),
    )
    _copy(
        urls["feed"],
        "feed_memberships",
        ["user_id", "subwiki_id", "created_at", "updated_at"],
        ((u, sid, now, now) for u, sid, _ in memberships),
    )
    _copy(
        urls["feed"],
        "feed_follows",
        ["follower_id", "followee_id", "created_at", "updated_at"],
        ((a, b, now, now) for a, b in follows),
    )

    # Posts: a skewed spread of authors and subwikis, ages over 30 days.
    posts = []
    for _ in range(n["posts"]):
        author = (
            users[min(len(users) - 1, int(rng.paretovariate(1.2)) - 1)] if rng.random() < 0.3 else rng.choice(users)
        )
        sid, slug = subwikis[min(len(subwikis) - 1, int(rng.expovariate(1 / 300)))]
        posts.append((_hex(rng), sid, slug, author, now - timedelta(hours=rng.random() * 720)))
    _copy(
        urls["content"],
        "posts",
        [
            "id",
            "subwiki_id",
            "subwiki_slug",
            "author_id",
            "kind",
            "title",
            "body",
            "body_html",
            "url",
            "image_id",
            "revision",
            "protected",
            "up_count",
            "down_count",
            "comment_count",
            "created_at",
            "updated_at",
        ],
        (
            (
                pid,
                sid,
                slug,
                author,
                "text",
                f"Post {i}",
                "Bench text.",
                "<p>Bench text.</p>\n",
                None,
                None,
                1,
                False,
                0,
                0,
                0,
                at,
                at,
            )
            for i, (pid, sid, slug, author, at) in enumerate(posts)
        ),
    )

    up = {p[0]: 0.0 for p in posts}
    down = {p[0]: 0.0 for p in posts}
    ups = {p[0]: 0 for p in posts}
    downs = {p[0]: 0 for p in posts}
    votes_per_post = n["votes"] / n["posts"]

    votes_seed = rng.getrandbits(32)

    def vote_rows():
        """The same votes each time it is called: ``(post, author, voter, value)``."""
        local = random.Random(votes_seed)
        for pid, _, _, author, _ in posts:
            for voter in local.sample(users, min(len(users), int(local.expovariate(1 / votes_per_post)))):
                yield pid, author, voter, 1 if local.random() < 0.8 else -1

    # Trust as identity computes it from what it holds (identity.trust; accounts 60 days old, no edits, no
    # reports): each up-vote received counts its voter's trust when it was cast, taken here as every account's
    # before any vote (``CAST``). Seeded at random until 2026-12-07, each account's trust jumped to the formula's
    # at the first vote it received under load, and its every vote was reweighed in the feed and content.
    cast = trust_formula.trust(60, 0, 0, 0, 0)
    received = dict.fromkeys(users, 0.0)
    for _, author, voter, value in vote_rows():
        if value > 0 and voter != author:
            received[author] += cast
    trust = {u: trust_formula.trust(60, 0, 0, received[u], 0) for u in users}
    _copy(
        urls["identity"],
        "users",
        [
            "id",
            "username",
            "email",
            "email_normalised",
            "display_name",
            "bio",
            "password_hash",
            "trust",
            "badges",
            "created_at",
            "updated_at",
        ],
        (
            (
                u,
                f"user{i}",
                f"user{i}@bench.invalid",
                f"user{i}@bench.invalid",
                f"User {i}",
                "",
                password,
                trust[u],
                "[]",
                now - timedelta(days=60),
                now,
            )
            for i, u in enumerate(users)
        ),
    )
    _copy(
        urls["identity"],
        "subwiki_memberships",
        ["user_id", "subwiki_slug", "created_at", "updated_at"],
        ((u, slug, now, now) for u, _, slug in memberships),
    )
    _copy(
        urls["identity"],
        "follows",
        ["follower_id", "followee_id", "created_at", "updated_at"],
        ((a, b, now, now) for a, b in follows),
    )
    _copy(
        urls["feed"],
        "feed_trust",
        ["user_id", "trust", "created_at", "updated_at"],
        ((u, t, now, now) for u, t in trust.items()),
    )
    _copy(
        urls["identity"],
        "received_votes",
        ["target_type", "target_id", "voter_id", "author_id", "weight", "created_at", "updated_at"],
        (
            ("post", pid, voter, author, cast, now, now)
            for pid, author, voter, value in vote_rows()
            if value > 0 and voter != author
        ),
    )

    def votes():
        for pid, _, voter, value in vote_rows():
            weight = ranking.vote_weight(trust[voter])
            (up if value > 0 else down)[pid] += weight
            (ups if value > 0 else downs)[pid] += 1
            yield (pid, voter, value, weight, now, now)

    vote_count = _copy(
        urls["feed"], "feed_votes", ["post_id", "voter_id", "value", "weight", "created_at", "updated_at"], votes()
    )
    commenters = {p[0]: 0 for p in posts}
    comment_counts = {p[0]: 0 for p in posts}
    comments_per_post = n["comments"] / n["posts"]

    comments_seed = rng.getrandbits(32)

    def comment_rows():
        """The same comments each time it is called: written to the feed's and to content's tables."""
        local = random.Random(comments_seed)
        for pid, *_ in posts:
            for _ in range(int(local.expovariate(1 / comments_per_post))):
                yield _hex(local), pid, local.choice(users), local.random() < 0.4

    def comments():
        for cid, pid, author, substantive in comment_rows():
            commenters[pid] += substantive
            comment_counts[pid] += 1
            yield (cid, pid, author, substantive, True, now, now)

    comment_count = _copy(
        urls["feed"],
        "feed_comments",
        ["id", "post_id", "author_id", "substantive", "visible", "created_at", "updated_at"],
        comments(),
    )
    _copy(
        urls["content"],
        "comments",
        [
            "id",
            "post_id",
            "root_id",
            "depth",
            "author_id",
            "body",
            "body_html",
            "revision",
            "up_count",
            "down_count",
            "created_at",
            "updated_at",
        ],
        (
            (cid, pid, cid, 0, author, "A comment.", "<p>A comment.</p>\n", 1, 0, 0, now, now)
            for cid, pid, author, _ in comment_rows()
        ),
    )
    author_posts: dict[str, int] = {}
    for _, _, _, author, _ in posts:
        author_posts[author] = author_posts.get(author, 0) + 1
    number = {u: i for i, u in enumerate(users)}
    subwiki_names = {sid: slug.replace("_", " ").title() for sid, slug in subwikis}

    def feed_posts():
        for i, (pid, sid, slug, author, at) in enumerate(posts):
            age = (now - at).total_seconds() / 3600
            approval = ranking.approval(up[pid], down[pid])
            quality = ranking.quality(up[pid], down[pid], commenters[pid], 0, 0.0)
            yield (
                pid,
                sid,
                slug,
                author,
                "text",
                f"Post {i}",
                at,
                True,
                up[pid],
                down[pid],
                commenters[pid],
                0,
                0.0,
                approval,
                quality,
                ranking.rank(quality, age),
                now,
                at,
                at,
                f"user{number[author]}",
                f"User {number[author]}",
                subwiki_names[sid],
                author_posts[author] < ranking.CONFIG.NEW_CREATOR_POSTS,
                ups[pid],
                downs[pid],
                comment_counts[pid],
                now + timedelta(hours=ranking.refresh_after_hours(age)),
            )

    _copy(
        urls["feed"],
        "feed_posts",
        [
            "id",
            "subwiki_id",
            "subwiki_slug",
            "author_id",
            "kind",
            "title",
            "posted_at",
            "visible",
            "up_weight",
            "down_weight",
            "commenters",
            "editors",
            "penalty",
            "approval",
            "quality",
            "rank",
            "refreshed_at",
            "created_at",
            "updated_at",
            "author_username",
            "author_display_name",
            "subwiki_name",
            "small_author",
            "up_count",
            "down_count",
            "comment_count",
            "refresh_due",
        ],
        feed_posts(),
    )
    _copy(
        urls["feed"],
        "feed_people",
        ["id", "username", "display_name", "created_at", "updated_at"],
        ((u, f"user{i}", f"User {i}", now, now) for i, u in enumerate(users)),
    )
    _copy(
        urls["feed"],
        "feed_subwikis",
        ["id", "slug", "name", "created_at", "updated_at"],
        ((sid, slug, subwiki_names[sid], now, now) for sid, slug in subwikis),
    )
    _copy(
        urls["feed"],
        "feed_authors",
        ["author_id", "posts", "created_at", "updated_at"],
        ((a, c, now, now) for a, c in author_posts.items()),
    )
    with psycopg.connect(urls["communities"].replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute(
            "UPDATE subwikis SET member_count = (SELECT count(*) FROM memberships m WHERE m.subwiki_id = subwikis.id)"
        )
    with psycopg.connect(urls["content"].replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("UPDATE posts SET comment_count = (SELECT count(*) FROM comments c WHERE c.post_id = posts.id)")
    # Content's copies of the names its listed posts and comment pages show, as the events would leave them.
    seed_names(urls)
    # Vacuumed and analysed now, so that autovacuum does not start on the bulk load while the bench measures.
    for url in urls.values():
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
    return Seeded(
        users,
        subwikis,
        reader,
        {
            "users": len(users),
            "subwikis": len(subwikis),
            "posts": len(posts),
            "votes": vote_count,
            "comments": comment_count,
        },
    )


# What a page shows of a post, fetched by the baseline too: the comparison is page for page.
LEMMY_COLUMNS = (
    "id, subwiki_id, subwiki_slug, subwiki_name, author_id, author_username, author_display_name, kind, title,"
    " url, image_file, published, up_count, down_count, comment_count, score, hot_rank FROM lemmy_posts"
)


def seed_names(urls: dict[str, str], held: bool = True) -> dict:
    """Content's copies of the names its listed posts and comment pages show (``person_names``, ``subwiki_names``), as
    identity's and communities' events would have left them: copied from their tables when content holds
    none (a database seeded before content kept them is filled on its next run). ``held`` False empties them
    instead, so that every post found is named by the feed's ``post_cards`` (the second call of a search
    before content answered the names itself): the A of an A/B on the same rows."""
    conninfo = {s: url.replace("postgresql+psycopg://", "postgresql://") for s, url in urls.items()}
    with psycopg.connect(conninfo["content"]) as content:
        if not held:
            content.execute("DELETE FROM person_names")
            content.execute("DELETE FROM subwiki_names")
            content.commit()
            return {"person_names": 0, "subwiki_names": 0}
        sources = {
            "person_names": (
                "identity",
                "SELECT id, username, display_name, now(), now() FROM users",
                "id, username, display_name, created_at, updated_at",
            ),
            "subwiki_names": (
                "communities",
                "SELECT id, slug, name, revision, now(), now() FROM subwikis",
                "id, slug, name, revision, created_at, updated_at",
            ),
        }
        counts = {}
        for target, (service, query, columns) in sources.items():
            counts[target] = content.execute(f"SELECT count(*) FROM {target}").fetchone()[0]
            if counts[target]:
                continue
            with psycopg.connect(conninfo[service]) as source:
                rows = source.execute(query).fetchall()
            with content.cursor().copy(f"COPY {target} ({columns}) FROM STDIN") as write:
                for row in rows:
                    write.write_row(row)
            counts[target] = len(rows)
        content.commit()
        content.execute("ANALYZE person_names")
        content.execute("ANALYZE subwiki_names")
    return counts


def lemmy_baseline(feed_url: str, now: datetime) -> None:
    """Lemmy's approach beside ours, on the same data and server: a stored hot_rank with an index.

    Its table holds what a page shows (post, author's and subwiki's names, counts), as the
    feed's does, so that both queries fetch the same page.
    """
    with psycopg.connect(feed_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS lemmy_posts")
        conn.execute(
            """
            CREATE TABLE lemmy_posts AS
            SELECT p.id, p.subwiki_id, p.subwiki_slug, p.subwiki_name, p.author_id, p.author_username,
                   p.author_display_name, p.kind, p.title, p.url, p.image_file, p.posted_at AS published,
                   p.up_count, p.down_count, p.comment_count,
                   COALESCE(v.score, 0) AS score,
                   log(greatest(2, COALESCE(v.score, 0) + 2)) /
                       power(extract(epoch FROM (%s - p.posted_at)) / 3600 + 2, 1.8) AS hot_rank
            FROM feed_posts p LEFT JOIN (SELECT post_id, sum(value) AS score FROM feed_votes GROUP BY post_id) v
            ON v.post_id = p.id
        """,
            (now,),
        )
        conn.execute("CREATE INDEX lemmy_hot ON lemmy_posts (hot_rank DESC, id)")
        conn.execute("CREATE INDEX lemmy_subwiki_hot ON lemmy_posts (subwiki_id, hot_rank DESC, id)")
        conn.execute("ANALYZE lemmy_posts")
