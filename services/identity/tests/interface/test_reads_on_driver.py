"""The names of a page's people (every discussion whose commenters content does not name asks for them) are read
on psycopg on PostgreSQL, by one statement built once whatever their number, not through SQLAlchemy's execution
(svclib.db.driver)."""

from sqlalchemy import insert

from identity.handlers import profiles
from identity.models import Base, Block, User
from svclib.db import StandaloneDatabase
from svclib.testing import statements_run


def test_peoples_names_run_no_statement_through_sqlalchemy(database_url):
    db = StandaloneDatabase(Base.metadata, database_url("identity"))
    try:
        with db.transaction() as tx:
            person = {"email": "", "password_hash": "x", "bio": ""}
            tx.connection.execute(
                insert(User),
                [
                    {**person, "id": f"u{n}", "username": name, "display_name": name.title(), "email_normalised": name}
                    for n, name in enumerate(["ann", "bo", "cy"])
                ],
            )
            tx.connection.execute(insert(Block).values(blocker_id="u0", blocked_id="u1"))
        with statements_run(db.engine, "") as seen, db.reading() as tx:
            named = profiles.get_people(tx, ["u1", "u2", "nobody"])
            seen_by = profiles.get_people(tx, ["u1", "u2"], seen_by="u0")
        assert seen == []
        assert named == {"u1": {"username": "bo", "display_name": "Bo"}, "u2": {"username": "cy", "display_name": "Cy"}}
        assert seen_by["u1"]["blocked"] is True and seen_by["u2"]["blocked"] is False
    finally:
        db.dispose()
