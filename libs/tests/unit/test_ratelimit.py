"""Fixed-window rate limits counted in the service's own database."""

import pytest
from sqlalchemy import MetaData

from svclib.db import plumbing_tables
from svclib.exceptions import RateLimited
from svclib.ratelimit import RateLimit, rate_limits_table
from svclib.testing import memory_database

metadata = MetaData()
plumbing_tables(metadata)
LIMITS = rate_limits_table(metadata)


@pytest.fixture
def db():
    database = memory_database(metadata)
    yield database
    database.dispose()


def test_hits_over_the_limit_are_refused_until_the_next_window(db):
    posts = RateLimit("posts", limit=2, window_seconds=60)
    for expected in (1, 2):
        with db.transaction() as tx:
            assert posts.hit(tx, LIMITS, "ann", now=600.0) == expected
    with pytest.raises(RateLimited) as caught, db.transaction() as tx:
        posts.hit(tx, LIMITS, "ann", now=630.0)
    assert caught.value.details["retry_after"] == 30
    with db.transaction() as tx:
        assert posts.hit(tx, LIMITS, "bob", now=630.0) == 1
        assert RateLimit("comments", 2, 60).hit(tx, LIMITS, "ann", now=630.0) == 1
    with db.transaction() as tx:
        assert posts.hit(tx, LIMITS, "ann", now=660.0) == 1


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_POSTS_LIMIT", "7")
    monkeypatch.setenv("RATE_LIMIT_POSTS_WINDOW_SECONDS", "90")
    assert RateLimit.from_env("posts", limit=30, window_seconds=3600) == RateLimit("posts", 7, 90)
