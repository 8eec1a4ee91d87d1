"""Racing requests of one subject on PostgreSQL: no more than the limit pass."""

import threading
import uuid

from sqlalchemy import MetaData

from svclib.db import StandaloneDatabase, plumbing_tables
from svclib.exceptions import RateLimited
from svclib.ratelimit import RateLimit, rate_limits_table

metadata = MetaData()
plumbing_tables(metadata)
LIMITS = rate_limits_table(metadata)


def test_racing_hits_never_pass_more_than_the_limit(postgres):
    name = f"t_limits_{uuid.uuid4().hex[:10]}"
    db = StandaloneDatabase(metadata, postgres.create(name))
    limit = RateLimit("posts", limit=5, window_seconds=10**9)  # one window for the whole test
    passed, refused = [], []
    start = threading.Barrier(20)

    def hit():
        start.wait()
        try:
            with db.transaction() as tx:
                limit.hit(tx, LIMITS, "ann")
            passed.append(1)
        except RateLimited:
            refused.append(1)

    threads = [threading.Thread(target=hit) for _ in range(20)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert (len(passed), len(refused)) == (5, 15)
    finally:
        db.dispose()
        postgres.drop(name)
