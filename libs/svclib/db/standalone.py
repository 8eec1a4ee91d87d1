"""A service's database without a nameko container: tools, tests, seeding, rebuilds."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import MetaData
from sqlalchemy.orm import sessionmaker

from svclib.db.engine import make_engine
from svclib.db.migrations import migrate
from svclib.db.transaction import Transactions


class StandaloneDatabase(Transactions):
    """The same transaction interface without a container (no outbox relay: events wait in the outbox)."""

    def __init__(
        self,
        metadata: MetaData,
        url: str,
        migrations_dir: Path | str | None = None,
        changes_channel: str | None = None,
        touches=None,
    ):
        """``changes_channel`` and ``touches``: as for :class:`~svclib.db.Database`, so that a tool's
        changes reach the service's processes that keep answers."""
        self.outbox, self.processed = metadata.tables["outbox"], metadata.tables["processed_events"]
        self.engine = make_engine(url)
        if migrations_dir is not None:
            migrate(self.engine, migrations_dir)
        else:
            metadata.create_all(self.engine)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self.relay = None
        self._init_transactions(changes_channel, touches)
        self._sessions_made()

    def dispose(self) -> None:
        self.engine.dispose()
