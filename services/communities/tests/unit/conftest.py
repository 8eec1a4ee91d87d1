"""Communities' unit tests: the service over the module's own ``db`` fixture, with three people known."""

import pytest
from nameko.testing.services import worker_factory

from communities.service import CommunitiesService
from svclib.kept import Kept


@pytest.fixture
def service(db):
    # Nothing kept: on SQLite no change is announced (communities.kept is tested on PostgreSQL, tests/interface).
    service = worker_factory(CommunitiesService, db=db, kept=Kept(max_entries=0, max_age=0))
    service.identity.get_people.return_value = {}  # identity has nobody this service does not know
    for n, name in enumerate(("ann", "bob", "cat")):
        service.handle_user_registered({"event_id": f"reg-{n}", "user": {"id": name, "username": name}})
    return service
