"""The feed's kept answers: recent pages kept in memory, dropped the moment the read model changes.

The feed's database announces every commit on ``feed_changed``; each feed
process forgets every page it keeps when a notification arrives, whichever
replica (or tool, such as the rebuild) committed the change (``svclib.kept``).
A page is kept for at most ``FEED_PAGE_CACHE_SECONDS`` (the age shown in its
reasons moves on).
"""

from __future__ import annotations

from svclib.kept import KeptAnswers

CHANNEL = "feed_changed"


def kept_answers() -> KeptAnswers:
    """The feed process's kept answers (``FEED_PAGE_CACHE_ENTRIES``, ``FEED_PAGE_CACHE_SECONDS``)."""
    return KeptAnswers("db", "FEED_PAGE_CACHE_ENTRIES", "FEED_PAGE_CACHE_SECONDS", entries=1000, seconds=10.0)
