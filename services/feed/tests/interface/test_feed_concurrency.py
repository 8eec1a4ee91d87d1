"""The feed's handlers applied by many workers at once on real PostgreSQL, events out of order:
no two events wait on each other (no deadlock) and the numbers come out exact."""

import random
from datetime import timedelta

import eventlet
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from feed import handlers, ranking
from feed.models import OUTBOX, Base, FeedPost, FeedVote
from svclib.db import StandaloneDatabase, isoformat, utcnow
from svclib.events import NotYet
from svclib.testing import wait_until

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


def apply_racing(applier: Applier, events: list[tuple], rng: random.Random, url: str) -> None:
    """Apply ``events`` shuffled, several at once, as the service's workers would; none deadlocks."""
    rng.shuffle(events)
    before = deadlocks(url)
    applier.apply_all(events)
    applier.database.dispose()
    assert "40P01" not in applier.aborted
    assert deadlocks(url) == before


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
    apply_racing(applier, events, rng, feed_url)
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


def post_fact(post_id: str, author_id: str) -> dict:
    return {
        "id": post_id,
        "author_id": author_id,
        "subwiki_id": "s1",
        "subwiki": "rivers",
        "kind": "text",
        "title": post_id,
        "created_at": isoformat(NOW),
    }


def comment_fact(comment_id: str, post_id: str, author_id: str, post_author_id: str) -> dict:
    length = ranking.CONFIG.SUBSTANTIVE_LENGTH
    return {
        "id": comment_id,
        "post_id": post_id,
        "author_id": author_id,
        "length": length,
        "post_author_id": post_author_id,
    }


def test_what_comes_before_its_post_is_counted_when_the_post_comes(feed_url):
    """A post's votes, comments and removal travel on queues of their own, consumed beside post_created's:
    one may be applied before the post is, or while it is. Each counts once the post comes; a removal
    that came first leaves the post removed and out of its author's count."""
    applier = Applier(feed_url)
    voters = [f"voter{n:02}" for n in range(6)]
    # One post at a time, everything about it first, then the post.
    applier.apply(handlers.vote_changed, {**vote("early", "voter00", 1, 1), "target_author_id": "author0"}, NOW)
    applier.apply(handlers.vote_changed, {**vote("early", "author0", 1, 1), "target_author_id": "author0"}, NOW)
    applier.apply(handlers.vote_changed, {**vote("early", "voter01", -1, 1), "target_author_id": "author0"}, NOW)
    applier.apply(handlers.comment_changed, comment_fact("c-early", "early", "voter02", "author0"), True, NOW)
    applier.apply(handlers.comment_changed, comment_fact("c-gone", "early", "voter03", "author0"), False, NOW)
    applier.apply(handlers.comment_changed, comment_fact("c-gone", "early", "voter03", "author0"), True, NOW)
    applier.apply(handlers.post_removed, {"id": "gone"})
    applier.apply(handlers.post_created, post_fact("gone", "author0"), NOW)
    applier.apply(handlers.post_created, post_fact("early", "author0"), NOW)
    # Then many posts, each with its votes and comments, all delivered at once in any order.
    rng = random.Random(3)
    posts = [f"race{n:02}" for n in range(8)]
    events, expected = [], {}
    for n, post_id in enumerate(posts):
        author = f"author{n % 2 + 1}"
        events.append((handlers.post_created, post_fact(post_id, author), NOW))
        values = {voter: rng.choice((1, -1)) for voter in voters}
        events += [
            (handlers.vote_changed, {**vote(post_id, voter, value, 1), "target_author_id": author}, NOW)
            for voter, value in values.items()
        ]
        events += [
            (handlers.comment_changed, comment_fact(f"c-{post_id}-{k}", post_id, voters[k], author), True, NOW)
            for k in range(3)
        ]
        expected[post_id] = (sum(v == 1 for v in values.values()), sum(v == -1 for v in values.values()), 3, 3)
    apply_racing(applier, events, rng, feed_url)
    rows = applier.posts()
    early = rows["early"]
    # The author's own vote is counted but weighs nothing; the comment removed before it came is not counted.
    assert (early.up_count, early.down_count, early.comment_count, early.commenters) == (2, 1, 1, 1)
    assert early.up_weight == pytest.approx(ranking.vote_weight(0.1)) and early.visible
    assert not rows["gone"].visible
    for post_id in posts:
        row = rows[post_id]
        assert (row.up_count, row.down_count, row.comment_count, row.commenters) == expected[post_id], post_id
        assert row.up_weight == pytest.approx(expected[post_id][0] * ranking.vote_weight(0.1))
    with applier.database.reading() as tx:
        counted = dict(tx.session.execute(text("SELECT author_id, posts FROM feed_authors")).all())
    assert counted == {"author0": 1, "author1": 4, "author2": 4}


def test_an_erased_voter_leaves_no_vote_on_a_post_that_has_not_come(feed_url):
    """A vote kept for a post not held yet is the voter's too: their erasure takes it, and the post comes without it."""
    applier = Applier(feed_url)
    applier.apply(handlers.vote_changed, {**vote("later", "voter00", 1, 1), "target_author_id": "author0"}, NOW)
    applier.apply(handlers.author_erased, "voter00", NOW)
    applier.apply(handlers.post_created, post_fact("later", "author0"), NOW)
    applier.database.dispose()

    assert applier.votes() == {}
    assert applier.posts()["later"].up_count == 0


def test_an_edit_that_comes_before_its_post_is_tried_again_not_dropped(feed_url):
    """An edit's event may be applied before its post's: it is refused as not yet (to be delivered again, as
    after a passing fault), and once the post has come, the same event applies."""
    applier = Applier(feed_url)
    edit = {**post_fact("edited", "author0"), "title": "Better title", "editor_id": "voter00"}
    with pytest.raises(NotYet):
        with applier.database.transaction() as tx:
            handlers.post_edited(tx, edit, NOW)
    applier.apply(handlers.post_created, post_fact("edited", "author0"), NOW)
    applier.apply(handlers.post_edited, edit, NOW)
    applier.database.dispose()

    row = applier.posts()["edited"]
    assert (row.title, row.editors) == ("Better title", 1)


def test_renames_racing_each_other_and_new_posts_leave_the_newest_name_on_every_post(feed_url):
    """A person's renames (each with its profile_version), delivered shuffled and some twice, while their posts
    are created: every post, held before or made meanwhile, ends with the newest names, and nothing deadlocks."""
    applier = Applier(feed_url)

    def person(version: int) -> dict:
        return {"id": "author0", "username": "author0", "display_name": f"Name {version}", "profile_version": version}

    applier.apply(handlers.person_changed, person(1))
    create_posts(applier, 3)  # author0, author1, author2: one held before
    rng = random.Random(5)
    events = [(handlers.person_changed, person(version)) for version in range(2, 14)]
    events += rng.sample(events, 4)
    events += [(handlers.post_created, post_fact(f"during{n:02}", "author0"), NOW) for n in range(12)]
    apply_racing(applier, events, rng, feed_url)
    shown = {
        (row.author_username, row.author_display_name) for row in applier.posts().values() if row.author_id == "author0"
    }
    assert shown == {("author0", "Name 13")}


def subwiki_fact(revision: int) -> dict:
    return {"id": "s1", "slug": "rivers", "name": f"Rivers {revision}", "revision": revision}


def waiting_for_locks(url: str) -> int:
    """How many sessions of this test's database wait for a lock (its own connection: a fresh snapshot)."""
    database = StandaloneDatabase(Base.metadata, url)
    with database.engine.connect() as connection:
        found = connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    database.dispose()
    return found


def test_a_post_made_while_its_subwiki_is_renamed_waits_for_the_rename_and_shows_the_new_name(feed_url):
    """A rename holds the subwiki's row while it renames the posts it sees; a post made meanwhile, which the
    rename cannot see, copies the subwiki's name only once the rename has committed, so it never keeps the
    old name for good."""
    applier = Applier(feed_url)
    applier.apply(handlers.subwiki_named, subwiki_fact(1))
    create_posts(applier, 2)
    with applier.database.transaction() as renaming:
        handlers.subwiki_named(renaming, subwiki_fact(2))  # the row held FOR UPDATE, the posts it sees renamed
        made = eventlet.spawn(applier.apply, handlers.post_created, post_fact("during", "author0"), NOW)
        waited = wait_until(lambda: waiting_for_locks(feed_url) == 1, timeout=3)
        unfinished = not made.dead
    made.wait()
    applier.database.dispose()

    assert waited and unfinished, "the new post did not wait for the rename under way"
    assert {row.id: row.subwiki_name for row in applier.posts().values()} == {
        "post00": "Rivers 2",
        "post01": "Rivers 2",
        "during": "Rivers 2",
    }


def test_renames_of_a_subwiki_racing_new_posts_and_votes_leave_the_newest_name_on_every_post(feed_url):
    """A subwiki's renames (each with its revision), delivered shuffled and some twice, while posts are made
    in it (one author's many: their count crosses the new-creator threshold, which locks all their posts) and
    its posts are voted on: every post ends with the newest name, and nothing deadlocks."""
    applier = Applier(feed_url)
    applier.apply(handlers.subwiki_named, subwiki_fact(1))
    posts = create_posts(applier, 4)
    rng = random.Random(11)
    events = [(handlers.subwiki_named, subwiki_fact(revision)) for revision in range(2, 14)]
    events += rng.sample(events, 4)
    events += [(handlers.post_created, post_fact(f"during{n:02}", "author0"), NOW) for n in range(12)]
    events += [
        (handlers.vote_changed, {**vote(post_id, f"voter{k}", 1, 1), "target_author_id": "author0"}, NOW)
        for post_id in posts
        for k in range(3)
    ]
    apply_racing(applier, events, rng, feed_url)
    rows = applier.posts()
    assert len(rows) == 16
    assert {row.subwiki_name for row in rows.values()} == {"Rivers 13"}


def vote_and_mark(tx, event: dict, now) -> None:
    """A vote applied as the service applies it: its post's new quality versioned and marked due."""
    handlers.vote_changed(tx, event, now)
    handlers.announce_qualities(tx, coalesce=True)


def newest_announced(applier: Applier) -> dict[str, dict]:
    """Once every mark is taken: each post's announced quality with the highest version, from the outbox."""
    with applier.database.transaction() as tx:
        while handlers.announce_due(tx):
            pass
    with applier.database.reading() as tx:
        sent = tx.session.execute(select(OUTBOX.c.event_type, OUTBOX.c.payload).order_by(OUTBOX.c.id)).all()
    newest: dict[str, dict] = {}
    for event_type, payload in sent:
        announced = [payload["post"]] if event_type == "post_quality_changed" else payload["qualities"]["posts"]
        for post in announced:
            if post["id"] not in newest or post["version"] > newest[post["id"]]["version"]:
                newest[post["id"]] = post
    return newest


def test_an_announcement_leaves_a_mark_whose_change_has_not_committed_for_the_next(feed_url):
    """A vote marks its post due while a mark is already there, and has not committed when an announcement
    runs: the announcement cannot read the vote's quality yet, so it must not take the mark (it is the vote's
    too, locked by it until it commits); the next announcement takes it and announces the vote's quality."""
    applier = Applier(feed_url)
    (post,) = create_posts(applier, 1)
    applier.apply(vote_and_mark, vote(post, "voter00", 1, 1), NOW)  # marked, committed, not announced yet
    with applier.database.transaction() as voting:
        vote_and_mark(voting, vote(post, "voter01", 1, 1), NOW)  # marked again, not committed
        with applier.database.transaction() as announcing:
            handlers.announce_due(announcing)
    newest = newest_announced(applier)
    row = applier.posts()[post]
    assert (newest[post]["quality"], newest[post]["version"]) == (row.quality, row.quality_version)
    assert row.up_count == 2
    applier.database.dispose()


def test_qualities_announced_while_votes_race_end_as_each_post_is(feed_url):
    """Votes applied by many workers at once while announcements of the qualities marked due run beside them (as
    two replicas' timers do, a few posts each): none deadlocks, and once the marks are all taken each post's
    newest announced quality and version are the post's own: a quality changed while it was being announced is
    announced again, never lost behind an older one."""
    applier = Applier(feed_url)
    posts = create_posts(applier, 8)
    rng = random.Random(5)
    events = [
        (vote_and_mark, vote(post, f"voter{n:02}", rng.choice((1, 1, -1, None)), version), NOW)
        for post in posts
        for n in range(15)
        for version in (1, 2, 3)
    ]
    rng.shuffle(events)
    before = deadlocks(feed_url)
    applying = [True]

    def announce() -> None:
        while applying[0]:
            applier.apply(handlers.announce_due, 3)
            eventlet.sleep(0.001)

    pool = eventlet.GreenPool(WORKERS + 2)
    announcers = [pool.spawn(announce) for _ in range(2)]
    applier.apply_all(events)
    applying[0] = False
    for announcer in announcers:
        announcer.wait()
    newest = newest_announced(applier)
    rows = applier.posts()
    assert sorted(newest) == sorted(posts)
    for post_id, row in rows.items():
        assert (newest[post_id]["quality"], newest[post_id]["version"]) == (row.quality, row.quality_version)
    assert "40P01" not in applier.aborted and deadlocks(feed_url) == before
    applier.database.dispose()
