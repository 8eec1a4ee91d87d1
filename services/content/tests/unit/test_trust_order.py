from datetime import UTC, datetime, timedelta

import pytest

from content.handlers import replicas
from content.models import Base
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
