"""The quality ranking of docs/RANKING.md, its constants in one block.

    approval = Wilson lower bound (z) of U / (U + D), U and D the weights of up- and down-votes
    quality  = approval + DISCUSSION * log1p(substantive commenters)
                        + IMPROVEMENT * min(EDITORS_CAP, editors whose edits stood) - penalties
    rank     = quality / (1 + age_hours / DECAY_HOURS) ** DECAY_POWER

A voter's weight is trust ** VOTE_WEIGHT_EXPONENT. Weighing by trust
itself would let twenty new accounts (0.1 each) count exactly as much as two
established members (1.0 each); squaring keeps established members at full
weight and makes such a brigade count a tenth as much.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def wilson_lower_bound(positive: float, total: float, z: float) -> float:
    """The lower bound of the Wilson score interval for ``positive / total``: 0 with no votes.

    A post with 9 of 10 up-votes beats one with 100 of 200; a handful of votes moves little.
    """
    if total <= 0:
        return 0.0
    phat = positive / total
    z2 = z * z
    return (phat + z2 / (2 * total) - z * math.sqrt((phat * (1 - phat) + z2 / (4 * total)) / total)) / (1 + z2 / total)


@dataclass(frozen=True)
class RankingConfig:
    Z: float = 1.96
    VOTE_WEIGHT_EXPONENT: float = 2.0
    DISCUSSION: float = 0.15
    SUBSTANTIVE_LENGTH: int = 80
    IMPROVEMENT: float = 0.05
    EDITORS_CAP: int = 3
    PENALTY_PER_UPHELD_REPORT: float = 0.3
    DECAY_HOURS: float = 24.0
    DECAY_POWER: float = 0.8
    PER_AUTHOR: int = 2
    PER_SUBWIKI_HOME: int = 5
    NEW_CREATOR_POSTS: int = 10
    REFRESH_MAX_CHANGE: float = 0.01
    REFRESH_MIN_MINUTES: float = 10.0
    REFRESH_WINDOW_DAYS: float = 30.0


CONFIG = RankingConfig()


def vote_weight(trust: float, c: RankingConfig = CONFIG) -> float:
    return max(0.0, min(1.0, trust)) ** c.VOTE_WEIGHT_EXPONENT


def approval(up_weight: float, down_weight: float, c: RankingConfig = CONFIG) -> float:
    return wilson_lower_bound(up_weight, up_weight + down_weight, c.Z)


def discussion(commenters: int, c: RankingConfig = CONFIG) -> float:
    return c.DISCUSSION * math.log1p(commenters)


def improvement(editors: int, c: RankingConfig = CONFIG) -> float:
    return c.IMPROVEMENT * min(c.EDITORS_CAP, editors)


def penalty(upheld_reports: int, c: RankingConfig = CONFIG) -> float:
    return c.PENALTY_PER_UPHELD_REPORT * upheld_reports


def substantive(length: int, commenter_id: str, author_id: str, c: RankingConfig = CONFIG) -> bool:
    """A comment counts towards discussion when it is long enough and not the author's own."""
    return length >= c.SUBSTANTIVE_LENGTH and commenter_id != author_id


def quality(
    up_weight: float, down_weight: float, commenters: int, editors: int, penalty: float, c: RankingConfig = CONFIG
) -> float:
    return approval(up_weight, down_weight, c) + discussion(commenters, c) + improvement(editors, c) - penalty


def decay(age_hours: float, c: RankingConfig = CONFIG) -> float:
    return (1 + max(0.0, age_hours) / c.DECAY_HOURS) ** c.DECAY_POWER


def rank(quality_value: float, age_hours: float, c: RankingConfig = CONFIG) -> float:
    return quality_value / decay(age_hours, c)


def refresh_after_hours(age_hours: float, c: RankingConfig = CONFIG) -> float:
    """How long a rank stays within REFRESH_MAX_CHANGE of its true value as the post ages.

    d(log decay)/dh = DECAY_POWER / (DECAY_HOURS + h), so a rank computed at age h drifts by
    about REFRESH_MAX_CHANGE after REFRESH_MAX_CHANGE * (DECAY_HOURS + h) / DECAY_POWER hours:
    18 minutes for a new post, 9 hours for a month-old one. Old posts are rescored rarely.
    """
    drift = c.REFRESH_MAX_CHANGE * (c.DECAY_HOURS + max(0.0, age_hours)) / c.DECAY_POWER
    return max(c.REFRESH_MIN_MINUTES / 60, drift)


REASONS = (
    "up_weight",
    "down_weight",
    "approval",
    "substantive_commenters",
    "discussion",
    "editors_that_stood",
    "improvement",
    "penalties",
    "quality",
    "age_hours",
    "decay",
)


def reasons(post, age_hours: float, c: RankingConfig = CONFIG) -> list[dict]:
    """Every factor of a post's score, from the facts and scores stored with it (``post`` has the
    read model's columns), so that anyone can see why an item is where it is: ``REASONS`` in order, each value
    rounded to 6 places, as a float (never -0.0).

    A feed's page writes 25 of these: written out factor by factor, they cost a page a third less than a loop
    over the factors did (``_reasons``; ``tests/unit/test_ranking.py`` holds them to it). The factors that
    depend on a count alone (commenters and their discussion, editors and their improvement) and a weight or
    penalty of zero are the same for many posts: made once (``_BY_COUNT``, ``_NONE``) and shared by every
    entry that shows them, so never changed in place (an answer is only written out, as every kept one is)."""
    if c is not CONFIG:
        return _reasons(post, age_hours, c)
    commenters, editors = post.commenters, post.editors
    up, down, penalty = post.up_weight, post.down_weight, post.penalty
    discussed, improved = _factors_of(commenters), _factors_of(editors)
    return [
        {"factor": "up_weight", "value": round(up, 6) + 0.0} if up else _NONE["up_weight"],
        {"factor": "down_weight", "value": round(down, 6) + 0.0} if down else _NONE["down_weight"],
        {"factor": "approval", "value": round(post.approval, 6) + 0.0},
        discussed[0],
        discussed[1],
        improved[2],
        improved[3],
        {"factor": "penalties", "value": round(-penalty, 6) + 0.0} if penalty else _NONE["penalties"],
        {"factor": "quality", "value": round(post.quality, 6) + 0.0},
        {"factor": "age_hours", "value": round(age_hours, 6) + 0.0},
        {"factor": "decay", "value": round(decay(age_hours), 6) + 0.0},
    ]


def _reasons(post, age_hours: float, c: RankingConfig) -> list[dict]:
    """``reasons`` factor by factor in a loop, for any configuration."""
    commenters, editors = post.commenters, post.editors
    values = (
        post.up_weight,
        post.down_weight,
        post.approval,
        commenters,
        discussion(commenters, c),
        editors,
        improvement(editors, c),
        -post.penalty,
        post.quality,
        age_hours,
        decay(age_hours, c),
    )
    # round() of an int is that int and of a float that float, rounded: + 0.0 makes each a float, never -0.0.
    return [{"factor": name, "value": round(value, 6) + 0.0} for name, value in zip(REASONS, values, strict=True)]


COUNTS_WORKED_OUT = 256  # counts of commenters and editors whose factors are made once


def _count_factors(count: int) -> tuple[dict, dict, dict, dict]:
    """A count's factors as commenters (the count, its discussion) and as editors (the count, its improvement)."""
    counted = round(count, 6) + 0.0
    return (
        {"factor": "substantive_commenters", "value": counted},
        {"factor": "discussion", "value": round(discussion(count), 6) + 0.0},
        {"factor": "editors_that_stood", "value": counted},
        {"factor": "improvement", "value": round(improvement(count), 6) + 0.0},
    )


_BY_COUNT = tuple(_count_factors(n) for n in range(COUNTS_WORKED_OUT))


def _factors_of(count: int) -> tuple[dict, dict, dict, dict]:
    """``_count_factors(count)``, made once for the first ``COUNTS_WORKED_OUT`` counts."""
    if type(count) is int and 0 <= count < COUNTS_WORKED_OUT:
        return _BY_COUNT[count]
    return _count_factors(count)


_NONE = {name: {"factor": name, "value": 0.0} for name in ("up_weight", "down_weight", "penalties")}
