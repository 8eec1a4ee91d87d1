"""Which rows in feed order a page shows: author and subwiki caps, and when a new creator's slot is sought.

A page holds at most ``PER_AUTHOR`` posts by one author (and, on the home feed, ``PER_SUBWIKI_HOME``
from one subwiki) in the ranked sorts; posts passed over by a cap stay passed over, since the next
page starts after the last post examined. When no post by an author with few posts stands above the
page's median approval, the page's last place goes to the best such post (``feed.pages.assembly``).
Plain Python over rows: the Redis comparison of ``bench/feed_storage.py`` chooses with these too.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable


class Caps:
    """How many posts of each author and each subwiki a page holds so far, against their caps (None: no cap)."""

    def __init__(self, per_author: int | None, per_subwiki: int | None):
        self.per_author, self.per_subwiki = per_author, per_subwiki
        self.authors: dict[str | None, int] = {}
        self.subwikis: dict[str, int] = {}

    def passes_over(self, row) -> bool:
        if self.per_author and self.authors.get(row.author_id, 0) >= self.per_author:
            return True
        return bool(self.per_subwiki and self.subwikis.get(row.subwiki_id, 0) >= self.per_subwiki)

    def count(self, row) -> None:
        self.authors[row.author_id] = self.authors.get(row.author_id, 0) + 1
        self.subwikis[row.subwiki_id] = self.subwikis.get(row.subwiki_id, 0) + 1

    @property
    def held(self) -> int:
        """How many posts the page holds so far (each counted once under its subwiki)."""
        return sum(self.subwikis.values())

    def capped_authors(self) -> set[str | None]:
        return {a for a, n in self.authors.items() if self.per_author and n >= self.per_author}

    def capped_subwikis(self) -> set[str]:
        return {s for s, n in self.subwikis.items() if self.per_subwiki and n >= self.per_subwiki}

    def reached(self) -> bool:
        return bool(self.capped_authors() or self.capped_subwikis())


def choose(rows: Iterable, size: int, shown: set[str], caps: Caps):
    """A page's rows from rows in feed order: ``(chosen, last examined, more follow)``.

    Posts already shown and posts over an author's or a subwiki's cap are passed over; ``caps``
    counts the posts chosen as it goes.
    """
    chosen: list = []
    last, more = None, False
    for row in rows:
        if len(chosen) == size:
            more = True
            break
        last = row
        if row.id in shown or caps.passes_over(row):
            continue
        chosen.append(row)
        caps.count(row)
    return chosen, last, more


def creator_median(chosen: list) -> float | None:
    """The page's median approval when a new creator's post should be sought above it; None when the
    page is empty or already holds a post by an author with few posts above its median."""
    if not chosen:
        return None
    median = statistics.median(row.approval for row in chosen)
    if any(row.approval > median and row.small_author for row in chosen):
        return None
    return median
