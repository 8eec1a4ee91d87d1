"""Limits chosen by the tier of a score (svclib.tiers): the tier, its figures and the switch, from the environment."""

from __future__ import annotations

import math

from svclib.ratelimit import RateLimit
from svclib.tiers import TieredLimit, Tiers, switched_on

LEVELS = Tiers("LEVEL", (("low", 10.0), ("mid", 20.0), ("high", math.inf)))
WRITES = TieredLimit("writes", LEVELS, 60, {"low": 3, "mid": 10, "high": 30}, "Slow down.", switch="DEFENCES")


def test_a_score_falls_in_the_first_tier_it_is_below():
    assert [LEVELS.of(score) for score in (0, 9.99, 10, 19.99, 20, 1e9)] == ["low", "low", "mid", "mid", "high", "high"]


def test_a_tiers_bound_is_set_from_the_environment(monkeypatch):
    monkeypatch.setenv("LEVEL_LOW_BELOW", "12")
    assert LEVELS.of(11) == "low"
    assert LEVELS.of(12) == "mid"


def test_a_figure_by_tier_has_a_default_and_a_setting(monkeypatch):
    defaults = {"low": 2, "mid": 5, "high": 50}
    assert LEVELS.figure("LINKS", 15, defaults) == 5
    monkeypatch.setenv("LINKS_MID", "7")
    assert LEVELS.figure("LINKS", 15, defaults) == 7
    assert LEVELS.figure("LINKS", 25, defaults) == 50


def test_each_tier_counts_under_a_name_of_its_own_with_its_own_settings(monkeypatch):
    assert WRITES.limit(5) == RateLimit("writes_low", 3, 60, "Slow down.")
    assert WRITES.limit(25) == RateLimit("writes_high", 30, 60, "Slow down.")
    monkeypatch.setenv("RATE_LIMIT_WRITES_LOW_LIMIT", "1")
    monkeypatch.setenv("RATE_LIMIT_WRITES_LOW_WINDOW_SECONDS", "5")
    assert WRITES.limit(5) == RateLimit("writes_low", 1, 5, "Slow down.")


def test_the_switch_turns_its_limits_off(monkeypatch):
    monkeypatch.setenv("DEFENCES", "off")
    assert not switched_on("DEFENCES")
    assert WRITES.limit(5) is None
    WRITES.hit(None, None, 5, "someone")  # nothing counted, nothing asked of the database
    monkeypatch.setenv("DEFENCES", "on")
    assert WRITES.limit(5) is not None
    assert switched_on(None)
