"""Feed pages held by the gateway process: answered without asking the feed while it heard no change to what the
page was read from, a 304 to a client revalidating (``gateway.pagetags``)."""

from __future__ import annotations

import time

from gateway.pagetags import PageTags

from .test_conditional import FEED_PAGE, public_feed

FRONT = "/api/v1/feed/public?sort=quality&window=week"


def asked(services, method: str = "public_feed") -> int:
    return [call[1] for call in services.calls].count(method)


def kept_pages(services, tags: list[str] | None, ttl: float = 300, grace: float = 0.0) -> PageTags:
    services.feed_pages = PageTags(ttl, grace=grace)
    services.feed_pages.hearing(True)
    services.page_tags = tags
    return services.feed_pages


def test_a_page_revalidated_while_nothing_touched_it_is_a_304_the_feed_is_not_asked_for(client, services, auth):
    kept = kept_pages(services, ["front:week", "u:u1"])
    public_feed(services, FEED_PAGE)
    tag = client.get(FRONT, headers=auth).headers["ETag"]
    answers = [client.get(FRONT, headers={**auth, "If-None-Match": tag}) for _ in range(3)]
    assert [a.status_code for a in answers] == [304, 304, 304] and asked(services) == 1
    assert all(a.headers["ETag"] == tag and a.data == b"" for a in answers)
    assert answers[0].headers["Cache-Control"] == "private, no-cache" and answers[0].headers["Vary"] == "Authorization"
    # Another page, or the same page for a visitor, is another entry.
    assert client.get(FRONT, headers={"If-None-Match": tag}).status_code == 304 and asked(services) == 2
    assert client.get(FRONT + "&limit=5", headers={**auth, "If-None-Match": tag}).status_code == 304
    assert asked(services) == 3
    assert len(kept) == 3


def test_a_held_page_is_answered_whole_to_a_client_keeping_nothing_without_asking_the_feed(client, services, auth):
    kept = kept_pages(services, ["front:week"])
    public_feed(services, FEED_PAGE)
    first = client.get(FRONT)
    again = [client.get(FRONT) for _ in range(3)]
    assert asked(services) == 1
    assert [a.status_code for a in again] == [200, 200, 200]
    assert all(a.data == first.data and a.headers["ETag"] == first.headers["ETag"] for a in again)
    assert again[0].headers["Cache-Control"] == "private, no-cache" and again[0].get_json() == first.get_json()
    assert again[0].headers["Content-Type"] == "application/json"
    # A change to what it was read from: the feed is asked, and its new page answered and held.
    public_feed(services, {**FEED_PAGE, "items": []})
    kept.forget({"tags": ["front:week"]})
    changed = client.get(FRONT)
    assert asked(services) == 2 and changed.get_json()["items"] == [] and changed.data != first.data
    assert client.get(FRONT).data == changed.data and asked(services) == 2
    # A client that has just written has the page worked out.
    assert client.get(FRONT, headers={"Cache-Control": "no-cache"}).status_code == 200 and asked(services) == 3


def test_a_reader_who_mutes_nobody_is_answered_every_reader_s_held_page(client, services, auth):
    kept = kept_pages(services, ["front:week"])
    services.page_shared = ["u:u1"]  # the feed says u1 mutes nobody, read from u1's own tag
    public_feed(services, FEED_PAGE)
    mine = client.get(FRONT, headers=auth)
    assert asked(services) == 1 and services.calls[-1][3] == {"viewer_id": "u1"}
    visitor = client.get(FRONT)  # held without the reader: every reader's page
    assert asked(services) == 1 and visitor.data == mine.data and visitor.headers["ETag"] == mine.headers["ETag"]
    assert client.get(FRONT, headers=auth).data == mine.data and asked(services) == 1
    # u1 mutes someone: which page they see may change, and they are asked for again; visitors are not.
    services.page_shared = None
    kept.forget({"tags": ["u:u1"]})
    assert client.get(FRONT).data == mine.data and asked(services) == 1
    client.get(FRONT, headers=auth)
    assert asked(services) == 2 and services.calls[-1][3] == {"viewer_id": "u1"}
    client.get(FRONT, headers=auth)  # their own page now, held under them
    assert asked(services) == 2
    # A change to the page drops it for everyone.
    kept.forget({"tags": ["front:week"]})
    client.get(FRONT)
    client.get(FRONT, headers=auth)
    assert asked(services) == 4


def test_a_reader_who_mutes_someone_is_never_answered_every_reader_s_page(client, services, auth):
    kept_pages(services, ["front:week", "u:u1"])
    public_feed(services, FEED_PAGE)
    client.get(FRONT, headers=auth)  # the feed does not say the page is shared: the reader's own
    client.get(FRONT)
    assert asked(services) == 2
    client.get(FRONT, headers=auth)
    client.get(FRONT)
    assert asked(services) == 2


def test_a_change_the_feed_tells_drops_the_pages_read_from_it_and_no_other(client, services, auth):
    kept = kept_pages(services, ["front:week", "u:u1"])
    public_feed(services, FEED_PAGE)
    tag = client.get(FRONT, headers=auth).headers["ETag"]
    kept.forget({"tags": ["front", "s:other"]})  # a change to an old post: not this window's page
    assert client.get(FRONT, headers={**auth, "If-None-Match": tag}).status_code == 304 and asked(services) == 1
    public_feed(services, {**FEED_PAGE, "items": []})
    kept.forget({"tags": ["front:week", "s:rivers"]})
    changed = client.get(FRONT, headers={**auth, "If-None-Match": tag})
    assert changed.status_code == 200 and changed.get_json()["items"] == [] and asked(services) == 2
    new_tag = changed.headers["ETag"]
    assert new_tag != tag
    assert client.get(FRONT, headers={**auth, "If-None-Match": new_tag}).status_code == 304 and asked(services) == 2
    kept.forget({"tags": ["u:u1"]})  # the reader muted someone
    client.get(FRONT, headers={**auth, "If-None-Match": new_tag})
    assert asked(services) == 3
    kept.forget({"tags": None})  # anything may have changed
    client.get(FRONT, headers={**auth, "If-None-Match": new_tag})
    assert asked(services) == 4


def test_a_client_that_just_wrote_has_the_page_worked_out(client, services, auth):
    kept_pages(services, ["front:week"])
    public_feed(services, FEED_PAGE)
    tag = client.get(FRONT, headers=auth).headers["ETag"]
    fresh = {**auth, "If-None-Match": tag, "Cache-Control": "no-cache"}
    assert client.get(FRONT, headers=fresh).status_code == 304 and asked(services) == 2


def test_a_page_read_from_everything_is_dropped_by_any_change(client, services, auth):
    kept = kept_pages(services, None)
    public_feed(services, FEED_PAGE)
    tag = client.get(FRONT, headers=auth).headers["ETag"]
    assert client.get(FRONT, headers={**auth, "If-None-Match": tag}).status_code == 304 and asked(services) == 1
    kept.forget({"tags": ["s:elsewhere"]})
    assert client.get(FRONT, headers={**auth, "If-None-Match": tag}).status_code == 304 and asked(services) == 2


def test_the_home_feed_is_answered_the_same_way(client, services, auth):
    kept = kept_pages(services, ["u:u1", "s:rivers", "a:u7"])
    services.on("feed", "home_feed", lambda *args, **kwargs: FEED_PAGE)
    tag = client.get("/api/v1/feed", headers=auth).headers["ETag"]
    assert client.get("/api/v1/feed", headers={**auth, "If-None-Match": tag}).status_code == 304
    assert asked(services, "home_feed") == 1
    kept.forget({"tags": ["a:u7"]})  # someone the reader follows posted
    assert client.get("/api/v1/feed", headers={**auth, "If-None-Match": tag}).status_code == 304
    assert asked(services, "home_feed") == 2


def test_nothing_is_kept_while_the_feed_s_changes_are_not_heard(client, services, auth):
    kept = kept_pages(services, ["front:week"])
    public_feed(services, FEED_PAGE)
    tag = client.get(FRONT, headers=auth).headers["ETag"]
    kept.hearing(False)  # the broadcasts' connection lost: a change may go unheard
    for _ in range(2):
        assert client.get(FRONT, headers={**auth, "If-None-Match": tag}).status_code == 304
    assert asked(services) == 3
    kept.hearing(True)  # back: what was kept before may have changed meanwhile
    assert len(kept) == 0


def test_a_page_asked_for_while_or_just_after_a_change_was_told_is_not_kept():
    kept = PageTags(ttl=300, grace=0.2)
    kept.hearing(True)
    time.sleep(0.25)  # nothing asked for within the grace after the exchange was heard again is kept either
    kept.forget({"tags": ["front:week"]})
    # The feed's processes hear of a commit from PostgreSQL a moment after the gateway may: a page asked for
    # just after the change was told may be the one from before it.
    kept.keep("page", "tag", ["front:week"], asked=time.monotonic())
    assert kept.held("page") is None
    kept.keep("other", "tag", ["s:rivers"], asked=time.monotonic())  # the change did not touch it
    assert kept.held("other") == "tag"
    asked = time.monotonic()
    kept.forget({"tags": ["s:rivers"]})  # told while the page was asked for
    kept.keep("page", "tag", ["s:rivers", "front"], asked=asked)
    assert kept.held("page") is None
    settled = PageTags(ttl=300, grace=0.05)
    settled.hearing(True)
    time.sleep(0.06)
    settled.forget({"tags": ["front:week"]})
    time.sleep(0.06)
    settled.keep("page", "tag", ["front:week"], asked=time.monotonic())  # asked after the grace: kept
    assert settled.held("page") == "tag"


def test_a_page_s_tag_is_held_for_its_time_at_most():
    kept = PageTags(ttl=0.05, grace=0.0)
    kept.hearing(True)
    kept.keep("page", "tag", ["front"], asked=time.monotonic())
    assert kept.held("page") == "tag"
    time.sleep(0.06)
    assert kept.held("page") is None and len(kept) == 0
    bounded = PageTags(ttl=300, max_entries=2, grace=0.0)
    bounded.hearing(True)
    for key in ("a", "b", "c"):
        bounded.keep(key, key, ["front"], asked=time.monotonic())
    assert [bounded.held(key) for key in ("a", "b", "c")] == [None, "b", "c"]
    bounded.forget({"tags": ["front"]})
    assert len(bounded) == 0
    by_size = PageTags(ttl=300, max_bytes=100, grace=0.0)
    by_size.hearing(True)
    by_size.keep("a", "a", ["front"], asked=time.monotonic(), size=60)
    by_size.keep("b", "b", ["front"], asked=time.monotonic(), size=30)
    by_size.keep("too big", "c", ["front"], asked=time.monotonic(), size=101)
    assert [by_size.held(key) for key in ("a", "b", "too big")] == ["a", "b", None] and by_size.bytes == 90
    by_size.keep("c", "c", ["front"], asked=time.monotonic(), size=30)  # over the bytes: the oldest goes
    assert [by_size.held(key) for key in ("a", "b", "c")] == [None, "b", "c"] and by_size.bytes == 60
    by_size.forget({"tags": ["front"]})
    assert len(by_size) == 0 and by_size.bytes == 0
    assert len(bounded) == 0 and not bounded._tags


def test_a_page_read_after_a_change_was_heard_is_kept_one_read_before_it_is_not():
    """The feed tells how old its page is (seconds since its read began): a page whose read began after every change
    heard that touches it holds them all and is kept at once, where the grace would wait; one whose read began
    before such a change (a kept page the feed's process had not dropped yet) is not kept."""
    kept = PageTags(ttl=300, grace=2.0)
    kept.hearing(True)
    time.sleep(0.1)
    kept.forget({"tags": ["front:week"]})  # a change heard
    time.sleep(0.1)
    asked = time.monotonic()
    kept.keep("graced", "t1", ["front:week"], asked)  # age not told: within the grace, not kept
    kept.keep("read after", "t2", ["front:week"], asked, age=0.0)
    kept.keep("read before", "t3", ["front:week"], asked, age=0.15)  # its read began before the change
    kept.keep("untouched", "t4", ["s:rivers"], asked, age=0.15)
    kept.keep("before hearing", "t5", ["s:rivers"], asked, age=1.0)  # read before this process heard anything
    held = {key: kept.held(key) for key in ("graced", "read after", "read before", "untouched", "before hearing")}
    assert held == {"graced": None, "read after": "t2", "read before": None, "untouched": "t4", "before hearing": None}


def test_the_feed_s_page_read_just_after_a_change_is_held_without_waiting_out_the_grace(client, services, auth):
    services.feed_pages = PageTags(300, grace=2.0)
    services.feed_pages.hearing(True)
    services.page_tags = ["front:week"]
    public_feed(services, FEED_PAGE)
    time.sleep(0.1)
    services.feed_pages.forget({"tags": ["front:week"]})  # a post of the week, a moment ago
    client.get(FRONT)  # the feed tells no age: within the grace, not held
    client.get(FRONT)
    assert asked(services) == 2
    time.sleep(0.1)
    services.page_age = 0.0  # read as it was asked, after the change: it holds it
    client.get(FRONT)
    assert client.get(FRONT).status_code == 200 and asked(services) == 3


def test_what_becomes_of_the_held_pages_is_counted(client, services, auth):
    """``gateway_held_pages_total``: requests answered from what was held or asked of the feed, and answers kept or
    refused (a change heard since they were read; the feed's changes not heard)."""
    from gateway.metrics import HELD_PAGES

    def counted(outcome: str) -> float:
        return HELD_PAGES.labels("feed", "public_feed", outcome)._value.get()

    before = {o: counted(o) for o in ("answered", "asked", "kept", "changed", "unheard")}
    services.feed_pages = PageTags(300, grace=0.0, name="feed")
    services.feed_pages.hearing(True)
    services.page_tags = ["front:week"]
    public_feed(services, FEED_PAGE)
    client.get(FRONT)  # asked, kept
    client.get(FRONT)  # answered
    services.feed_pages.hearing(False)
    client.get(FRONT)  # asked, not kept: not hearing
    services.feed_pages.hearing(True)
    services.page_age = 5.0  # read before the change heard next
    time.sleep(0.06)
    services.feed_pages.forget({"tags": ["front:week"]})
    services.feed_pages._heard_since -= 10  # as if heard for a while
    client.get(FRONT)  # asked, refused: a change heard since its read began
    after = {o: counted(o) - before[o] for o in before}
    assert after == {"answered": 1, "asked": 3, "kept": 1, "changed": 1, "unheard": 1}


def test_a_page_whose_snapshot_saw_a_change_heard_since_its_read_is_kept_and_outlives_its_message():
    """On PostgreSQL the feed tells the snapshot its page's read began with, and its messages the transactions they
    tell: a change heard since the read began (after the page was read, in the broadcast's tenth of a second) but
    committed before it is in the page, which is kept, and held past the message. A change the snapshot did not see
    (still running when it was taken, or after it) refuses or drops the page; a message naming no transactions
    goes by time, as before."""
    kept = PageTags(ttl=300, grace=2.0)
    kept.hearing(True)
    time.sleep(0.05)
    asked = time.monotonic()
    time.sleep(0.05)
    kept.forget({"tags": ["front:week"], "xacts": [100, 102]})  # heard after the read began
    kept.keep("saw it", "t1", ["front:week"], asked, age=0.0, snapshot="101:104:101")  # 101 running, not told
    kept.keep("ran", "t2", ["front:week"], asked, age=0.0, snapshot="100:104:102")  # 102 still running then
    kept.keep("before", "t3", ["front:week"], asked, age=0.0, snapshot="99:100:")  # taken before both
    kept.keep("no snapshot", "t4", ["front:week"], asked, age=0.0)
    assert [kept.held(key) for key in ("saw it", "ran", "before", "no snapshot")] == ["t1", None, None, None]
    kept.keep("later", "t5", ["front:week"], time.monotonic(), age=0.0, snapshot="105:105:")
    kept.forget({"tags": ["front:week"], "xacts": [102]})  # told late: both hold it
    assert kept.held("saw it") == "t1" and kept.held("later") == "t5"
    kept.forget({"tags": ["front:week"], "xacts": [102, 104]})  # 104 committed after "saw it" was read
    assert kept.held("saw it") is None and kept.held("later") == "t5"
    kept.forget({"tags": None, "xacts": [102]})  # anything, but only what "later" holds
    assert kept.held("later") == "t5"
    kept.forget({"tags": ["front:week"]})  # no transactions named: by time
    assert kept.held("later") is None


def test_the_feed_s_page_is_held_past_the_message_of_the_change_it_holds(client, services, auth):
    services.feed_pages = PageTags(300, grace=2.0)
    services.feed_pages.hearing(True)
    services.page_tags = ["front:week"]
    services.page_age = 0.0
    services.page_snapshot = "200:201:"
    public_feed(services, FEED_PAGE)
    time.sleep(0.1)  # heard for longer than the page's age and margin
    client.get(FRONT)
    services.feed_pages.forget({"tags": ["front:week"], "xacts": [199]})  # the vote it was read after, told late
    assert client.get(FRONT).status_code == 200 and asked(services) == 1
    services.feed_pages.forget({"tags": ["front:week"], "xacts": [201]})  # a vote after it
    client.get(FRONT)
    assert asked(services) == 2
