"""``python -m feed.rebuild``: rebuild the feed's read model from the source services.

It pages through content's, communities' and identity's RPC APIs (nothing reads
their tables), replaces every table of the read model in one transaction and
scores every post, giving the feeds the events would have built. Run it after
restoring a backup, after changing how the read model is kept, or to check it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from datetime import datetime

from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import delete, func, select

from feed import handlers, ranking
from feed.cache import changed
from feed.models import (
    FeedAuthor,
    FeedComment,
    FeedEdit,
    FeedFollow,
    FeedMembership,
    FeedPerson,
    FeedPost,
    FeedSubwiki,
    FeedTrust,
    FeedVote,
)
from svclib import settings
from svclib.db import StandaloneDatabase, Transaction, utcnow
from svclib.migrations import migrations_dir

READ_MODEL = (
    FeedVote,
    FeedComment,
    FeedEdit,
    FeedMembership,
    FeedFollow,
    FeedTrust,
    FeedAuthor,
    FeedPost,
    FeedPerson,
    FeedSubwiki,
)


def pages(fetch: Callable[..., dict], page_size: int = 500) -> Iterator[dict]:
    after = None
    while True:
        page = fetch(after=after, limit=page_size)
        yield from page["items"]
        after = page["next"]
        if after is None:
            return


def rebuild(tx: Transaction, rpc, now: datetime | None = None) -> dict:
    """Replace the read model with one built from the source services; returns what was loaded."""
    now = now or utcnow()
    for model in READ_MODEL:
        tx.session.execute(delete(model))
    counts: dict[str, int] = {}

    def count(name: str) -> None:
        counts[name] = counts.get(name, 0) + 1

    trust = {}
    for user in pages(rpc.identity.list_trust):
        trust[user["id"]] = user["trust"]
        tx.session.add(FeedTrust(user_id=user["id"], trust=user["trust"]))
        handlers.person_changed(tx, user)
        count("people")
    for subwiki in pages(rpc.communities.list_subwiki_names):
        handlers.subwiki_named(tx, subwiki)
        count("subwikis")
    for follow in pages(rpc.identity.list_follows):
        tx.session.add(FeedFollow(follower_id=follow["follower_id"], followee_id=follow["followee_id"]))
        count("follows")
    for membership in pages(rpc.communities.list_memberships):
        tx.session.add(FeedMembership(user_id=membership["user_id"], subwiki_id=membership["subwiki_id"]))
        count("memberships")
    tx.session.flush()

    def facts(kind: str) -> Iterator[dict]:
        return pages(lambda after, limit: rpc.content.list_facts(kind, after=after, limit=limit))

    for post in facts("posts"):
        handlers.post_created(tx, post, now)
        if post["removed"]:
            handlers.post_removed(tx, post)
        count("posts")
    tx.session.flush()
    posts = {row.id: row for row in tx.session.scalars(select(FeedPost)).all()}
    for vote in facts("votes"):
        post = posts.get(vote["target_id"])
        if post is None:
            continue
        weight = ranking.vote_weight(trust.get(vote["voter_id"], 0.1))
        tx.session.add(FeedVote(post_id=post.id, voter_id=vote["voter_id"], value=vote["value"], weight=weight))
        if vote["value"] > 0:
            post.up_weight += weight
            post.up_count += 1
        else:
            post.down_weight += weight
            post.down_count += 1
        count("votes")
    for comment in facts("comments"):
        post = posts.get(comment["post_id"])
        if post is None:
            continue
        substantive = comment["length"] >= ranking.CONFIG.SUBSTANTIVE_LENGTH and comment["author_id"] != post.author_id
        tx.session.add(
            FeedComment(
                id=comment["id"],
                post_id=post.id,
                author_id=comment["author_id"],
                substantive=substantive,
                visible=not comment["removed"],
            )
        )
        if not comment["removed"]:
            post.comment_count += 1
        count("comments")
    for edit in facts("edits"):
        if edit["post_id"] in posts:
            tx.session.add(FeedEdit(post_id=edit["post_id"], editor_id=edit["editor_id"], standing=edit["standing"]))
            count("edits")
    for report in facts("upheld_reports"):
        post = posts.get(report["post_id"])
        if post is not None:
            post.penalty = ranking.CONFIG.PENALTY_PER_UPHELD_REPORT * report["count"]
    tx.session.flush()
    commenters = dict(
        tx.session.execute(
            select(FeedComment.post_id, func.count(func.distinct(FeedComment.author_id)))
            .where(FeedComment.substantive.is_(True), FeedComment.visible.is_(True))
            .group_by(FeedComment.post_id)
        ).all()
    )
    editors = dict(
        tx.session.execute(
            select(FeedEdit.post_id, func.count()).where(FeedEdit.standing > 0).group_by(FeedEdit.post_id)
        ).all()
    )
    for post in posts.values():
        post.commenters = commenters.get(post.id, 0)
        post.editors = editors.get(post.id, 0)
        handlers.rescore(post, now)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--amqp-uri", default=settings.amqp_uri())
    parser.add_argument("--database-url", default=settings.database_url("feed"))
    args = parser.parse_args(argv)
    database = StandaloneDatabase(FeedPost.metadata, args.database_url, migrations_dir("feed"))
    with ClusterRpcProxy({"AMQP_URI": args.amqp_uri}, timeout=60) as rpc, database.transaction() as tx:
        counts = rebuild(tx, rpc)
        changed(tx)
    print("rebuilt the feed:", ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
