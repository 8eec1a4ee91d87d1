"""How much a person may write, by how much the platform trusts them: the one configuration of the
spam defences that content (posts, comments, links, repeats) and communities (subwikis) apply.

A new account (trust below ``TIERS[0]``'s bound) may post a few times an hour, comment a few times a
minute, put a couple of links in a post and start one subwiki a day; each tier of trust above loosens
the limits. Each limit counts in ``svclib.ratelimit`` (the platform's one mechanism, answered 429 with
``Retry-After``) under a name of its own per tier, so a person whose trust rises starts a fresh count.

Every figure can be set from the environment::

    SPAM_DEFENCES                           on (the default), or off: no limit here applies (test suites
                                            and benchmarks writing fast through a few accounts)
    TRUST_TIER_<TIER>_BELOW                 the trust a tier ends at (new 0.25, member 0.5, trusted: none)
    RATE_LIMIT_<ACTION>_<TIER>_LIMIT        e.g. RATE_LIMIT_POSTS_NEW_LIMIT=3
    RATE_LIMIT_<ACTION>_<TIER>_WINDOW_SECONDS
    LINKS_PER_POST_<TIER>                   links in one post (its url and those in its text)
    DUPLICATE_WINDOW_SECONDS                the same text twice by one person within it is refused (0: never)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from svclib import settings
from svclib.ratelimit import RateLimit

# The trust of a new account, and its floor: identity starts every account at it and never goes
# below it; a service that has not yet heard an account's trust assumes it. Written once, here.
NEW_ACCOUNT_TRUST = 0.1

# Tiers, from the least trusted: (name, trust it ends at).
TIERS: tuple[tuple[str, float], ...] = (("new", 0.25), ("member", 0.5), ("trusted", math.inf))

# action -> (window in seconds, {tier: most in a window}, the message of a refusal)
ACTIONS: dict[str, tuple[int, dict[str, int], str]] = {
    "posts": (3600, {"new": 5, "member": 20, "trusted": 60}, "You have posted a lot this hour; try again later."),
    "comments": (60, {"new": 3, "member": 10, "trusted": 30}, "You are commenting fast; take a breath."),
    "subwikis": (
        24 * 3600,
        {"new": 1, "member": 3, "trusted": 10},
        "You have created many subwikis today; try again later.",
    ),
}
LINKS_PER_POST: dict[str, int] = {"new": 2, "member": 10, "trusted": 50}
DUPLICATE_WINDOW_SECONDS = 600

LINK = re.compile(r"https?://", re.IGNORECASE)


def enabled() -> bool:
    return settings.env("SPAM_DEFENCES", "on").lower() != "off"


def tier(trust: float) -> str:
    """The name of the tier a person of this trust is in."""
    for name, default in TIERS:
        bound = math.inf if math.isinf(default) else float(settings.env(f"TRUST_TIER_{name.upper()}_BELOW", default))
        if trust < bound:
            return name
    return TIERS[-1][0]


def limit(action: str, trust: float) -> RateLimit | None:
    """The rate limit of ``action`` for a person of this trust; None when the defences are off."""
    if not enabled():
        return None
    window, most, message = ACTIONS[action]
    name = tier(trust)
    return RateLimit.from_env(f"{action}_{name}", most[name], window, message)


def hit(tx, table, action: str, trust: float, subject: str) -> None:
    """Count one ``action`` by ``subject`` against the limit of their trust (RateLimited beyond it)."""
    applied = limit(action, trust)
    if applied is not None:
        applied.hit(tx, table, subject)


def links_allowed(trust: float) -> int:
    name = tier(trust)
    return settings.env_int(f"LINKS_PER_POST_{name.upper()}", LINKS_PER_POST[name])


def count_links(*texts: str | None) -> int:
    """Links in a post: each http(s) address in its url, title and text."""
    return sum(len(LINK.findall(text)) for text in texts if text)


def duplicate_window_seconds() -> int:
    """How long the same text by one person is refused; 0 when never."""
    if not enabled():
        return 0
    return settings.env_int("DUPLICATE_WINDOW_SECONDS", DUPLICATE_WINDOW_SECONDS)


@dataclass(frozen=True)
class Refusal:
    """Why a write is refused, for the service to raise in its own error classes."""

    message: str
    fields: dict[str, list[str]]


def check_links(trust: float, *texts: str | None) -> Refusal | None:
    """None, or why a post carries too many links for its author's trust."""
    if not enabled():
        return None
    most, found = links_allowed(trust), count_links(*texts)
    if found <= most:
        return None
    return Refusal(
        f"Until the community trusts you more, a post carries at most {most} links; yours has {found}.",
        {"body": [f"Use at most {most} links."]},
    )
