"""The feed rebuilt from the source services' RPC APIs equals the feed kept from events."""

import time

from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_hook

from communities.service import CommunitiesService
from content.service import ContentService
from feed import handlers
from feed.models import Base as FeedBase
from feed.rebuild import rebuild
from feed.service import FeedService
from identity.service import IdentityService
from svclib.db import StandaloneDatabase, utcnow

PASSWORD = "rebuild is real"


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def snapshot(database, user_id, now):
    with database.transaction() as tx:
        handlers.rescore_all(tx, now)
    pages = {}
    with database.reading() as tx:
        for sort in ("quality", "new", "top"):
            pages[f"public-{sort}"] = handlers.public_feed(tx, sort, "all", 100, None, now)
            pages[f"home-{sort}"] = handlers.home_feed(tx, user_id, sort, 100, None, now)
    return pages


def settled(database, user_id, now, timeout=20):
    """The feeds once trust changes (which follow votes by a hop through identity) stop arriving."""
    deadline = time.monotonic() + timeout
    previous = snapshot(database, user_id, now)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        current = snapshot(database, user_id, now)
        if current == previous:
            return current
        previous = current
    raise AssertionError("the feed kept changing")


def wait_for_feed(database, expected_posts, expected_votes, timeout=20):
    from feed.models import FeedPost, FeedVote

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
    config = service_config("identity", "communities", "content", "feed")
    runner = runner_factory(config, IdentityService, CommunitiesService, ContentService, FeedService)
    runner.start()
    c = {container.service_name: container for container in runner.containers}

    people = [call(c["identity"], "register", f"person{n}", f"p{n}@example.com", PASSWORD) for n in range(5)]
    ids = [p["id"] for p in people]
    time.sleep(0.5)
    call(c["communities"], "create_subwiki", ids[0], "rivers", "Rivers")
    call(c["communities"], "create_subwiki", ids[1], "birds", "Birds")
    for user in ids:
        call(c["communities"], "join_subwiki", user, "rivers")
    call(c["identity"], "follow_user", ids[4], "person1")
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
    call(c["content"], "create_comment", ids[3], posts[0]["id"], "A substantive comment " * 5)
    call(c["content"], "edit_post", ids[0], posts[1]["id"], 1, "better", body="Better words " * 30)
    call(c["content"], "remove_post", ids[0], posts[2]["id"])
    votes = sum(len(ids[: n % 5]) for n in range(6)) + 1

    feed_url = config["FEED_DATABASE_URL"]
    kept = StandaloneDatabase(FeedBase.metadata, feed_url)
    wait_for_feed(kept, expected_posts=7, expected_votes=votes)
    now = utcnow()
    incremental = settled(kept, ids[4], now)

    rebuilt = StandaloneDatabase(FeedBase.metadata, database_url("feed"))
    with ClusterRpcProxy(rabbit_config, timeout=30) as rpc, rebuilt.transaction() as tx:
        counts = rebuild(tx, rpc, now)
    assert counts["posts"] == 7 and counts["votes"] == votes
    assert snapshot(rebuilt, ids[4], now) == incremental
    assert len(incremental["public-new"]["items"]) == 6
    assert {i["post_id"] for i in incremental["home-new"]["items"]} >= {bird["id"], posts[0]["id"]}
    kept.dispose()
    rebuilt.dispose()
