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

from svclib.ranking import wilson_lower_bound


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


def quality(
    up_weight: float, down_weight: float, commenters: int, editors: int, penalty: float, c: RankingConfig = CONFIG
) -> float:
    return (
        approval(up_weight, down_weight, c)
        + c.DISCUSSION * math.log1p(commenters)
        + c.IMPROVEMENT * min(c.EDITORS_CAP, editors)
        - penalty
    )


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


def reasons(
    up_weight: float,
    down_weight: float,
    commenters: int,
    editors: int,
    penalty: float,
    age_hours: float,
    c: RankingConfig = CONFIG,
) -> list[dict]:
    """Every factor's value, so that anyone can see why an item is where it is."""
    a = approval(up_weight, down_weight, c)
    q = quality(up_weight, down_weight, commenters, editors, penalty, c)
    factors = [
        ("up_weight", up_weight),
        ("down_weight", down_weight),
        ("approval", a),
        ("substantive_commenters", commenters),
        ("discussion", c.DISCUSSION * math.log1p(commenters)),
        ("editors_that_stood", editors),
        ("improvement", c.IMPROVEMENT * min(c.EDITORS_CAP, editors)),
        ("penalties", -penalty),
        ("quality", q),
        ("age_hours", age_hours),
        ("decay", decay(age_hours, c)),
    ]
    return [{"factor": name, "value": round(float(value), 6)} for name, value in factors]
