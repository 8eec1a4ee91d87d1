"""The feed's kept pages on real PostgreSQL: a change drops only the pages it touches (its subwiki's,
its author's, the front page, the home pages drawing on them), and a page is never staler than the
change that affects it: after each of a long run of varied events, every page the service answers
is the page read afresh from the database."""

import random
from datetime import timedelta

import pytest
from nameko.testing.services import entrypoint_hook

from feed import pages
from feed.models import Base
from feed.service import FeedService
from svclib.db import StandaloneDatabase, isoformat, utcnow
from svclib.testing import listening_kept, wait_until

SUBWIKIS = ("s1", "s2", "s3")
AUTHORS = ("a1", "a2", "a3", "a4")
READERS = ("r1", "r2", "r3")


@pytest.fixture
def config(service_config):
    return service_config("feed")


@pytest.fixture
def feed(container_factory, config):
    container = container_factory(FeedService, config)
    container.start()
    kept = listening_kept(container)
    database = StandaloneDatabase(Base.metadata, config["FEED_DATABASE_URL"])
    yield Feed(container, kept, database)
    database.dispose()


class Feed:
    def __init__(self, container, kept, database):
        self.container, self.kept, self.database = container, kept, database
        self.n = 0

    def call(self, entrypoint: str, *args, **kwargs):
        with entrypoint_hook(self.container, entrypoint) as call:
            return call(*args, **kwargs)

    def event(self, handler: str, entity: str, data: dict) -> None:
        self.n += 1
        self.call(handler, {"event_id": f"e{self.n}", "occurred_at": isoformat(utcnow()), entity: data})

    def post(self, post_id: str, author: str, subwiki: str, age: timedelta = timedelta(0)) -> None:
        post = {
            "id": post_id,
            "author_id": author,
            "subwiki_id": subwiki,
            "subwiki": f"slug_{subwiki}",
            "kind": "text",
            "title": post_id,
            "created_at": isoformat(utcnow() - age),
            "revision": 1,
        }
        self.event("handle_post_created", "post", post)

    def vote(self, post_id: str, voter: str, value: int = 1) -> None:
        vote = {"target_type": "post", "target_id": post_id, "voter_id": voter, "value": value}
        self.event("handle_vote_cast", "vote", vote)

    # Every page the test looks at: (entrypoint, arguments) as the service is asked, and the same read afresh.
    def pages(self) -> list[tuple[str, tuple]]:
        shown = [("public_feed", ("quality", "all")), ("public_feed", ("new", "all"))]
        shown += [("public_feed", ("quality", "week")), ("public_feed", ("top", "day"))]
        shown += [("subwiki_feed", (f"slug_{s}", "quality")) for s in (*SUBWIKIS, "unknown")]
        shown += [("user_posts", (a,)) for a in AUTHORS]
        shown += [("home_feed", (r, sort)) for r in READERS for sort in ("quality", "new")]
        shown += [("public_feed_for", (r, "quality", window)) for r in READERS for window in ("all", "week")]
        return shown

    def answered(self, entrypoint: str, args: tuple) -> dict:
        if entrypoint == "public_feed_for":  # the front page as a reader sees it, who may have muted some
            viewer, *args = args
            return self.call("public_feed", *args, viewer_id=viewer)
        return self.call(entrypoint, *args)

    def afresh(self, entrypoint: str, args: tuple) -> dict:
        with self.database.reading() as tx:
            if entrypoint == "public_feed_for" and not pages.mutes_anything(tx, args[0]):
                entrypoint, args = "public_feed", args[1:]
            return getattr(pages, entrypoint)(tx, *args, None, None, utcnow())


def seen(answer: dict) -> list[tuple]:
    """What a page shows that a change can move (its ages move on by themselves while it is kept)."""
    return [
        (
            item["post_id"],
            item["author_username"],
            item["subwiki_name"],
            item["up"],
            item["down"],
            item["comment_count"],
            item["rank"]["score"],
        )
        for item in answer["items"]
    ]


def test_a_vote_drops_only_the_pages_it_touches(feed):
    feed.post("p1", "a1", "s1")
    feed.post("p2", "a2", "s2")
    feed.event("handle_member_joined", "membership", {"user_id": "r1", "subwiki_id": "s2"})
    kept_pages = [("subwiki_feed", ("slug_s1", "quality")), ("subwiki_feed", ("slug_s2", "quality"))]
    kept_pages += [("user_posts", ("a1",)), ("user_posts", ("a2",)), ("home_feed", ("r1", "quality"))]
    kept_pages += [("public_feed", ("quality", "all"))]
    for entrypoint, args in kept_pages:
        feed.answered(entrypoint, args)
    hits = feed.kept.stats()["hits"]
    feed.vote("p1", "voter")
    untouched = [("subwiki_feed", ("slug_s2", "quality")), ("user_posts", ("a2",)), ("home_feed", ("r1", "quality"))]
    for entrypoint, args in untouched:
        feed.answered(entrypoint, args)
    assert feed.kept.stats()["hits"] == hits + len(untouched)
    touched = [("subwiki_feed", ("slug_s1", "quality")), ("user_posts", ("a1",)), ("public_feed", ("quality", "all"))]
    for entrypoint, args in touched:
        assert seen(feed.answered(entrypoint, args))[0][3] == 1  # the vote shows
    assert feed.kept.stats()["hits"] == hits + len(untouched)


def test_a_change_to_a_post_older_than_a_window_keeps_that_window_s_front_pages(feed):
    """The front pages of the last day and week show only posts that young: a vote on an older post (past the
    window and a day more) leaves them kept, and drops the front page of all time and the others it touches."""
    feed.post("old", "a1", "s1", timedelta(days=10))
    feed.post("this_week", "a2", "s2", timedelta(days=4))
    feed.post("today", "a3", "s3", timedelta(hours=1))
    fronts = {window: ("public_feed", ("quality", window)) for window in ("day", "week", "all")}

    def votes(window: str) -> dict[str, int]:
        return {item["post_id"]: item["up"] for item in feed.answered(*fronts[window])["items"]}

    assert votes("day") == {"today": 0}
    assert votes("week") == {"this_week": 0, "today": 0}
    assert votes("all") == {"old": 0, "this_week": 0, "today": 0}

    def kept_after(post_id: str, voter: str) -> set[str]:
        """The windows whose front page is answered kept after a vote on ``post_id``."""
        feed.vote(post_id, voter)
        kept = set()
        for window in fronts:
            hits = feed.kept.stats()["hits"]
            votes(window)
            if feed.kept.stats()["hits"] > hits:
                kept.add(window)
        return kept

    assert kept_after("old", "v1") == {"day", "week"}
    assert votes("all")["old"] == 1
    assert kept_after("this_week", "v1") == {"day"}
    assert votes("week")["this_week"] == 1
    assert kept_after("today", "v1") == set()
    assert votes("day") == {"today": 1}


def test_a_subwikis_new_name_drops_the_pages_that_show_it(feed):
    """Its own page, the front page, its posts' authors' pages and the home pages drawing on it, each read
    before the rename, are read again after it; an edit that keeps the name, and other subwikis' pages, stay."""

    def subwiki(name: str, revision: int, event: str) -> None:
        feed.event(
            f"handle_subwiki_{event}", "subwiki", {"id": "s1", "slug": "slug_s1", "name": name, "revision": revision}
        )

    subwiki("Rivers", 1, "created")
    feed.post("p1", "a1", "s1")
    feed.post("p2", "a2", "s2")
    feed.event("handle_member_joined", "membership", {"user_id": "r1", "subwiki_id": "s1"})
    feed.event("handle_user_followed", "follow", {"follower_id": "r2", "followee_id": "a1"})
    showing = [("subwiki_feed", ("slug_s1", "new")), ("public_feed", ("new", "all")), ("user_posts", ("a1",))]
    showing += [("home_feed", ("r1", "new")), ("home_feed", ("r2", "new"))]
    elsewhere = [("subwiki_feed", ("slug_s2", "new")), ("user_posts", ("a2",))]

    def names() -> list[set]:
        return [
            {item["subwiki_name"] for item in feed.answered(entrypoint, args)["items"] if item["post_id"] == "p1"}
            for entrypoint, args in showing
        ]

    def hits() -> int:
        return feed.kept.stats()["hits"]

    assert names() == [{"Rivers"}] * len(showing)
    for entrypoint, args in elsewhere:
        feed.answered(entrypoint, args)
    read = hits()
    subwiki("Rivers", 2, "edited")  # its summary edited: the same name
    assert names() == [{"Rivers"}] * len(showing)
    assert hits() == read + len(showing)
    subwiki("Rivers and streams", 3, "edited")
    assert names() == [{"Rivers and streams"}] * len(showing)
    assert hits() == read + len(showing)
    for entrypoint, args in elsewhere:
        feed.answered(entrypoint, args)
    assert hits() == read + len(showing) + len(elsewhere)


def test_every_page_answered_is_the_page_read_afresh_after_each_change(feed):
    rng = random.Random(15)
    posts: list[str] = []

    def a_change() -> None:
        kind = rng.choice(
            ["post"] * 3
            + ["vote"] * 4
            + ["comment", "join", "leave", "follow", "unfollow", "rename", "remove"]
            + ["subwiki", "trust"]
        )
        if kind == "post" or not posts:
            posts.append(f"p{len(posts)}")
            age = timedelta(days=rng.choice((0, 0, 1.5, 5, 9, 20)))  # on the day's and week's pages, or not
            feed.post(posts[-1], rng.choice(AUTHORS), rng.choice(SUBWIKIS), age)
        elif kind == "vote":
            feed.vote(rng.choice(posts), rng.choice(("v1", "v2", "v3")), rng.choice((1, 1, -1)))
        elif kind == "comment":
            comment = {"id": f"c{feed.n}", "post_id": rng.choice(posts), "author_id": "v1", "length": 200}
            feed.event("handle_comment_created", "comment", comment)
        elif kind in ("join", "leave"):
            membership = {"user_id": rng.choice(READERS), "subwiki_id": rng.choice(SUBWIKIS)}
            feed.event(f"handle_member_{'joined' if kind == 'join' else 'left'}", "membership", membership)
        elif kind in ("follow", "unfollow"):
            follow = {"follower_id": rng.choice(READERS), "followee_id": rng.choice(AUTHORS)}
            feed.event(f"handle_user_{kind}ed", "follow", follow)
        elif kind == "rename":
            author = rng.choice(AUTHORS)
            user = {"id": author, "username": author, "display_name": f"{author} {feed.n}", "profile_version": feed.n}
            feed.event("handle_user_updated", "user", user)
        elif kind == "remove":
            feed.event("handle_post_removed", "post", {"id": rng.choice(posts)})
        elif kind in ("mute", "unmute"):
            target_type = rng.choice(("user", "subwiki"))
            mute = {
                "user_id": rng.choice(READERS),
                "target_type": target_type,
                "target_id": rng.choice(AUTHORS if target_type == "user" else SUBWIKIS),
            }
            feed.event(f"handle_user_{kind}d", "mute", mute)
        elif kind == "subwiki":  # a subwiki's names, as made or as edited (a new name or the same)
            subwiki = rng.choice(SUBWIKIS)
            feed.event(
                "handle_subwiki_edited" if feed.n % 2 else "handle_subwiki_created",
                "subwiki",
                {"id": subwiki, "slug": f"slug_{subwiki}", "name": f"{subwiki} {feed.n}", "revision": feed.n},
            )
        else:
            feed.event(
                "handle_user_trust_changed", "user", {"id": rng.choice(("v1", "v2", "v3")), "trust": rng.random()}
            )

    for author in AUTHORS:  # known to the feed, as a rename needs (one of a person not known yet is tried later)
        feed.event("handle_user_registered", "user", {"id": author, "username": author, "profile_version": 1})
    for _ in range(100):
        a_change()
        for entrypoint, args in feed.pages():
            assert seen(feed.answered(entrypoint, args)) == seen(feed.afresh(entrypoint, args)), (entrypoint, args)
        for asked in (posts[-3:], [posts[0], f"p{len(posts)}"]):  # the next post is not held yet
            with feed.database.reading() as tx:
                assert feed.call("post_scores", asked) == pages.post_scores(tx, asked), asked
    stats = feed.kept.stats()
    assert stats["hits"] > 200  # pages were answered kept, not only read afresh


def test_a_mute_drops_the_pages_of_the_reader_who_muted(feed):
    feed.post("by_friend", "a1", "s2")
    feed.post("in_mine", "a2", "s1")
    feed.event("handle_member_joined", "membership", {"user_id": "r1", "subwiki_id": "s1"})
    feed.event("handle_user_followed", "follow", {"follower_id": "r1", "followee_id": "a1"})

    def shown() -> tuple[set, set]:
        home = {item["post_id"] for item in feed.call("home_feed", "r1", "new")["items"]}
        front = {item["post_id"] for item in feed.call("public_feed", "new", "all", viewer_id="r1")["items"]}
        return home, front

    assert shown() == ({"by_friend", "in_mine"}, {"by_friend", "in_mine"})
    assert shown() == ({"by_friend", "in_mine"}, {"by_friend", "in_mine"})  # kept
    feed.event("handle_user_muted", "mute", {"user_id": "r1", "target_type": "user", "target_id": "a1"})
    assert shown() == ({"in_mine"}, {"in_mine"})
    feed.event("handle_user_unmuted", "mute", {"user_id": "r1", "target_type": "user", "target_id": "a1"})
    assert shown() == ({"by_friend", "in_mine"}, {"by_friend", "in_mine"})


def test_a_post_s_scores_are_kept_until_a_change_to_a_post_of_its_subwiki(feed):
    feed.post("p1", "a1", "s1")
    feed.post("p2", "a2", "s2")

    def kept(asked: list[str]) -> tuple[dict, bool]:
        hits = feed.kept.stats()["hits"]
        answer = feed.call("post_scores", asked)
        return answer, feed.kept.stats()["hits"] == hits + 1

    # A change's own announcement may reach this process after an answer was read: kept again by the next.
    assert wait_until(lambda: kept(["p2"])[1] and kept(["p1"])[1] and kept(["p3"]) == ({}, True))
    feed.vote("p1", "voter")
    assert kept(["p2"])[1]  # another subwiki's post: still kept
    assert kept(["p1"])[0]["p1"]["up"] == 1
    feed.post("p3", "a3", "s3")  # a post asked for before it was held
    assert set(kept(["p3"])[0]) == {"p3"}
