"""A subwiki's moderators are read through a partial index of moderators, on PostgreSQL: without it, every
membership of the subwiki was read to keep the few moderators among them."""

from types import SimpleNamespace

from communities.handlers import access
from communities.models import Base
from svclib.db import StandaloneDatabase
from svclib.testing import plan_at_scale, statements_run


def test_a_subwikis_moderators_are_read_from_the_moderators_index(database_url):
    db = StandaloneDatabase(Base.metadata, database_url("communities"))
    try:
        with statements_run(db.engine, "is_moderator IS true") as seen, db.reading() as tx:
            assert access.moderator_ids(tx, SimpleNamespace(id="rivers")) == []
        assert len(seen) == 1, seen
        plan = plan_at_scale(db.engine, *seen[0])
        assert "ix_memberships_moderators" in plan, plan
    finally:
        db.dispose()
