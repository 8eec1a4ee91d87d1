"""Recent feed pages kept in memory, dropped the moment the read model changes.

Every transaction that changes the read model sends ``NOTIFY feed_changed``;
each feed process forgets every page it keeps when a notification arrives,
whichever replica applied the change (``svclib.kept``). A page is kept for at
most ``FEED_PAGE_CACHE_SECONDS`` (the age shown in its reasons moves on).
"""

from __future__ import annotations

from svclib.db import Transaction
from svclib.kept import Kept, KeptAnswers

CHANNEL = "feed_changed"
Pages = Kept


def changed(tx: Transaction) -> None:
    """Mark ``tx`` as changing what feeds show: every feed process drops its pages when it commits."""
    tx.notify(CHANNEL)


class PageCache(KeptAnswers):
    """The feed process's kept pages (``FEED_PAGE_CACHE_ENTRIES``, ``FEED_PAGE_CACHE_SECONDS``)."""

    def __init__(self):
        super().__init__(CHANNEL, "FEED_PAGE_CACHE_ENTRIES", "FEED_PAGE_CACHE_SECONDS", entries=1000, seconds=10.0)

    @property
    def pages(self) -> Kept:
        return self.kept
