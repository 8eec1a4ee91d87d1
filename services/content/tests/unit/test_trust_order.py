from datetime import UTC, datetime, timedelta

import pytest

from content.handlers import replicas
from content.models import Base, Member, MemberVersion
from svclib.testing import memory_database


@pytest.fixture
def db():
    database = memory_database(Base.metadata)
    yield database
    database.dispose()


def test_a_trust_change_computed_before_the_held_one_is_ignored(db):
    now = datetime.now(UTC)
    with db.transaction() as tx:
        replicas.record_trust(tx, "u1", 0.8, now)
        replicas.record_trust(tx, "u1", 0.3, now - timedelta(seconds=1))
        assert replicas.trust_of(tx, "u1") == 0.8
        replicas.record_trust(tx, "u1", 0.6, now + timedelta(seconds=1))
        assert replicas.trust_of(tx, "u1") == 0.6


def test_trust_values_apply_by_identitys_version_not_by_clock(db):
    now = datetime.now(UTC)
    with db.transaction() as tx:
        replicas.record_trust(tx, "u1", 0.8, now, version=3)
        # Computed later by a replica whose clock runs ahead, but an older value: ignored.
        replicas.record_trust(tx, "u1", 0.3, now + timedelta(seconds=5), version=2)
        replicas.record_trust(tx, "u1", 0.4, now + timedelta(seconds=5), version=3)
        assert replicas.trust_of(tx, "u1") == 0.8
        replicas.record_trust(tx, "u1", 0.6, now - timedelta(seconds=5), version=4)
        assert replicas.trust_of(tx, "u1") == 0.6


def membership(version, is_moderator=False):
    return {"subwiki_id": "s1", "user_id": "u1", "subwiki": "rivers", "is_moderator": is_moderator, "version": version}


def member(tx):
    row = tx.session.get(Member, ("s1", "u1"))
    return None if row is None else ("moderator" if row.is_moderator else "member")


def test_membership_events_in_any_order_and_twice_end_as_the_latest(db):
    # Joined (1), appointed (2), dismissed (3), left (4), joined again (5): delivered shuffled, some twice.
    events = {
        1: lambda tx: replicas.record_membership(tx, membership(1), joined=True),
        2: lambda tx: replicas.record_moderator(tx, membership(2, True), is_moderator=True),
        3: lambda tx: replicas.record_moderator(tx, membership(3), is_moderator=False),
        4: lambda tx: replicas.record_membership(tx, membership(4), joined=False),
        5: lambda tx: replicas.record_membership(tx, membership(5), joined=True),
    }
    for order, expected in (([4, 1, 3, 2], None), ([2, 1, 2], "moderator"), ([5, 4, 3, 1, 5], "member")):
        with db.transaction() as tx:
            tx.session.query(Member).delete()
            tx.session.query(MemberVersion).delete()
        for version in order:
            with db.transaction() as tx:
                events[version](tx)
        with db.reading() as tx:
            assert member(tx) == expected, order


def test_a_membership_event_without_a_version_applies_as_it_comes(db):
    unversioned = {**membership(None)}
    with db.transaction() as tx:
        replicas.record_membership(tx, unversioned, joined=True)
    with db.transaction() as tx:
        assert member(tx) == "member"
        replicas.record_membership(tx, unversioned, joined=False)
    with db.reading() as tx:
        assert member(tx) is None
