import threading
import time

from nameko.testing.services import worker_factory

from feed.kept import pages_changed, touches
from feed.models import Base
from feed.service import FeedService
from svclib.db import StandaloneDatabase
from svclib.kept import Kept

from .test_ranking import Events


class Reads:
    def __init__(self):
        self.count = 0

    def __call__(self):
        self.count += 1
        return {"read": self.count}


def listening(max_entries=10, max_age=60.0):
    pages = Kept(max_entries, max_age)
    pages.listening = True
    return pages


def test_a_kept_page_is_answered_without_reading_until_something_changes():
    pages, read = listening(), Reads()
    assert pages.get_or_build(("front", "quality"), read) == {"read": 1}
    assert pages.get_or_build(("front", "quality"), read) == {"read": 1}
    assert pages.get_or_build(("front", "new"), read) == {"read": 2}
    pages.forget()
    assert pages.get_or_build(("front", "quality"), read) == {"read": 3}
    kinds = {"front": {"hits": 1, "shared": 0, "misses": 3}}
    assert pages.stats() == {"listening": True, "answers": 1, "hits": 1, "shared": 0, "misses": 3, "kinds": kinds}


def test_a_page_read_while_something_changed_is_not_kept():
    pages = listening()

    def read_during_a_change():
        pages.forget()
        return {"stale": True}

    assert pages.get_or_build("key", read_during_a_change) == {"stale": True}
    read = Reads()
    assert pages.get_or_build("key", read) == {"read": 1}
    assert read.count == 1


def test_nothing_is_kept_while_not_listening_or_past_its_age():
    pages, read = Kept(10, 60.0), Reads()
    pages.get_or_build("key", read)
    pages.get_or_build("key", read)
    assert read.count == 2
    pages, read = listening(max_age=0.0), Reads()
    pages.get_or_build("key", read)
    pages.get_or_build("key", read)
    assert read.count == 2


def test_the_least_recently_used_page_goes_first():
    pages, read = listening(max_entries=2), Reads()
    pages.get_or_build("a", read)
    pages.get_or_build("b", read)
    pages.get_or_build("a", read)
    pages.get_or_build("c", read)
    assert pages.get_or_build("a", read) == {"read": 1}
    assert pages.get_or_build("b", read) == {"read": 4}
    assert pages.stats()["answers"] == 2


def test_unhashable_keys_are_read_every_time():
    pages, read = listening(), Reads()
    pages.get_or_build(("home", ["not", "hashable"]), read)
    pages.get_or_build(("home", ["not", "hashable"]), read)
    assert read.count == 2


def test_health_reports_the_kept_answers():
    pages = listening()
    pages.get_or_build("key", Reads())
    service = worker_factory(FeedService, kept=pages)
    assert service.health() == {
        "service": "feed",
        "ok": True,
        "kept_answers": {
            "listening": True,
            "answers": 1,
            "hits": 0,
            "shared": 0,
            "misses": 1,
            "kinds": {"other": {"hits": 0, "shared": 0, "misses": 1}},
        },
    }


def test_readers_of_the_same_page_share_one_read():
    pages = listening()
    started, release = threading.Event(), threading.Event()
    reads = Reads()

    def slow_read():
        started.set()
        release.wait(5)
        return reads()

    answers = []
    leader = threading.Thread(target=lambda: answers.append(pages.get_or_build("key", slow_read)))
    leader.start()
    started.wait(5)
    followers = [threading.Thread(target=lambda: answers.append(pages.get_or_build("key", reads))) for _ in range(3)]
    for follower in followers:
        follower.start()
    time.sleep(0.05)
    release.set()
    for thread in (leader, *followers):
        thread.join(5)
    assert answers == [{"read": 1}] * 4
    assert reads.count == 1
    assert pages.stats()["shared"] == 3


def test_a_reader_after_a_change_does_not_wait_for_an_older_read():
    pages = listening()
    started, release = threading.Event(), threading.Event()

    def old_read():
        started.set()
        release.wait(5)
        return {"old": True}

    answers = []
    leader = threading.Thread(target=lambda: answers.append(pages.get_or_build("key", old_read)))
    leader.start()
    started.wait(5)
    pages.forget()
    assert pages.get_or_build("key", lambda: {"new": True}) == {"new": True}
    release.set()
    leader.join(5)
    assert answers == [{"old": True}]
    assert pages.get_or_build("key", lambda: {"newer": True}) == {"new": True}


def test_a_subwikis_new_name_drops_the_kept_pages_that_show_it():
    """Every page showing a post of the subwiki (its own, the front page, its posts' authors', its members'
    homes) read before a rename is read again after it; an edit that keeps the name drops none of them."""
    db = StandaloneDatabase(Base.metadata, "sqlite://", touches=touches)
    pages = listening()
    db.on_commit(pages.forget)  # as the commit's notice on feed_changed makes every feed process forget
    service = worker_factory(FeedService, db=db, kept=pages)
    events = Events(service)

    def subwiki(name: str, revision: int, event: str) -> None:
        named = {"id": "s1", "slug": "rivers", "name": name, "revision": revision}
        getattr(service, f"handle_subwiki_{event}")({"event_id": events._id(), "subwiki": named})

    def names() -> list[set]:
        shown = [
            service.subwiki_feed("rivers", "new"),
            service.public_feed("new", "all"),
            service.user_posts("a1"),
            service.home_feed("r1", "new"),
        ]
        return [{item["subwiki_name"] for item in page["items"]} for page in shown]

    try:
        subwiki("Rivers", 1, "created")
        events.post("p1", author="a1", subwiki="s1")
        service.handle_member_joined({"event_id": events._id(), "membership": {"user_id": "r1", "subwiki_id": "s1"}})
        assert names() == [{"Rivers"}] * 4
        hits = pages.stats()["hits"]
        subwiki("Rivers", 2, "edited")  # its summary edited: the same name
        assert names() == [{"Rivers"}] * 4
        assert pages.stats()["hits"] == hits + 4
        subwiki("Rivers and streams", 3, "edited")
        assert names() == [{"Rivers and streams"}] * 4
        assert pages.stats()["hits"] == hits + 4
    finally:
        db.dispose()


def test_pages_asked_with_their_tags_tell_what_they_were_read_from_kept_or_not():
    """The gateway asks the front page and home pages with ``tags``: the page as ever, and the tags of what it
    was read from (the viewer's own tag with it: whether they muted anyone decides which page they see), from
    the kept page as from a page read afresh; a viewer who mutes nobody is told they see every reader's page
    (``shared``, with the tag that decides it), one who mutes someone is not."""
    db = StandaloneDatabase(Base.metadata, "sqlite://", touches=touches)
    pages = listening()
    db.on_commit(pages.forget)
    service = worker_factory(FeedService, db=db, kept=pages)
    events = Events(service)
    try:
        service.handle_subwiki_created(
            {"event_id": events._id(), "subwiki": {"id": "s1", "slug": "rivers", "name": "Rivers", "revision": 1}}
        )
        events.post("p1", author="a1", subwiki="s1")
        service.handle_member_joined({"event_id": events._id(), "membership": {"user_id": "r1", "subwiki_id": "s1"}})
        ages = []
        for _ in range(2):  # read, then kept
            front = service.public_feed("new", "week", tags=True)
            ages.append(front.pop("age"))
            assert front == {"tags": ["front:week"], "page": service.public_feed("new", "week")}
            viewed = service.public_feed("quality", "all", viewer_id="r1", tags=True)
            assert viewed["tags"] == ["front", "u:r1"] and [i["post_id"] for i in viewed["page"]["items"]] == ["p1"]
            assert viewed["shared"] == ["u:r1"] and viewed["page"] == service.public_feed("quality", "all")
            assert list(viewed) == ["tags", "age", "shared", "page"]  # the page last: the gateway reads it apart
            home = service.home_feed("r1", "new", tags=True)
            assert home.pop("age") >= 0 and home == {"tags": ["s:s1", "u:r1"], "page": service.home_feed("r1", "new")}
            time.sleep(0.01)
        # The kept page tells how long ago its read began: older the second time.
        assert 0 <= ages[0] < ages[1]
        assert pages.stats()["kinds"]["public_feed"]["hits"] >= 3
        mute = {"user_id": "r1", "target_type": "user", "target_id": "a1", "version": 1}
        service.handle_user_muted({"event_id": events._id(), "mute": mute})
        muting = service.public_feed("quality", "all", viewer_id="r1", tags=True)
        assert "shared" not in muting and muting["page"]["items"] == []
    finally:
        db.dispose()


def test_the_gateway_is_told_of_each_commit_that_touched_pages():
    """What a commit tells the gateway's processes (``pages_changed``): the tags of the pages it touched, all of
    them for a change that may have touched any, nothing for a change to unread counts alone."""
    assert pages_changed(frozenset({"s:s1", "front", "a:a1"})) == {"tags": ["a:a1", "front", "s:s1"]}
    assert pages_changed(frozenset({"n:r1", "u:r1"})) == {"tags": ["u:r1"]}
    assert pages_changed(frozenset({"n:r1", "n:r2"})) is None
    assert pages_changed(frozenset()) is None
    assert pages_changed(None) == {"tags": None}
