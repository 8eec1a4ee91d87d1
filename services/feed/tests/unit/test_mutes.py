"""Mutes and blocks in the feed, kept from identity's events (in order, by each relation's version): the
front page as a reader sees it, the home feed, notifications, erasure and the export."""

import pytest

from .test_ranking import Events

ME = "reader"


class Mutes(Events):
    def mute(self, target, kind="user", version=1, muted=True):
        handler = self.service.handle_user_muted if muted else self.service.handle_user_unmuted
        mute = {"user_id": ME, "target_type": kind, "target_id": target, "version": version}
        handler({"event_id": self._id(), "mute": mute})

    def block(self, target, version=1, blocked=True):
        handler = self.service.handle_user_blocked if blocked else self.service.handle_user_unblocked
        handler({"event_id": self._id(), "block": {"blocker_id": ME, "blocked_id": target, "version": version}})

    def join(self, subwiki):
        membership = {"user_id": ME, "subwiki_id": subwiki, "subwiki": f"slug_{subwiki}"}
        self.service.handle_member_joined({"event_id": self._id(), "membership": membership})


@pytest.fixture
def events(service):
    return Mutes(service)


def ids(page):
    return sorted(item["post_id"] for item in page["items"])


def front(service, viewer=None):
    return ids(service.public_feed("new", "all", viewer_id=viewer))


def test_the_front_page_leaves_out_what_the_reader_muted_and_only_for_them(service, events):
    events.post("p1", author="a1", subwiki="s1")
    events.post("p2", author="a2", subwiki="s1")
    events.post("p3", author="a3", subwiki="s2")
    events.mute("a1")
    events.mute("s2", kind="subwiki")
    assert front(service, ME) == ["p2"]
    assert front(service) == ["p1", "p2", "p3"] and front(service, "someone_else") == ["p1", "p2", "p3"]
    assert ids(service.subwiki_feed("slug_s2", "new")) == ["p3"]  # the subwiki's own page, asked for
    events.mute("a1", version=2, muted=False)
    events.mute("a1", version=1)  # the mute's event again, late: older than the unmute
    assert front(service, ME) == ["p1", "p2"]


def test_a_block_is_a_mute_that_outlives_an_unblock_only_when_muted_too(service, events):
    events.post("p1", author="a1")
    events.block("a1")
    assert front(service, ME) == []
    events.mute("a1")
    events.block("a1", version=2, blocked=False)
    assert front(service, ME) == []
    events.mute("a1", version=2, muted=False)
    assert front(service, ME) == ["p1"]


def test_the_home_feed_leaves_out_muted_people_and_subwikis(service, events):
    events.join("s1")
    events.join("s2")
    events.post("p1", author="a1", subwiki="s1")
    events.post("p2", author="a2", subwiki="s1")
    events.post("p3", author="a3", subwiki="s2")
    assert ids(service.home_feed(ME, "new")) == ["p1", "p2", "p3"]
    events.mute("a1")
    events.mute("s2", kind="subwiki")
    assert ids(service.home_feed(ME, "new")) == ["p2"]


def reply(events, author, subwiki="s1"):
    comment = {
        "id": f"c{events.n}",
        "post_id": "p1",
        "subwiki_id": subwiki,
        "author_id": author,
        "parent_id": None,
        "length": 20,
        "post_author_id": ME,
        "parent_author_id": None,
        "mentions": [],
    }
    events.service.notify_comment_created(
        {"event_id": events._id(), "occurred_at": "2026-12-02T01:00:00+00:00", "comment": comment}
    )


def test_muted_and_blocked_people_and_muted_subwikis_notify_nothing(service, events):
    reply(events, "bob")
    events.mute("s9", kind="subwiki")
    reply(events, "cat", subwiki="s9")
    events.block("dan")
    reply(events, "dan")
    events.mute("eve")
    reply(events, "eve")
    (only,) = service.notifications(ME)["items"]
    assert only["actor_ids"] == ["bob"] and service.unread_notifications(ME) == 1
    events.mute("s1", kind="subwiki")  # what was written before a subwiki's mute leaves too
    assert service.notifications(ME)["items"] == [] and service.unread_notifications(ME) == 0


def test_mutes_are_exported_and_go_with_either_person(service, events):
    events.mute("a1")
    events.block("a2")
    exported = service.export_user(ME)["mutes"]
    assert sorted((m["kind"], m["target_id"]) for m in exported) == [("block", "a2"), ("user", "a1")]
    service.handle_user_erased({"event_id": events._id(), "user": {"id": "a1"}})
    assert [m["target_id"] for m in service.export_user(ME)["mutes"]] == ["a2"]
    service.handle_user_erased({"event_id": events._id(), "user": {"id": ME}})
    assert service.export_user(ME)["mutes"] == []
