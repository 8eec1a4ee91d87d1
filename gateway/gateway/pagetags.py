"""Pages as this gateway process last answered them, with what they were read from, so that a page no change
touched since is answered without asking the service behind it: a client revalidating it gets ``304``.

A client that keeps a page (the site, an app) asks again with ``If-None-Match``. Two services answer pages with
the tags of what each was read from, and tell what their commits touched on a fanout exchange (``{"tags": [...]}``,
``{"tags": null}`` for any; the commits of a tenth of a second in one message, ``svclib.broadcasts``):

- the feed, its front page and home pages (``feed.kept``: the front page's window, a subwiki, a person's posts, a
  reader's own choices), on ``feed.pages``. These are held whole (body and tag, at most ``MAX_BYTES`` of bodies
  a process): a client keeping nothing is answered the held body (``gateway.routes.feed``), and a signed-in
  reader who mutes nobody, as the feed tells, every reader's page;
- content, a post with a page of its discussion (``content.kept``: the post, its discussion, its authors' names,
  the reader's memberships), on ``content.pages``; only its tag is held.

Each gateway process keeps, for the pages it answered, what it holds of the answer (its tag) and those tags; a
message drops the pages it names. While a page's entry stands, the service's answer is the same page: a request
naming its tag gets ``304`` at once.

As subwikis' summaries (``gateway.summaries``), nothing is kept while this process does not hear the exchanges
(everything is dropped when its connection comes back), an entry lasts a bound at most (``FEED_PAGE_TAGS_SECONDS``:
the feed keeps a page 10 s, the ages in its reasons move on, so a full answer gets a new tag that often;
``POST_PAGE_TAGS_SECONDS``), and an answer is not kept when a change that touches it was heard while it was asked
for, or within ``GRACE_SECONDS`` before: a service's processes drop their own kept answers when PostgreSQL tells
them of a commit, which may reach them a moment after the committing process's message reached the gateway, so
an answer asked for just after a message may still be the page from before it. The feed's pages say instead how
old they are (``age``: seconds since their read began, a kept page's too), which tells exactly which changes a
page may miss: those heard since its read began (``PageTags.keep``). On the week's front page, which the posts
and votes of a busy minute touch several times a second, the grace alone kept almost nothing.

On PostgreSQL they say more: the snapshot their read began with (``snapshot``), and the feed's messages name the
transactions they tell (``xacts``, ``svclib.broadcasts``). A change heard since the read began whose transactions
the snapshot saw is in the page (``svclib.snapshots``): the page is kept all the same, and a message of changes a
held page holds does not drop it. Under a busy minute's votes most of the front pages the feed answered were
read just after a change they hold, and heard of it only after: by time alone, most were refused or dropped.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Hashable, Iterable
from typing import Any

from gateway.metrics import HELD_PAGES
from svclib.kept import TagIndex
from svclib.snapshots import Snapshot

FEED_PAGES_EXCHANGE = ("feed.pages", "fanout")
POST_PAGES_EXCHANGE = ("content.pages", "fanout")
GRACE_SECONDS = 2.0
# Seconds taken off when a page read began, as its age tells, against the two processes' clocks' ticks.
AGE_MARGIN = 0.05
HEARD_SECONDS = 60.0  # changes remembered for answers still being asked for (an RPC's deadline is far shorter)
# Pages held at most, the least recently answered dropped first: a reader's home page is read from up to 150
# tags (each kept once, sys.intern), so this bounds a process's memory for them to some tens of megabytes.
MAX_ENTRIES = 5000
# Bytes of the bodies held at most (``keep``'s ``size``: the feed's pages are held whole, about 20 KB each),
# the least recently answered dropped first.
MAX_BYTES = 16 * 1024 * 1024

Tags = frozenset[str] | None  # None: read from everything, touched by any change
Xacts = tuple[int, ...] | None  # the transactions a message tells; None: not told


def holds(snapshot: Snapshot | None, xacts: Xacts) -> bool:
    """Whether a page read with ``snapshot`` holds the commits of ``xacts`` (every one of them seen)."""
    return snapshot is not None and bool(xacts) and all(snapshot.saw(xact) for xact in xacts)


class PageTags:
    """What this process holds of each page it answered (its tag; by the call's arguments) and what the page was
    read from."""

    def __init__(
        self,
        ttl: float,
        max_entries: int = MAX_ENTRIES,
        grace: float = GRACE_SECONDS,
        max_bytes: int = MAX_BYTES,
        name: str = "pages",
    ):
        self.ttl = ttl
        self.name = name  # the pages' kind in gateway_held_pages_total
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.grace = grace
        self.listening = False
        self.bytes = 0  # the sizes of the entries held
        self._entries: OrderedDict[Hashable, tuple[Any, Tags, float, int, Snapshot | None]] = OrderedDict()
        self._tags = TagIndex()
        self._heard: deque[tuple[float, Tags, Xacts]] = deque()  # (when, tags, xacts) of the changes heard lately
        self._heard_since = 0.0  # changes before this moment are forgotten: an answer asked before it is not kept
        self._lock = threading.Lock()

    def held(self, key: Hashable) -> Any:
        """What this process holds of the page it answered for ``key`` (its tag) when no change touched it since;
        else None (ask the service)."""
        if not self.listening:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[2] < time.monotonic():
                self._drop(key)
                return None
            return entry[0]

    def keep(
        self,
        key: Hashable,
        etag: Any,
        tags: Iterable[str] | None,
        asked: float,
        size: int = 0,
        age: float | None = None,
        snapshot: str | None = None,
    ) -> None:
        """Keep the page answered for ``key`` (its tag ``etag``, or what the route holds with it, ``size`` bytes
        of it counted against ``max_bytes``; read from ``tags``), asked for at ``asked``
        (``time.monotonic()`` before the call), unless a change that touches it was heard since ``asked`` less
        the grace, or this process was not hearing the exchange meanwhile.

        With the page's ``age`` as the service tells it (seconds since its read began, when it answered), the read
        began at ``asked - age`` at the earliest, and the page holds every change committed before then: only a
        change heard since (less ``AGE_MARGIN``) may be missing from it. Every change is heard after it commits, so
        none is missed, and a page read just after a change it holds is kept, where the grace would refuse it.
        With the ``snapshot`` its read began with (``svclib.snapshots``), a change heard since whose transactions it
        saw is in the page too: it is kept, and held past a message of changes it holds."""
        if self.ttl <= 0 or size > self.max_bytes:
            return
        if not self.listening:
            self.count("unheard", key)
            return
        read_from = None if tags is None else frozenset(sys.intern(tag) for tag in tags)
        seen = Snapshot.parse(snapshot)
        now = time.monotonic()
        since = asked - self.grace if age is None else asked - max(0.0, age) - AGE_MARGIN
        with self._lock:
            if not self.listening or self._heard_since > since:
                self.count("unheard", key)
                return
            for when, touched, xacts in reversed(self._heard):
                if when < since:
                    break
                if touched is None or read_from is None or not touched.isdisjoint(read_from):
                    if holds(seen, xacts):
                        continue  # committed before the read began: in the page
                    self.count("changed", key)
                    return
            self.count("kept", key)
            self._drop(key)
            self._entries[key] = (etag, read_from, now + self.ttl, size, seen)
            self.bytes += size
            self._tags.add(key, read_from)
            while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def count(self, outcome: str, key: Hashable = None) -> None:
        """One more ``outcome`` of these pages, for an entry kept under ``key`` (``gateway_held_pages_total``, by
        the key's first part: what was asked)."""
        entry = key[0] if isinstance(key, tuple) and key and isinstance(key[0], str) else "page"
        HELD_PAGES.labels(self.name, entry, outcome).inc()

    def forget(self, message: dict) -> None:
        """A service's message: drop the pages read from any of its ``tags`` (every page for null) but those read
        with a snapshot that saw every transaction it names (``xacts``): they hold its changes."""
        tags, xacts = message.get("tags"), _xacts(message.get("xacts"))
        touched = None if tags is None else frozenset(str(tag) for tag in tags)
        now = time.monotonic()
        with self._lock:
            self._heard.append((now, touched, xacts))
            while self._heard and self._heard[0][0] < now - HEARD_SECONDS:
                self._heard_since = self._heard.popleft()[0]
            if touched is None and xacts is None:
                self._clear()
                return
            for key in list(self._entries) if touched is None else self._tags.touched(touched):
                entry = self._entries.get(key)
                if entry is not None and not holds(entry[4], xacts):
                    self._drop(key)

    def hearing(self, listening: bool) -> None:
        """This process's connection to the exchange is up (True) or lost (False): either way, a change may
        have gone unheard, so nothing kept before stands and nothing asked for before is kept."""
        with self._lock:
            self.listening = listening
            self._heard.clear()
            self._heard_since = time.monotonic()
            self._clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _clear(self) -> None:
        self._entries.clear()
        self._tags.clear()
        self.bytes = 0

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._tags.discard(key, entry[1])
            self.bytes -= entry[3]


def _xacts(told: Any) -> Xacts:
    """The transactions a message names, or None when it names none (or anything else)."""
    if not isinstance(told, list) or not told:
        return None
    try:
        return tuple(int(xact) for xact in told)
    except (TypeError, ValueError):
        return None
