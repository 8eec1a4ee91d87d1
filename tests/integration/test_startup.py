"""A service starting before its database answers waits for it, migrations included."""

import threading
import time
import uuid

from svclib.db import make_engine, migrate
from svclib.migrations import migrations_dir


def test_migrations_wait_for_a_database_that_is_not_there_yet(postgres, monkeypatch):
    monkeypatch.setenv("STARTUP_WAIT_SECONDS", "60")
    name = f"t_startup_{uuid.uuid4().hex[:10]}"
    url = postgres.url(name)
    creator = threading.Timer(1.5, postgres.create, args=(name,))
    creator.start()
    engine = make_engine(url)
    try:
        started = time.monotonic()
        migrate(engine, migrations_dir("communities"))
        assert time.monotonic() - started >= 1.0
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1
    finally:
        creator.join()
        engine.dispose()
        postgres.drop(name)
