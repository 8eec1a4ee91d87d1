"""Limits chosen by the tier of a numeric score, every figure read from the environment.

A service whose limits loosen as a score rises names its tiers (each with the score it ends at) and,
for each action, a window, the most allowed in a window in each tier and the message of a refusal.
This module finds the tier of a score and counts in ``svclib.ratelimit`` under a name per action and
tier (``<action>_<tier>``), so a subject whose score rises to the next tier starts a fresh count. It
knows no domain: the names, bounds, figures, messages and the switch are the service's::

    LEVELS = Tiers("LEVEL", (("low", 10.0), ("high", math.inf)))       # LEVEL_LOW_BELOW=12
    WRITES = TieredLimit("writes", LEVELS, 60, {"low": 3, "high": 30}, "Slow down.", switch="DEFENCES")
    WRITES.hit(tx, RATE_LIMITS, score, subject)   # RATE_LIMIT_WRITES_LOW_LIMIT, ..._LOW_WINDOW_SECONDS
    LEVELS.figure("LINKS", score, {"low": 2, "high": 50})                 # LINKS_LOW=5

A switch is the name of a setting that turns off every limit bound to it (``DEFENCES=off``; on unless
set so). Every setting is read when a limit is applied, so a test may change one between two calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from svclib import settings
from svclib.ratelimit import RateLimit


def switched_on(switch: str | None) -> bool:
    """Whether the setting named ``switch`` leaves its limits on (no switch: always)."""
    return switch is None or settings.env(switch, "on").lower() != "off"


@dataclass(frozen=True)
class Tiers:
    """Named tiers of a score, from the lowest: ``(name, the score it ends at)``, the last ending at infinity.
    A bound is set by ``<SETTING>_<NAME>_BELOW``."""

    setting: str
    bounds: tuple[tuple[str, float], ...]

    def of(self, score: float) -> str:
        """The name of the tier this score is in."""
        for name, default in self.bounds:
            if math.isinf(default):
                return name
            if score < float(settings.env(f"{self.setting}_{name.upper()}_BELOW", default)):
                return name
        return self.bounds[-1][0]

    def figure(self, setting: str, score: float, defaults: dict[str, int]) -> int:
        """A whole number that depends on the tier of ``score``: ``<SETTING>_<TIER>``, or its default."""
        name = self.of(score)
        return settings.env_int(f"{setting}_{name.upper()}", defaults[name])


@dataclass(frozen=True)
class TieredLimit:
    """At most ``most[tier]`` hits of ``action`` per subject in each window of ``window_seconds``."""

    action: str
    tiers: Tiers
    window_seconds: int
    most: dict[str, int]
    message: str
    switch: str | None = None

    def limit(self, score: float) -> RateLimit | None:
        """The rate limit of a subject of this score; None when the switch is off."""
        if not switched_on(self.switch):
            return None
        name = self.tiers.of(score)
        return RateLimit.from_env(f"{self.action}_{name}", self.most[name], self.window_seconds, self.message)

    def hit(self, tx, table, score: float, subject: str) -> None:
        """Count one hit by ``subject`` against the limit of their score (RateLimited beyond it)."""
        applied = self.limit(score)
        if applied is not None:
            applied.hit(tx, table, subject)
