"""The feed's handlers applied by many workers at once on real PostgreSQL, events out of order:
no two events wait on each other (no deadlock) and the numbers come out exact."""

import random
from datetime import timedelta

import eventlet
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from feed import handlers, ranking
from feed.models import Base, FeedPost, FeedVote
from svclib.db import StandaloneDatabase, isoformat, utcnow

NOW = utcnow()
WORKERS = 8


@pytest.fixture
def feed_url(database_url):
    return database_url("feed")


class Applier:
    """Applies events as the service's workers do, each in its own transaction, several at once;
    a transaction PostgreSQL aborts (a deadlock, say) is tried again, as a redelivered event is."""

    def __init__(self, url: str):
        self.database = StandaloneDatabase(Base.metadata, url)
        self.aborted: list[str] = []

    def apply(self, handler, *args) -> None:
        for _ in range(50):
            try:
                with self.database.transaction() as tx:
                    handler(tx, *args)
                return
            except DBAPIError as error:
                self.aborted.append(getattr(error.orig, "sqlstate", None) or type(error.orig).__name__)
        raise AssertionError("an event could not be applied in 50 tries")

    def apply_all(self, events: list[tuple]) -> None:
        pool = eventlet.GreenPool(WORKERS)
        for event in events:
            pool.spawn_n(lambda e=event: self.apply(*e))
        pool.waitall()

    def posts(self) -> dict[str, FeedPost]:
        with self.database.reading() as tx:
            return {row.id: row for row in tx.session.scalars(select(FeedPost))}

    def votes(self) -> dict[tuple[str, str], int]:
        with self.database.reading() as tx:
            return {(v.post_id, v.voter_id): v.value for v in tx.session.scalars(select(FeedVote))}


def deadlocks(url: str) -> int:
    """PostgreSQL's count of deadlocks in this test's database (its own connection: a fresh snapshot)."""
    database = StandaloneDatabase(Base.metadata, url)
    with database.engine.connect() as connection:
        found = connection.scalar(text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"))
    database.dispose()
    return found


def create_posts(applier: Applier, count: int) -> list[str]:
    ids = [f"post{n:02}" for n in range(count)]
    for n, post_id in enumerate(ids):
        post = {
            "id": post_id,
            "author_id": f"author{n % 3}",
            "subwiki_id": "s1",
            "subwiki": "rivers",
            "kind": "text",
            "title": post_id,
            "created_at": isoformat(NOW - timedelta(hours=n)),
        }
        applier.apply(handlers.post_created, post, NOW)
    return ids


def vote(post_id: str, voter: str, value: int | None, version: int | None = None) -> dict:
    event = {"target_type": "post", "target_id": post_id, "voter_id": voter, "value": value}
    return event if version is None else {**event, "version": version}


def test_votes_and_trust_changes_at_once_never_deadlock(feed_url):
    """A vote on a post needs its voter's trust; a trust change reweighs its voter's votes on many
    posts. Members change their votes while their trust changes: taken in opposite orders
    (post then trust, trust then posts), the locks of the two deadlock."""
    applier = Applier(feed_url)
    posts = create_posts(applier, 6)
    voters = [f"voter{n:02}" for n in range(12)]
    rng = random.Random(7)
    values = {(post, voter): [rng.choice((1, 1, -1)) for _ in range(3)] for post in posts for voter in voters}
    trusts = {voter: [round(rng.uniform(0.1, 1.0), 3) for _ in range(4)] for voter in voters}
    # Every voter has a trust and a vote on every post first, so each change has votes to reweigh.
    for voter in voters:
        applier.apply(handlers.trust_changed, voter, trusts[voter][0], NOW, NOW)
    applier.apply_all([(handlers.vote_changed, vote(p, v, value[0], 1), NOW) for (p, v), value in values.items()])
    events = [
        (handlers.vote_changed, vote(post, voter, value, version), NOW)
        for (post, voter), changes in values.items()
        for version, value in enumerate(changes[1:], 2)
    ]
    events += [
        (handlers.trust_changed, voter, trust, NOW, NOW + timedelta(seconds=n))
        for voter in voters
        for n, trust in enumerate(trusts[voter][1:], 1)
    ]
    rng.shuffle(events)
    before = deadlocks(feed_url)

    applier.apply_all(events)
    applier.database.dispose()

    assert "40P01" not in applier.aborted
    assert deadlocks(feed_url) == before
    final = {voter: ranking.vote_weight(trusts[voter][-1]) for voter in voters}
    for post_id, row in applier.posts().items():
        ups = [voter for voter in voters if values[(post_id, voter)][-1] == 1]
        downs = [voter for voter in voters if values[(post_id, voter)][-1] == -1]
        assert (row.up_count, row.down_count) == (len(ups), len(downs))
        assert row.up_weight == pytest.approx(sum(final[v] for v in ups), abs=1e-9)
        assert row.down_weight == pytest.approx(sum(final[v] for v in downs), abs=1e-9)


def test_quick_vote_changes_delivered_out_of_order_and_twice_end_as_the_last_one(feed_url):
    """200 voter-post pairs change their vote five times; the events arrive shuffled, a quarter of
    them twice. Each carries its source's version: the feed ends with each pair's last vote."""
    applier = Applier(feed_url)
    posts = create_posts(applier, 10)
    voters = [f"voter{n:02}" for n in range(20)]
    rng = random.Random(11)
    events, final = [], {}
    for post in posts:
        for voter in voters:
            states = [rng.choice((1, -1, None)) for _ in range(5)]
            final[(post, voter)] = states[-1]
            events += [
                (handlers.vote_changed, vote(post, voter, s, version), NOW) for version, s in enumerate(states, 1)
            ]
    events += rng.sample(events, len(events) // 4)
    rng.shuffle(events)

    applier.apply_all(events)

    assert applier.votes() == {pair: value for pair, value in final.items() if value is not None}
    weight = ranking.vote_weight(0.1)
    for post_id, row in applier.posts().items():
        ups = sum(final[(post_id, voter)] == 1 for voter in voters)
        downs = sum(final[(post_id, voter)] == -1 for voter in voters)
        assert (row.up_count, row.down_count) == (ups, downs)
        assert row.up_weight == pytest.approx(ups * weight) and row.down_weight == pytest.approx(downs * weight)
    applier.database.dispose()
