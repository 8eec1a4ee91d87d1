"""The names the feed shows on posts, kept from identity's user_registered / user_updated (by the person's
profile_version) and communities' subwiki_created / subwiki_edited (by the subwiki's revision): whatever the
order or how often each is delivered, the newest names stay, on posts held already and on posts that come later."""

import pytest

from feed import handlers
from svclib.events import NotYet

from .test_ranking import Events


class Names(Events):
    def person(self, user_id, display_name, version, event="updated"):
        user = {
            "id": user_id,
            "username": user_id,
            "display_name": display_name,
            "created_at": "2026-01-01T00:00:00+00:00",
            "profile_version": version,
        }
        getattr(self.service, f"handle_user_{event}")({"event_id": self._id(), "user": user})

    def subwiki(self, subwiki_id, name, revision, event="created"):
        subwiki = {"id": subwiki_id, "slug": f"slug_{subwiki_id}", "name": name, "revision": revision}
        getattr(self.service, f"handle_subwiki_{event}")({"event_id": self._id(), "subwiki": subwiki})


@pytest.fixture
def events(service):
    return Names(service)


def shown(service, post_id):
    card = service.post_cards([post_id])[post_id]
    return card["author_display_name"], card["subwiki_name"]


def test_a_rename_ahead_of_the_registration_leaves_the_newest_name(service, events):
    """The rename comes first (its own queue): identity has the account, so it is tried again later, and
    applies after the registration, being newer; the registration delivered again changes nothing."""
    service.identity.get_people.return_value = {"a1": {"id": "a1", "username": "a1"}}
    with pytest.raises(NotYet):
        events.person("a1", "Ann Newest", 2)
    events.post("p1", author="a1")
    events.person("a1", "Ann", 1, event="registered")
    events.person("a1", "Ann Newest", 2)  # the retry
    events.post("p2", author="a1")
    assert shown(service, "p1")[0] == shown(service, "p2")[0] == "Ann Newest"
    events.person("a1", "Ann", 1, event="registered")
    events.post("p3", author="a1")
    assert {shown(service, p)[0] for p in ("p1", "p2", "p3")} == {"Ann Newest"}


def test_renames_in_either_order_or_again_leave_the_newest_name(service, events):
    events.person("a1", "Ann", 1, event="registered")
    events.post("p1", author="a1")
    events.person("a1", "Ann Third", 3)
    events.person("a1", "Ann Second", 2)  # late: a retry, or another replica's
    events.post("p2", author="a1")
    assert shown(service, "p1")[0] == shown(service, "p2")[0] == "Ann Third"
    events.person("a1", "Ann Third", 3)  # delivered again (another event id: as a rebuild's fact would)
    events.person("a1", "Ann Fourth", 4)
    events.person("a1", "Ann Third", 3)
    assert shown(service, "p1")[0] == "Ann Fourth"


def test_an_erased_persons_late_rename_brings_no_name_back(service, events, db):
    from feed.models import FeedPerson

    events.person("a1", "Ann", 1, event="registered")
    events.post("p1", author="a1")
    service.handle_user_erased({"event_id": "erased", "user": {"id": "a1"}})
    # Late, of an account identity no longer has: dropped, neither kept nor waiting in a queue with the name.
    service.identity.get_people.return_value = {}
    events.person("a1", "Ann again", 2)
    service.identity.get_people.assert_called_with(["a1"])
    with db.reading() as tx:
        assert tx.session.get(FeedPerson, "a1") is None
    assert shown(service, "p1")[0] is None


def test_a_subwikis_older_revision_arriving_late_changes_nothing(service, events):
    events.post("p1", subwiki="s1")
    events.subwiki("s1", "Rivers and streams", 2)
    events.subwiki("s1", "Rivers", 1)
    events.post("p2", subwiki="s1")
    assert shown(service, "p1")[1] == shown(service, "p2")[1] == "Rivers and streams"


def test_a_subwikis_new_name_in_an_edit_reaches_its_posts_held_and_to_come(service, events):
    events.post("p1", subwiki="s1")
    events.subwiki("s1", "Rivers", 1)
    events.post("p2", subwiki="s1")
    events.post("elsewhere", subwiki="s2")
    events.subwiki("s2", "Birds", 1)
    events.subwiki("s1", "Rivers and streams", 2, event="edited")
    events.post("p3", subwiki="s1")
    assert {shown(service, p)[1] for p in ("p1", "p2", "p3")} == {"Rivers and streams"}
    assert shown(service, "elsewhere")[1] == "Birds"
    assert service.subwiki_feed("slug_s1", "new")["items"][0]["subwiki_name"] == "Rivers and streams"


def test_a_subwikis_edit_ahead_of_its_creation_leaves_the_newest_name(service, events):
    """subwiki_created and subwiki_edited travel on queues of their own: the edit may come first."""
    events.post("p1", subwiki="s1")
    events.subwiki("s1", "Rivers and streams", 2, event="edited")
    events.subwiki("s1", "Rivers", 1)
    events.subwiki("s1", "Rivers", 1)  # delivered again
    events.post("p2", subwiki="s1")
    assert shown(service, "p1")[1] == shown(service, "p2")[1] == "Rivers and streams"


def test_an_edit_that_keeps_the_name_changes_no_post(db, service, events):
    """Most edits change the subwiki's summary or description: they record the revision and touch no post."""
    from sqlalchemy import event

    from feed.models import FeedSubwiki

    events.subwiki("s1", "Rivers", 1)
    for n in range(3):
        events.post(f"p{n}", subwiki="s1")
    statements = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        events.subwiki("s1", "Rivers", 2, event="edited")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert not [statement for statement in statements if statement.startswith("UPDATE feed_posts")], statements
    with db.reading() as tx:
        assert tx.session.get(FeedSubwiki, "s1").revision == 2
    assert {shown(service, f"p{n}")[1] for n in range(3)} == {"Rivers"}


def test_a_rebuilds_facts_carry_the_versions_the_events_do(db, events):
    """list_trust's and list_subwiki_names' items, applied after a newer event, change nothing."""
    events.person("a1", "Ann", 1, event="registered")
    events.person("a1", "Ann Second", 2)
    events.subwiki("s1", "Rivers and streams", 2)
    events.post("p1", author="a1", subwiki="s1")
    with db.transaction() as tx:
        handlers.person_changed(tx, {"id": "a1", "username": "a1", "display_name": "Ann", "profile_version": 1})
        handlers.subwiki_named(tx, {"id": "s1", "slug": "slug_s1", "name": "Rivers", "revision": 1})
    assert shown(events.service, "p1") == ("Ann Second", "Rivers and streams")
