"""Communities' summaries of subwikis, kept by each gateway process while it hears what changes them.

Every post's page and most lists of posts show each post's subwiki: communities' summary (its name, summary
and counts), the same for every reader, and changed far less often than it is read. Communities tells every
commit that changed summaries on the ``communities.summaries`` fanout exchange (``svclib.broadcasts``:
``{"slugs": [...]}``, or ``{"slugs": null}`` for any); each gateway process drops the summaries a message
names when it arrives, as communities' own processes drop theirs when PostgreSQL tells them. A summary is
kept only while this process hears the exchange (everything is dropped when its connection comes back:
something may have changed meanwhile), for at most ``SUBWIKI_SUMMARY_SECONDS``, and never from an answer
asked for before a message arrived (it may predate the change the message tells).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

SUMMARIES_EXCHANGE = ("communities.summaries", "fanout")


class SubwikiSummaries:
    def __init__(self, ttl: float, max_entries: int = 5000):
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[dict | None, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._drops = 0
        self.listening = False

    def held(self, slugs: list[str]) -> dict | None:
        """``get_subwikis``' answer for ``slugs`` from what is kept (a subwiki that does not exist left out, as
        communities answers), or None unless every one of them is kept."""
        if not self.listening:
            return None
        now, answer = time.monotonic(), {}
        with self._lock:
            for slug in slugs:
                entry = self._entries.get(slug.lower())
                if entry is None or entry[1] < now:
                    return None
                if entry[0] is not None:
                    answer[slug.lower()] = entry[0]
        return answer

    def keeper(self, slugs: list[str]) -> Callable[[dict], None]:
        """What keeps communities' answer for ``slugs``, asked for now: nothing is kept if a change was told
        (or the connection to the exchange changed) before the answer is handed to it."""
        seen = self._drops

        def keep(answer: dict) -> None:
            if self.ttl <= 0:
                return
            expires = time.monotonic() + self.ttl
            with self._lock:
                if seen != self._drops or not self.listening:
                    return
                for slug in slugs:
                    self._entries[slug.lower()] = (answer.get(slug.lower()), expires)
                    self._entries.move_to_end(slug.lower())
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)

        return keep

    def forget(self, message: dict) -> None:
        """Communities' message: drop the summaries of ``slugs`` (all of them for null)."""
        slugs = message.get("slugs")
        with self._lock:
            self._drops += 1
            if slugs is None:
                self._entries.clear()
            else:
                for slug in slugs:
                    self._entries.pop(str(slug).lower(), None)

    def hearing(self, listening: bool) -> None:
        """This process's connection to the exchange is up (True) or lost (False): either way, what is kept
        may have changed unheard."""
        with self._lock:
            self._drops += 1
            self._entries.clear()
            self.listening = listening
