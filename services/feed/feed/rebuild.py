"""``python -m feed.rebuild``: rebuild the feed's read model from the source services.

It pages through content's, communities', identity's and donations' RPC APIs (nothing reads
their tables), replaces every table of the read model in one transaction and
scores every post, giving the feeds the events would have built; each post whose quality is not the
one announced before is announced again (``post_quality_changed``). Run it after
restoring a backup, after changing how the read model is kept, or to check it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from datetime import datetime

from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import delete, select

from feed import handlers
from feed.kept import CHANNEL
from feed.models import READ_MODEL, FeedPost
from feed.notifications import models as notification_models
from feed.notifications.rebuild import Notes
from svclib import settings
from svclib.db import StandaloneDatabase, Transaction, utcnow
from svclib.migrations import migrations_dir


def pages(fetch: Callable[..., dict], page_size: int = 500) -> Iterator[dict]:
    after = None
    while True:
        page = fetch(after=after, limit=page_size)
        yield from page["items"]
        after = page["next"]
        if after is None:
            return


def rebuild(tx: Transaction, rpc, now: datetime | None = None) -> dict:
    """Replace the read model with one built from the source services; returns how many facts were read.

    Every fact is applied by the function that applies its event (feed.handlers): the rules of
    the ranking are written once, for the live feed and its rebuild alike.
    """
    now = now or utcnow()
    announced = {
        row.id: (row.quality, row.quality_version)
        for row in tx.session.execute(select(FeedPost.id, FeedPost.quality, FeedPost.quality_version))
    }
    for model in (*notification_models.READ_MODEL, *READ_MODEL):
        tx.session.execute(delete(model))
    counts: dict[str, int] = {}
    notes = Notes(now)

    def replay(name: str, items: Iterator[dict], apply: Callable[[dict], None]) -> None:
        counts.setdefault(name, 0)
        for fact in items:
            apply(fact)
            counts[name] += 1

    def facts(kind: str) -> Iterator[dict]:
        return pages(lambda after, limit: rpc.content.list_facts(kind, after=after, limit=limit))

    def person(user: dict) -> None:
        handlers.trust_changed(tx, user["id"], user["trust"], now, version=user.get("version"))
        handlers.person_changed(tx, user)
        notes.person(user)

    def post(fact: dict) -> None:
        handlers.post_created(tx, fact, now)
        if fact["removed"]:
            handlers.post_removed(tx, fact)
        notes.post(fact)

    def follow(fact: dict) -> None:
        handlers.follow_changed(tx, fact, True)
        notes.follow(fact)

    def comment(fact: dict) -> None:
        handlers.comment_changed(tx, fact, not fact["removed"], now)
        notes.comment(fact)

    replay("people", pages(rpc.identity.list_trust), person)
    replay("subwikis", pages(rpc.communities.list_subwiki_names), lambda s: handlers.subwiki_named(tx, s))
    replay("follows", pages(rpc.identity.list_follows), follow)
    replay("mutes", pages(rpc.identity.list_mutes), lambda m: handlers.mute_changed(tx, m, True))
    replay("blocks", pages(rpc.identity.list_blocks), lambda b: handlers.block_changed(tx, b, True))
    replay("memberships", pages(rpc.communities.list_memberships), lambda m: handlers.membership_changed(tx, m, True))
    replay("posts", facts("posts"), post)
    replay("votes", facts("votes"), lambda v: handlers.vote_changed(tx, v, now))
    replay("comments", facts("comments"), comment)
    replay("edits", facts("edits"), lambda e: handlers.edits_stood(tx, e, now))
    replay("upheld_reports", facts("upheld_reports"), lambda r: handlers.reports_upheld(tx, r, now))
    replay("revisions", facts("revisions"), notes.revision)
    replay("held_edits", facts("held_edits"), notes.held_edit)
    replay("held_posts", facts("held_posts"), notes.held_post)
    replay("resolved_reports", facts("resolved_reports"), notes.report)
    replay("gifts", pages(rpc.donations.list_gifts_to_creators), notes.gift)
    counts["notifications"] = notes.write(tx)
    counts["qualities_announced"] = handlers.announce_rebuilt(tx, announced)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--amqp-uri", default=settings.amqp_uri())
    parser.add_argument("--database-url", default=settings.database_url("feed"))
    args = parser.parse_args(argv)
    database = StandaloneDatabase(FeedPost.metadata, args.database_url, migrations_dir("feed"), changes_channel=CHANNEL)
    with ClusterRpcProxy({"AMQP_URI": args.amqp_uri}, timeout=60) as rpc, database.transaction() as tx:
        counts = rebuild(tx, rpc)
    print("rebuilt the feed:", ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
