"""A trust change reads its person's votes through an index on the voter, on PostgreSQL: without it, every
vote held was read (at 4.5 million votes, about 1.3 s of PostgreSQL's time a trust change)."""

from feed.handlers import votes
from feed.models import Base, FeedTrust
from svclib.db import StandaloneDatabase, utcnow
from svclib.testing import plan_at_scale, statements_run


def test_a_trust_change_reads_its_persons_votes_by_voter(database_url):
    db = StandaloneDatabase(Base.metadata, database_url("feed"))
    try:
        with statements_run(db.engine, "JOIN feed_votes") as seen, db.transaction() as tx:
            votes.trust_changed(tx, "voter", 0.5, utcnow(), version=1)
        assert len(seen) == 1, seen
        plan = plan_at_scale(db.engine, *seen[0])
        assert "ix_feed_votes_voter" in plan, plan
        with db.reading() as tx:
            assert tx.session.get(FeedTrust, "voter").trust == 0.5
    finally:
        db.dispose()
