"""On PostgreSQL the front page and home pages come with the snapshot their read began with, and each commit's
notice with its transaction's id (``svclib.snapshots``): a gateway process tells from them whether a page it holds
holds a change it hears of (``gateway.pagetags``)."""

from nameko.testing.services import worker_factory

from feed.kept import CHANNEL, touches
from feed.models import Base
from feed.service import FeedService
from svclib.db import StandaloneDatabase, isoformat, utcnow
from svclib.kept import Kept
from svclib.snapshots import Snapshot


def test_a_page_s_snapshot_saw_every_commit_before_its_read_and_none_after(database_url):
    db = StandaloneDatabase(Base.metadata, database_url("feed"), changes_channel=CHANNEL, touches=touches)
    pages = Kept(max_entries=10, max_age=60.0)
    pages.listening = True
    db.on_commit(pages.forget)
    committed = []
    db.on_commit(lambda touched, xact: committed.append(xact), xact=True)
    service = worker_factory(FeedService, db=db, kept=pages)
    ids = iter(range(1000))

    def post(post_id):
        fact = {"id": post_id, "author_id": "a1", "subwiki_id": "s1", "subwiki": "rivers", "kind": "text"}
        post = {**fact, "title": post_id, "created_at": isoformat(utcnow())}
        service.handle_post_created({"event_id": f"e{next(ids)}", "post": post})

    try:
        service.handle_user_registered({"event_id": "u1", "user": {"id": "a1", "username": "ann"}})
        service.handle_subwiki_created({"event_id": "s1", "subwiki": {"id": "s1", "slug": "rivers", "name": "Rivers"}})
        service.handle_member_joined({"event_id": "m1", "membership": {"user_id": "r1", "subwiki_id": "s1"}})
        post("p1")
        assert committed and all(isinstance(xact, int) for xact in committed)
        before = list(committed)
        front = service.public_feed("new", "week", tags=True)
        home = service.home_feed("r1", "new", tags=True)
        assert list(front) == ["tags", "age", "snapshot", "page"]
        seen = Snapshot.parse(front["snapshot"])
        assert all(seen.saw(xact) for xact in before)
        assert service.public_feed("new", "week", tags=True)["snapshot"] == front["snapshot"]  # the kept page's
        post("p2")
        later = committed[len(before) :]
        assert later and not any(seen.saw(xact) for xact in later)
        again = service.public_feed("new", "week", tags=True)
        assert [item["post_id"] for item in again["page"]["items"]] == ["p2", "p1"]
        assert all(Snapshot.parse(again["snapshot"]).saw(xact) for xact in committed)
        assert all(Snapshot.parse(home["snapshot"]).saw(xact) for xact in before)
        assert "snapshot" not in service.subwiki_feed("rivers", "new")  # a page the gateway does not hold
    finally:
        db.dispose()
