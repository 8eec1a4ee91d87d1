"""Scores shared by the services that show them."""

from __future__ import annotations

import math

Z = 1.96


def wilson_lower_bound(positive: float, total: float, z: float = Z) -> float:
    """The lower bound of the Wilson score interval for ``positive / total``: 0 with no votes.

    A post with 9 of 10 up-votes beats one with 100 of 200; a handful of votes moves little.
    """
    if total <= 0:
        return 0.0
    phat = positive / total
    z2 = z * z
    return (phat + z2 / (2 * total) - z * math.sqrt((phat * (1 - phat) + z2 / (4 * total)) / total)) / (1 + z2 / total)
