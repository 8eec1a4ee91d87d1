"""SQLAlchemy 2 for nameko services: engines, migrations, transactions, outbox.

A service declares ``db = Database(metadata, migrations_dir)``. Its workers get
a :class:`DatabaseHandle`; ``with self.db.transaction() as tx:`` opens one
transaction in which the change, the events describing it (``tx.emit``) and the
record that an incoming event was applied (``tx.once``) commit together.

One concern per module: ``engine`` (engines and pools), ``types`` (shared
column types and the plumbing tables), ``migrations`` (alembic at start-up),
``read`` (the raw read path), ``driver`` (prebuilt statements on psycopg), ``transaction`` (the unit of work),
``rows`` (a row found or made, and locked; a lock on a name), ``provider``
(the nameko dependency) and ``standalone`` (the same without a container). Time helpers live in :mod:`svclib.times`.
"""

import os

# psycopg 3 must wait with select() so that eventlet's hub keeps running; set before psycopg is imported.
os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

from svclib.db import driver  # noqa: E402
from svclib.db.engine import make_engine, normalise_url  # noqa: E402
from svclib.db.migrations import migrate  # noqa: E402
from svclib.db.provider import Database, DatabaseHandle, configured_url  # noqa: E402
from svclib.db.read import Read  # noqa: E402
from svclib.db.rows import locked_row, name_lock  # noqa: E402
from svclib.db.standalone import StandaloneDatabase  # noqa: E402
from svclib.db.transaction import Transaction  # noqa: E402
from svclib.db.types import Timestamps, UTCDateTime, plumbing_tables  # noqa: E402
from svclib.times import isoformat, parse_time, utcnow  # noqa: E402

__all__ = [
    "Database",
    "DatabaseHandle",
    "Read",
    "StandaloneDatabase",
    "Timestamps",
    "Transaction",
    "UTCDateTime",
    "driver",
    "configured_url",
    "isoformat",
    "locked_row",
    "make_engine",
    "migrate",
    "name_lock",
    "normalise_url",
    "parse_time",
    "plumbing_tables",
    "utcnow",
]
