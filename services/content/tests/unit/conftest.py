"""The content service under worker_factory on an in-memory database made by the service's migrations
(search's FTS5 tables and triggers are theirs alone), with four members of one subwiki."""

import pytest
from nameko.testing.services import worker_factory

from content.models import Base
from content.service import MIGRATIONS, ContentService
from svclib.db.standalone import StandaloneDatabase
from svclib.kept import Kept
from svclib.testing import memory_database

SUBWIKI = {"subwiki_id": "s1", "subwiki": "rivers"}


@pytest.fixture(scope="session")
def migrated():
    """One database migrated to head, copied into each test's (migrating takes far longer than copying)."""
    database = StandaloneDatabase(Base.metadata, "sqlite://", migrations_dir=MIGRATIONS)
    yield database
    database.dispose()


@pytest.fixture
def db(migrated):
    database = memory_database(Base.metadata)
    with migrated.engine.connect() as source, database.engine.connect() as target:
        source.connection.driver_connection.backup(target.connection.driver_connection)
    yield database
    database.dispose()


@pytest.fixture
def service(db, tmp_path, monkeypatch):
    monkeypatch.setenv("UPLOAD_DIR", str(tmp_path))
    # Nothing kept: on SQLite no change is announced (content.kept is tested on PostgreSQL, tests/interface).
    kept = Kept(max_entries=0, max_age=0)
    service = worker_factory(ContentService, db=db, config={"EDITS_PER_WINDOW": 5}, kept=kept)

    def communities_answer(user_id, slug=None, subwiki_id=None):
        if slug not in (None, "rivers") or subwiki_id not in (None, "s1"):
            return None
        return {"subwiki_id": "s1", "subwiki": "rivers", "user_id": user_id, "is_member": False, "is_moderator": False}

    service.communities.get_membership.side_effect = communities_answer
    n = 0
    for user, moderator in (("ann", True), ("bob", False), ("cat", False), ("dan", False)):
        n += 1
        service.handle_user_registered({"event_id": f"r{n}", "user": {"id": user, "username": user}})
        service.handle_member_joined({"event_id": f"j{n}", "membership": {**SUBWIKI, "user_id": user}})
        if moderator:
            service.handle_moderator_added({"event_id": f"m{n}", "membership": {**SUBWIKI, "user_id": user}})
    service.handle_user_registered({"event_id": "r-out", "user": {"id": "out", "username": "out"}})
    service.handle_user_trust_changed({"event_id": "t1", "user": {"id": "cat", "trust": 0.9}})
    return service
