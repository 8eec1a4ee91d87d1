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

from collections.abc import Callable

from gateway.briefly import ABSENT, Briefly

SUMMARIES_EXCHANGE = ("communities.summaries", "fanout")


class SubwikiSummaries(Briefly):
    """``get_subwikis``' answers by slug (None for a subwiki that does not exist), kept briefly
    (``gateway.briefly``) while this process hears communities' exchange."""

    def __init__(self, ttl: float, max_entries: int = 5000):
        super().__init__(ttl, max_entries)
        self.listening = False

    def held(self, slugs: list[str]) -> dict | None:
        """``get_subwikis``' answer for ``slugs`` from what is kept (a subwiki that does not exist left out, as
        communities answers), or None unless every one of them is kept."""
        if not self.listening:
            return None
        answer = {}
        for slug in slugs:
            summary = self.get(slug.lower(), ABSENT)
            if summary is ABSENT:
                return None
            if summary is not None:
                answer[slug.lower()] = summary
        return answer

    def keeper(self, slugs: list[str]) -> Callable[[dict], None]:
        """What keeps communities' answer for ``slugs``, asked for now: nothing is kept if a change was told
        (or the connection to the exchange changed) before the answer is handed to it."""
        seen = self.drops()

        def keep(answer: dict) -> None:
            if self.listening:
                self.keep({slug.lower(): answer.get(slug.lower()) for slug in slugs}, seen)

        return keep

    def forget(self, message: dict) -> None:
        """Communities' message: drop the summaries of ``slugs`` (all of them for null)."""
        slugs = message.get("slugs")
        if slugs is None:
            self.drop(every=True)
        else:
            self.drop(str(slug).lower() for slug in slugs)

    def hearing(self, listening: bool) -> None:
        """This process's connection to the exchange is up (True) or lost (False): either way, what is kept
        may have changed unheard."""
        self.listening = listening
        self.drop(every=True)
