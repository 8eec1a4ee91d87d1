"""Spam defences driven by trust: how often a person may post and comment, how many links a post may
carry, and the same text twice in a short time refused; and the moderators' "remove as spam", which takes
the author's other recent posts with the one judged.

The figures are content's own, here. A new account (trust below the ``new`` tier's bound) may post a few
times an hour, comment a few times a minute and put a couple of links in a post; each tier of trust above
loosens the limits. The tiers are the platform's reading of identity's trust; communities reads it the
same way for the subwikis a person may start (one setting moves both, and
tests/integration/test_trust_assumptions.py keeps the defaults in step). The counting and the tiers'
mechanism are ``svclib.tiers`` over ``svclib.ratelimit`` (429 with ``Retry-After``).

Every figure can be set from the environment::

    SPAM_DEFENCES                           on (the default), or off: no limit here applies (test suites
                                            and benchmarks writing fast through a few accounts)
    TRUST_TIER_<TIER>_BELOW                 the trust a tier ends at (new 0.25, member 0.5, trusted: none)
    RATE_LIMIT_<ACTION>_<TIER>_LIMIT        e.g. RATE_LIMIT_POSTS_NEW_LIMIT=3 (actions: posts, comments)
    RATE_LIMIT_<ACTION>_<TIER>_WINDOW_SECONDS
    LINKS_PER_POST_<TIER>                   links in one post (its url and those in its text)
    DUPLICATE_WINDOW_SECONDS                the same text twice by one person within it is refused (0: never)

The person's trust is content's own copy, kept from identity's ``user_trust_changed`` (``replicas``):
no question to identity on a write.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

from sqlalchemy import select

from content import events
from content.exceptions import Duplicate, Forbidden, Invalid
from content.handlers import access
from content.handlers.access import MembershipLookup
from content.handlers.replicas import trust_of
from content.models import RATE_LIMITS, Comment, Post
from svclib import settings
from svclib.db import Transaction, utcnow
from svclib.tiers import TieredLimit, Tiers, switched_on

SWITCH = "SPAM_DEFENCES"
TRUST_TIERS = Tiers("TRUST_TIER", (("new", 0.25), ("member", 0.5), ("trusted", math.inf)))
POSTS = TieredLimit(
    "posts",
    TRUST_TIERS,
    3600,
    {"new": 5, "member": 20, "trusted": 60},
    "You have posted a lot this hour; try again later.",
    SWITCH,
)
COMMENTS = TieredLimit(
    "comments",
    TRUST_TIERS,
    60,
    {"new": 3, "member": 10, "trusted": 30},
    "You are commenting fast; take a breath.",
    SWITCH,
)
LINKS_PER_POST = {"new": 2, "member": 10, "trusted": 50}
DUPLICATE_WINDOW_SECONDS = 600

LINK = re.compile(r"https?://", re.IGNORECASE)


def count_links(*texts: str | None) -> int:
    """Links in a post: each http(s) address in its url, title and text."""
    return sum(len(LINK.findall(text)) for text in texts if text)


def _check_links(trust: float, *texts: str | None) -> None:
    """Refuse a post carrying more links than its author's trust allows (400)."""
    if not switched_on(SWITCH):
        return
    most, found = TRUST_TIERS.figure("LINKS_PER_POST", trust, LINKS_PER_POST), count_links(*texts)
    if found > most:
        raise Invalid(
            f"Until the community trusts you more, a post carries at most {most} links; yours has {found}.",
            fields={"body": [f"Use at most {most} links."]},
        )


def _duplicate_window_seconds() -> int:
    """How long the same text by one person is refused; 0 when never."""
    if not switched_on(SWITCH):
        return 0
    return settings.env_int("DUPLICATE_WINDOW_SECONDS", DUPLICATE_WINDOW_SECONDS)


def _written_lately(tx: Transaction, model, user_id: str, *alike) -> str | None:
    """The id of a post or comment (``model``) like this one (``alike``) that the person wrote within the
    repeat window, if any; None when repeats are allowed."""
    window = _duplicate_window_seconds()
    if window <= 0:
        return None
    recent = model.created_at >= utcnow() - timedelta(seconds=window)
    return tx.session.scalar(select(model.id).where(model.author_id == user_id, recent, *alike).limit(1))


def check_post(tx: Transaction, user_id: str, kind: str, title: str, body: str, url: str | None) -> None:
    """Refuse a post with more links than the author's trust allows (400), the same post again (409
    ``duplicate``), or one beyond the author's posts this hour (429 with ``retry_after``)."""
    trust = trust_of(tx, user_id)
    _check_links(trust, url, title, body)
    same = _written_lately(
        tx,
        Post,
        user_id,
        Post.removed_at.is_(None),
        Post.kind == kind,
        Post.title == title,
        Post.body == body,
        Post.url.is_(None) if url is None else Post.url == url,
    )
    if same is not None:
        raise Duplicate("You posted this a moment ago.", post_id=same)
    POSTS.hit(tx, RATE_LIMITS, trust, user_id)


def check_comment(tx: Transaction, user_id: str, body: str) -> None:
    """Refuse the same comment again (409 ``duplicate``) or one beyond the author's comments this minute (429)."""
    same = _written_lately(tx, Comment, user_id, Comment.deleted_at.is_(None), Comment.body == body)
    if same is not None:
        raise Duplicate("You wrote this comment a moment ago.", comment_id=same)
    COMMENTS.hit(tx, RATE_LIMITS, trust_of(tx, user_id), user_id)


# How far back "remove as spam" takes an author's other posts with the one judged.
SPAM_SWEEP = timedelta(days=7)


def remove_as_spam(tx: Transaction, lookup: MembershipLookup, user_id: str, post_id: str) -> dict:
    """A moderator removes a post as spam: its author's other posts of the last ``SPAM_SWEEP`` in the subwikis
    this moderator moderates go with it, each out of every feed at once (``post_removed``), and ``spam_removed``
    tells identity, which lowers the author's trust by its rules (as an upheld report)."""
    post = access.post(tx, post_id, for_update=True)
    if not access.is_moderator(tx, lookup, post.subwiki_id, user_id):
        raise Forbidden("Only this subwiki's moderators remove posts as spam.")
    if post.author_id is None or post.author_id == user_id:
        raise Forbidden("Remove as spam a post by someone else.")
    author_id, now = post.author_id, utcnow()
    others = tx.session.scalars(
        select(Post)
        .where(
            Post.author_id == author_id,
            Post.id != post.id,
            Post.removed_at.is_(None),
            Post.created_at >= now - SPAM_SWEEP,
        )
        .order_by(Post.id)
        .with_for_update()
    ).all()
    taken = [post] if post.removed_at is None else []
    moderates = {post.subwiki_id: True}
    for subwiki_id in {other.subwiki_id for other in others} - set(moderates):
        moderates[subwiki_id] = access.is_moderator(tx, lookup, subwiki_id, user_id)
    taken += [other for other in others if moderates[other.subwiki_id]]
    for removed in taken:
        removed.removed_at, removed.removed_by = now, user_id
        tx.emit(events.PostRemoved.of(removed, removed_by=user_id, by_moderator=True, reason="Removed as spam."))
    removed_ids = sorted(removed.id for removed in taken)
    tx.emit(
        events.SpamRemoved(
            post_id=post.id,
            subwiki_id=post.subwiki_id,
            author_id=author_id,
            removed_by=user_id,
            removed_post_ids=removed_ids,
        )
    )
    return {"post_id": post.id, "author_id": author_id, "removed_post_ids": removed_ids}
