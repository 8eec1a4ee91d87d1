"""The outbox, idempotency records and the user directory, without a broker."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select, update

from svclib import users
from svclib.contracts import ABSENT, Event
from svclib.db import plumbing_tables, utcnow
from svclib.outbox import OutboxRelay
from svclib.testing import memory_database

metadata = MetaData()
OUTBOX, PROCESSED = plumbing_tables(metadata)
KNOWN = users.known_users_table(metadata)


class ThingDone(Event, event_type="thing_done", entity="thing", producer="plumbing"):
    id: str = ABSENT
    n: int = ABSENT
    by: str = ABSENT


@pytest.fixture
def db():
    database = memory_database(metadata)
    yield database
    database.dispose()


def test_emit_writes_the_event_in_the_same_transaction(db):
    with db.transaction() as tx:
        event_id = tx.emit(ThingDone(id="t1"))
    with db.transaction() as tx:
        row = tx.session.execute(select(OUTBOX)).one()
    assert row.event_type == "thing_done"
    assert row.payload["event_id"] == event_id
    assert row.payload["thing"] == {"id": "t1"}
    assert row.payload["occurred_at"].endswith("Z")
    assert row.published_at is None
    assert row.created_at.tzinfo is not None  # SQLite keeps no zone; it comes back as UTC


def test_a_rolled_back_change_leaves_no_event(db):
    with pytest.raises(RuntimeError), db.transaction() as tx:
        tx.emit(ThingDone(id="t2"))
        raise RuntimeError("the change failed")
    with db.transaction() as tx:
        assert tx.session.execute(select(OUTBOX)).all() == []


def test_once_is_true_only_the_first_time(db):
    with db.transaction() as tx:
        assert tx.once("e1", "handle_x") is True
    with db.transaction() as tx:
        assert tx.once("e1", "handle_x") is False
        assert tx.once("e1", "handle_y") is True


class RecordingProducer:
    def __init__(self, fail_after=None):
        self.sent = []
        self.fail_after = fail_after

    def publish(self, body, **kwargs):
        if self.fail_after is not None and len(self.sent) >= self.fail_after:
            raise ConnectionError("broker went away")
        self.sent.append((kwargs["routing_key"], body))


def relay_with(db, producer):
    relay = OutboxRelay(db.engine, OUTBOX, "amqp://unused", "directory.events")
    relay._get_producer = lambda: producer
    return relay


def test_relay_publishes_in_order_and_marks_published(db):
    with db.transaction() as tx:
        for n in range(3):
            tx.emit(ThingDone(n=n))
    producer = RecordingProducer()
    assert relay_with(db, producer).publish_pending() == 3
    assert [json.loads(body)["thing"]["n"] for _, body in producer.sent] == [0, 1, 2]
    assert relay_with(db, RecordingProducer()).publish_pending() == 0


def test_relay_failure_marks_nothing_so_the_batch_is_sent_again(db):
    with db.transaction() as tx:
        for n in range(3):
            tx.emit(ThingDone(n=n))
    with pytest.raises(ConnectionError):
        relay_with(db, RecordingProducer(fail_after=1)).publish_pending()
    again = RecordingProducer()
    assert relay_with(db, again).publish_pending() == 3
    assert [json.loads(body)["thing"]["n"] for _, body in again.sent] == [0, 1, 2]


def test_known_users_records_an_account_once_and_forgets_its_name_on_erasure(db):
    with db.transaction() as tx:
        users.record(tx, KNOWN, "u1", "ann")
    with db.transaction() as tx:
        users.record(tx, KNOWN, "u1", "ann")
    with db.transaction() as tx:
        assert tx.session.execute(select(KNOWN.c.username)).scalars().all() == ["ann"]
        assert users.export(tx, KNOWN, "u1")["username"] == "ann"
        assert users.export(tx, KNOWN, "nobody") is None
    with db.transaction() as tx:
        users.erase(tx, KNOWN, "u1")
    with db.transaction() as tx:
        assert users.export(tx, KNOWN, "u1") is None
        assert tx.session.execute(select(KNOWN)).all() == []


def test_forget_leaves_no_row_naming_an_erased_id(db):
    things = Table(
        "things", metadata, Column("id", Integer, primary_key=True), Column("by", String(32)), extend_existing=True
    )
    keys = Table("keys", metadata, Column("key", String(80), primary_key=True), extend_existing=True)
    metadata.create_all(db.engine, tables=[things, keys])
    with db.transaction() as tx:
        tx.session.execute(things.insert().values([{"id": 1, "by": "u1"}, {"id": 2, "by": "u2"}]))
        tx.session.execute(keys.insert().values([{"key": "vote:p1:u1"}, {"key": "vote:p1:u2"}]))
        published = tx.emit(ThingDone(by="u1"))
        tx.emit(ThingDone(by="u2"))
        announced = tx.emit(ThingDone(id="u1"))
        waiting = tx.emit(ThingDone(by="u1"))
        tx.session.execute(update(OUTBOX).where(OUTBOX.c.event_id == published).values(published_at=utcnow()))
    with db.transaction() as tx:
        users.forget(tx, "u1", anonymise=(things.c.by,), keys=(keys.c.key,), outbox=OUTBOX, event_id=announced)
    with db.transaction() as tx:
        assert tx.session.execute(select(things.c.id, things.c.by).order_by(things.c.id)).all() == [
            (1, None),
            (2, "u2"),
        ]
        assert tx.session.execute(select(keys.c.key)).scalars().all() == ["vote:p1:u2"]
        left = tx.session.execute(select(OUTBOX.c.event_id)).scalars().all()
        # An event not yet published stays: its consumers still need it.
        assert published not in left and announced not in left and waiting in left and len(left) == 2


def test_a_known_user_is_recorded_once_and_forgotten_when_erased(db):
    with db.transaction() as tx:
        users.record(tx, KNOWN, "u1", "ann")
        users.record(tx, KNOWN, "u1", "a second registration of the same id")
    with db.transaction() as tx:
        assert users.export(tx, KNOWN, "u1")["username"] == "ann"
        users.erase(tx, KNOWN, "u1")
    with db.transaction() as tx:
        assert users.export(tx, KNOWN, "u1") is None


def test_prune_forgets_only_old_published_events_and_records(db):
    with db.transaction() as tx:
        old, recent, unsent = (tx.emit(ThingDone(id=name)) for name in ("old", "recent", "unsent"))
        tx.once("e-old", "handler")
        tx.once("e-new", "handler")
    long_ago = utcnow() - timedelta(days=30)
    with db.transaction() as tx:
        tx.session.execute(update(OUTBOX).where(OUTBOX.c.event_id == old).values(published_at=long_ago))
        tx.session.execute(update(OUTBOX).where(OUTBOX.c.event_id == recent).values(published_at=utcnow()))
        tx.session.execute(update(PROCESSED).where(PROCESSED.c.event_id == "e-old").values(processed_at=long_ago))
    relay = OutboxRelay(
        db.engine, OUTBOX, "amqp://unused", "x.events", processed=PROCESSED, retention=timedelta(days=7)
    )
    relay.prune()
    with db.transaction() as tx:
        assert sorted(tx.session.execute(select(OUTBOX.c.event_id)).scalars()) == sorted([recent, unsent])
        assert list(tx.session.execute(select(PROCESSED.c.event_id)).scalars()) == ["e-new"]


def test_a_request_expires_only_after_a_deadline_it_carries():
    from svclib.rpc import expired

    assert expired(100.0, now=101.0) and not expired(100.0, now=99.0)
    assert not expired(None) and not expired("soon") and not expired(True)
