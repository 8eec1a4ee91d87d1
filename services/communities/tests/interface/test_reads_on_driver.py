"""Subwikis' summaries (every post's page asks for its subwiki's) are read on psycopg on PostgreSQL, by one
statement built once whatever the number of slugs, not through SQLAlchemy's execution (svclib.db.driver)."""

from sqlalchemy import insert

from communities.handlers import subwikis
from communities.models import Base, Subwiki
from svclib.db import StandaloneDatabase
from svclib.testing import statements_run


def test_summaries_run_no_statement_through_sqlalchemy(database_url):
    db = StandaloneDatabase(Base.metadata, database_url("communities"))
    try:
        with db.transaction() as tx:
            rows = [{"id": f"s{n}", "slug": slug, "name": slug.title()} for n, slug in enumerate(["rivers", "lakes"])]
            tx.connection.execute(insert(Subwiki), rows)
        with statements_run(db.engine, "") as seen, db.reading() as tx:
            one = subwikis.get_subwikis(tx, ["Rivers"])
            two = subwikis.get_subwikis(tx, ["rivers", "lakes", "seas"])
        assert seen == []
        assert list(one) == ["rivers"] and sorted(two) == ["lakes", "rivers"]
        assert two["lakes"]["name"] == "Lakes" and two["lakes"]["member_count"] == 0
        assert two["rivers"]["created_at"] == one["rivers"]["created_at"]
    finally:
        db.dispose()
