"""The feed service in a worker of its own, on an in-memory SQLite database, answering nothing from kept answers."""

import pytest
from nameko.testing.services import worker_factory

from feed.models import Base
from feed.service import FeedService
from svclib.kept import Kept
from svclib.testing import memory_database


@pytest.fixture
def db():
    database = memory_database(Base.metadata)
    yield database
    database.dispose()


@pytest.fixture
def service(db):
    return worker_factory(FeedService, db=db, kept=Kept(max_entries=0, max_age=0))
