"""Who moderates a post's subwiki is read through a partial index of moderators, on PostgreSQL: without
it, every member of the subwiki was read to keep the few moderators among them."""

from content.handlers import access
from content.models import Base
from svclib.db import StandaloneDatabase
from svclib.testing import plan_at_scale, statements_run


def test_a_subwikis_moderators_are_read_from_the_moderators_index(database_url):
    db = StandaloneDatabase(Base.metadata, database_url("content"))
    try:
        with statements_run(db.engine, "is_moderator IS true") as seen, db.reading() as tx:
            assert access.moderators_of(tx, ["rivers", "lakes"]) == {"rivers": [], "lakes": []}
        assert len(seen) == 1, seen
        plan = plan_at_scale(db.engine, *seen[0])
        assert "ix_members_moderators" in plan, plan
    finally:
        db.dispose()
