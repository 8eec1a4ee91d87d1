"""Which commits a read saw: PostgreSQL's snapshots (``pg_current_snapshot``) and transactions' ids
(``pg_current_xact_id``).

A service that answers a page read from its database can tell, with the page, the snapshot its read began
with (``current``); its commits are told with their ids (``svclib.broadcasts``). A process holding the page
then knows, of each change it hears of, whether the page holds it (``Snapshot.saw``): a change committed
before the read began is in it, one committed after may not be. Every statement of a read in autocommit
takes a snapshot at least as new as the one before it, so a page read after its snapshot holds every
commit that snapshot saw.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from svclib.db import driver

_CURRENT = text("SELECT pg_current_snapshot()::text")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """``xmin:xmax:xip,...``: every transaction below ``xmin`` had ended, none from ``xmax`` on had, and of
    those between, the ``running`` ones had not."""

    xmin: int
    xmax: int
    running: frozenset[int]

    @classmethod
    def parse(cls, written: str | None) -> Snapshot | None:
        """The snapshot written as PostgreSQL writes it; None for none or anything else."""
        if not isinstance(written, str):
            return None
        parts = written.split(":")
        if len(parts) != 3:
            return None
        try:
            running = frozenset(int(x) for x in parts[2].split(",") if x)
            return cls(int(parts[0]), int(parts[1]), running)
        except ValueError:
            return None

    def saw(self, xact: int) -> bool:
        """Whether transaction ``xact`` had ended when this snapshot was taken (``pg_visible_in_snapshot``): a
        commit it saw is in what was read after it."""
        return xact < self.xmin or (xact < self.xmax and xact not in self.running)


def current(connection) -> str | None:
    """``connection``'s snapshot now, as PostgreSQL writes it; None on another database."""
    if connection.dialect.name != "postgresql":
        return None
    return driver.first_row(connection, _CURRENT, {})[0]
