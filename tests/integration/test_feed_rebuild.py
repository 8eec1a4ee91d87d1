"""The feed rebuilt from the source services' RPC APIs equals the feed kept from events."""

import time

from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import select

from communities.service import CommunitiesService
from content.service import ContentService
from donations.service import DonationsService
from feed import handlers, pages
from feed.models import Base as FeedBase
from feed.models import FeedPost, FeedSubwiki, FeedTrust, FeedVote
from feed.notifications.models import Notification
from feed.rebuild import rebuild
from feed.service import FeedService
from identity.handlers import trust_inputs
from identity.models import Base as IdentityBase
from identity.service import IdentityService
from svclib.db import StandaloneDatabase, Transaction, utcnow
from svclib.testing import call, wait_until

PASSWORD = "rebuild is real"


def snapshot(database, user_id, now):
    """Every feed scored as of ``now``, in a transaction that is rolled back: the model is only read."""
    with database.sessionmaker() as session:
        tx = Transaction(session, database)
        for row in session.scalars(select(FeedPost)).all():
            handlers.rescore(row, now)
        session.flush()
        feeds = {}
        for sort in ("quality", "new", "top"):
            feeds[f"public-{sort}"] = pages.public_feed(tx, sort, "all", 100, None, now)
            feeds[f"home-{sort}"] = pages.home_feed(tx, user_id, sort, 100, None, now)
        session.rollback()
    return feeds


def notified(database):
    """Every notification, without its id and time (a rebuild numbers them again)."""
    with database.reading() as tx:
        return sorted(
            (n.recipient_id, n.kind, tuple(n.actor_ids), n.count, n.post_id or "", n.comment_id or "", n.read)
            for n in tx.session.scalars(select(Notification))
        )


def facts(database):
    with database.reading() as tx:
        return sorted(
            (p.id, round(p.up_weight, 6), round(p.down_weight, 6), p.commenters, p.editors, p.penalty, p.visible)
            for p in tx.session.scalars(select(FeedPost))
        )


def settled(database, rabbit_config, identity_database, timeout=30):
    """Wait until identity has recomputed the trust its votes marked due (once a TRUST_RECOMPUTE_SECONDS),
    the feed holds every trust identity computed and its facts stop changing (trust changes follow
    votes by a hop through identity, retried when two collide)."""
    deadline = time.monotonic() + timeout
    previous = None
    behind: dict = {}
    with ClusterRpcProxy(rabbit_config, timeout=30) as rpc:
        while time.monotonic() < deadline:
            with identity_database.reading() as tx:
                if trust_inputs.due(tx, 1):
                    time.sleep(0.2)
                    continue
            identity_trust = {u["id"]: u["trust"] for u in rpc.identity.list_trust(limit=1000)["items"]}
            with database.reading() as tx:
                feed_trust = {row.user_id: row.trust for row in tx.session.scalars(select(FeedTrust))}
            current = facts(database)
            behind = {
                user: (trust, feed_trust.get(user, 0.1))
                for user, trust in identity_trust.items()
                if feed_trust.get(user, 0.1) != trust
            }
            if not behind and current == previous:
                return
            previous = current
            time.sleep(0.5)
    raise AssertionError(f"the feed did not settle: trust (identity, feed) {behind}")


def subwiki_revisions(database):
    """The revision of each subwiki's names the feed holds, by slug."""
    with database.reading() as tx:
        return {row.slug: row.revision for row in tx.session.scalars(select(FeedSubwiki))}


def wait_for_feed(database, expected_posts, expected_votes, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with database.reading() as tx:
            posts = tx.session.query(FeedPost).count()
            votes = tx.session.query(FeedVote).count()
        if posts == expected_posts and votes == expected_votes:
            return
        time.sleep(0.2)
    raise AssertionError(f"the feed saw {posts} posts and {votes} votes")


def test_rebuild_gives_the_same_feeds(runner_factory, service_config, rabbit_config, database_url):
    config = service_config(
        "identity",
        "communities",
        "content",
        "feed",
        "donations",
        WIKISOCIAL_DEV_MODE="1",
        OFFLINE_WEBHOOK_SECRET="rebuild",
        PUBLIC_URL="http://gw",
    )
    runner = runner_factory(config, IdentityService, CommunitiesService, ContentService, FeedService, DonationsService)
    runner.start()
    c = {container.service_name: container for container in runner.containers}

    people = [call(c["identity"], "register", f"person{n}", f"p{n}@example.com", PASSWORD) for n in range(5)]
    ids = [p["id"] for p in people]
    time.sleep(0.5)
    call(c["communities"], "create_subwiki", ids[0], "rivers", "Rivers")
    call(c["communities"], "create_subwiki", ids[1], "birds", "Birds")
    for user in ids:
        call(c["communities"], "join_subwiki", user, "rivers")
    call(c["communities"], "join_subwiki", ids[2], "birds")
    call(c["communities"], "join_subwiki", ids[3], "birds")
    call(c["communities"], "edit_subwiki", ids[0], "rivers", 1, "clearer", summary="Water that moves.")  # revision 2
    call(c["identity"], "follow_user", ids[4], "person1")
    call(c["identity"], "mute_user", ids[4], "person3")  # the reader's home feed leaves person3's posts out
    time.sleep(0.5)
    posts = [
        call(c["content"], "create_post", ids[n % 4], "rivers", "article", f"Essay {n}", body="Words " * 30)
        for n in range(6)
    ]
    bird = call(c["content"], "create_post", ids[1], "birds", "text", "Birds", body="Tweet")
    for n, post in enumerate(posts):
        for voter in ids[: n % 5]:
            call(c["content"], "vote", voter, "post", post["id"], 1 if (n + len(voter)) % 3 else -1)
    call(c["content"], "vote", ids[2], "post", bird["id"], 1)
    call(c["content"], "create_comment", ids[3], posts[0]["id"], "A substantive comment, @person2 " * 5)
    call(c["content"], "edit_post", ids[0], posts[1]["id"], 1, "better", body="Better words " * 30)
    call(c["content"], "remove_post", ids[0], posts[2]["id"])
    # Birds approves first posts: person2's is approved, person3's rejected (the moderator, person1, is told
    # of both; each author of theirs).
    call(c["content"], "set_first_post_approval", ids[1], "birds", True)
    approved = call(c["content"], "create_post", ids[2], "birds", "text", "First", body="Hello birds")["held_post"]
    rejected = call(c["content"], "create_post", ids[3], "birds", "text", "Spam", body="Buy now")["held_post"]
    call(c["content"], "approve_held_post", ids[1], approved["id"])
    call(c["content"], "reject_held_post", ids[1], rejected["id"])
    # A donation to person0 as a creator, made public: person0 is told, its donor earns the badge.
    started = call(
        c["donations"],
        "start_donation",
        ids[4],
        idempotency_key="rebuild-gift",
        client="192.0.2.1",
        amount_cents=500,
        currency="EUR",
        recipient="@person0",
        recurring="none",
        public=True,
        message="",
    )
    token = started["checkout_url"].split("token=")[1]
    assert call(c["donations"], "decide_checkout", started["donation_id"], token, True)["status"] == "paid"
    votes = sum(len(ids[: n % 5]) for n in range(6)) + 1
    # Authors' votes on their own posts are kept too (shown in the counts, weighing nothing).

    feed_url = config["FEED_DATABASE_URL"]
    kept = StandaloneDatabase(FeedBase.metadata, feed_url)
    wait_for_feed(kept, expected_posts=8, expected_votes=votes)
    assert wait_until(lambda: subwiki_revisions(kept) == {"rivers": 2, "birds": 1}), subwiki_revisions(kept)
    identity_database = StandaloneDatabase(IdentityBase.metadata, config["IDENTITY_DATABASE_URL"])
    settled(kept, rabbit_config, identity_database)
    identity_database.dispose()
    # A follower, a reply, a mention, an edit by someone else, a removal by a moderator; two first posts
    # waiting (one group), approved, rejected; a donation, a badge.
    assert wait_until(lambda: len(notified(kept)) == 10, timeout=20), notified(kept)
    kinds = {kind for _, kind, *_ in notified(kept)}
    assert {"post_held", "post_approved", "post_rejected", "donation", "badge"} <= kinds
    now = utcnow()
    incremental = snapshot(kept, ids[4], now)

    rebuilt = StandaloneDatabase(FeedBase.metadata, database_url("feed"))
    with ClusterRpcProxy(rabbit_config, timeout=30) as rpc, rebuilt.transaction() as tx:
        counts = rebuild(tx, rpc, now)
    assert counts["posts"] == 8 and counts["votes"] == votes
    assert snapshot(rebuilt, ids[4], now) == incremental
    assert subwiki_revisions(rebuilt) == subwiki_revisions(kept)
    assert notified(rebuilt) == notified(kept)
    assert counts["held_posts"] == 2 and counts["gifts"] == 1
    assert len(incremental["public-new"]["items"]) == 7
    assert {i["post_id"] for i in incremental["home-new"]["items"]} >= {bird["id"], posts[0]["id"]}
    assert posts[3]["id"] not in {i["post_id"] for i in incremental["home-new"]["items"]}
    kept.dispose()
    rebuilt.dispose()
