"""Kept answers with tags: a change drops the answers holding a tag it touched and keeps the others;
an answer read while a change touching it arrived is never kept nor handed to a later reader."""

import threading

from sqlalchemy import Column, MetaData, String, Table, insert

from svclib.db import StandaloneDatabase, plumbing_tables
from svclib.db.transaction import NOTIFY_BYTES, notification_payloads, touched_tags
from svclib.kept import Kept


def listening() -> Kept:
    kept = Kept(100, 60.0)
    kept.listening = True
    return kept


class Reads:
    def __init__(self, tags):
        self.count, self.tags = 0, tags

    def __call__(self):
        self.count += 1
        return {"read": self.count}, self.tags


def test_a_change_drops_the_answers_it_touches_and_keeps_the_others():
    kept = listening()
    physics, chemistry, untagged = Reads({"s:physics", "front"}), Reads({"s:chemistry"}), Reads(None)
    kept.get_or_build("physics", physics, tagged=True)
    kept.get_or_build("chemistry", chemistry, tagged=True)
    kept.get_or_build("untagged", untagged, tagged=True)
    kept.forget(frozenset({"s:physics"}))
    for key, read in (("physics", physics), ("chemistry", chemistry), ("untagged", untagged)):
        kept.get_or_build(key, read, tagged=True)
    assert (physics.count, chemistry.count, untagged.count) == (2, 1, 2)
    kept.forget(None)  # everything
    kept.get_or_build("chemistry", chemistry, tagged=True)
    assert chemistry.count == 2
    assert kept.stats()["answers"] == 1


def test_a_read_during_a_change_that_touches_it_is_not_kept_and_one_it_does_not_touch_is():
    kept = listening()

    def read_while(change):
        def read():
            kept.forget(change)
            return {"read": True}, {"s:physics"}

        return read

    kept.get_or_build("a", read_while(frozenset({"s:physics"})), tagged=True)
    kept.get_or_build("b", read_while(frozenset({"s:chemistry"})), tagged=True)
    assert kept.stats()["answers"] == 1
    again = Reads({"s:physics"})
    kept.get_or_build("a", again, tagged=True)
    kept.get_or_build("b", again, tagged=True)
    assert again.count == 1  # "a" read again, "b" kept


def test_a_reader_arriving_after_a_change_never_gets_the_read_that_began_before_it():
    kept = listening()
    started, release = threading.Event(), threading.Event()

    def old_read():
        started.set()
        release.wait(5)
        return {"old": True}, {"s:physics"}

    answers = []
    leader = threading.Thread(target=lambda: answers.append(kept.get_or_build("key", old_read, tagged=True)))
    leader.start()
    started.wait(5)
    kept.forget(frozenset({"s:physics"}))
    follower = threading.Thread(
        target=lambda: answers.append(kept.get_or_build("key", lambda: ({"new": True}, {"s:physics"}), tagged=True))
    )
    follower.start()
    release.set()
    leader.join(5)
    follower.join(5)
    assert sorted(answers, key=str) == [{"new": True}, {"old": True}]
    assert kept.get_or_build("key", lambda: ({"newest": True}, set()), tagged=True) == {"new": True}


def test_tags_are_announced_in_parts_under_the_payload_limit_and_everything_when_too_many():
    assert notification_payloads(None) == [""]
    assert notification_payloads(frozenset()) == []
    many = frozenset(f"s:{n:032}" for n in range(1000))
    payloads = notification_payloads(many)
    assert len(payloads) > 1 and all(len(p.encode()) <= NOTIFY_BYTES for p in payloads)
    assert set().union(*(touched_tags(p) for p in payloads)) == many
    assert notification_payloads(frozenset(f"s:{n:032}" for n in range(10000))) == [""]
    assert touched_tags("") is None


def test_changes_touch_everything_unless_the_database_records_what_they_touch():
    metadata = MetaData()
    plumbing_tables(metadata)
    things = Table("things", metadata, Column("id", String, primary_key=True))
    seen = []
    untagged = StandaloneDatabase(metadata, "sqlite://")
    tagged = StandaloneDatabase(metadata, "sqlite://", touches=lambda sessions: None)
    for database in (untagged, tagged):
        database.on_commit(seen.append)
        with database.transaction() as tx:
            tx.session.execute(insert(things).values(id="1"))
        with database.transaction() as tx:
            tx.touch("thing:2")
            tx.session.execute(insert(things).values(id="2"))
        database.dispose()
    # Untagged: everything, unless told; tagged: nothing touched, nothing announced.
    assert seen == [None, frozenset({"thing:2"}), frozenset({"thing:2"})]
