"""How much the platform trusts a person, from 0.1 (new or sanctioned) to 1.0.

Trust weighs votes in the feed and decides whose wiki edits apply at once.
It grows with time on the platform, with edits that the community kept and
with up-votes from people who are themselves trusted; it falls with edits
that were reverted and with reports against the person that moderators
upheld. It never comes from money: donations change nothing here.

    trust = clamp(FLOOR + AGE * age + EDITS * edits + VOTES * votes - REPORT_PENALTY * upheld, FLOOR, 1)

    age   = min(1, days since registration / AGE_FULL_DAYS)
    edits = stood / (stood + reverted + EDIT_PRIOR)      (a few edits count little; reverts pull down)
    votes = min(1, sum of up-voters' trust / UPVOTES_FULL)
"""

from __future__ import annotations

from dataclasses import dataclass

# The trust of a new account, and its floor: every account starts at it and never goes below it. Identity's
# figure: content, communities and the feed assume it for a person whose trust they have not yet heard
# (their consumes.py, checked against this one by tests/integration/test_trust_assumptions.py).
NEW_ACCOUNT_TRUST = 0.1


@dataclass(frozen=True)
class TrustConstants:
    FLOOR: float = NEW_ACCOUNT_TRUST
    AGE: float = 0.2
    AGE_FULL_DAYS: float = 30.0
    EDITS: float = 0.35
    EDIT_PRIOR: float = 3.0
    VOTES: float = 0.35
    UPVOTES_FULL: float = 20.0
    REPORT_PENALTY: float = 0.15


CONSTANTS = TrustConstants()

# How far trust moves before the other services are told (``user_trust_changed``). Each change told reweighs every
# vote the person cast, in the feed (their posts' quality, in content too): an up-vote moves its author's trust by
# 0.0175 times the voter's, so told at each move a vote cost the stack 2.2 times the CPU it costs with this step
# (bench/README.md, 2026-12-07). The feed weighs a vote by the square of its voter's trust as told, within this
# step of identity's own; a report upheld (0.15) is told at once, and so is trust reaching the floor or 1.0.
TOLD_STEP = 0.02


def trust(
    age_days: float,
    edits_stood: int,
    edits_reverted: int,
    upvote_weight: float,
    upheld_reports: int,
    c: TrustConstants = CONSTANTS,
) -> float:
    age = min(1.0, max(0.0, age_days) / c.AGE_FULL_DAYS)
    edits = max(0, edits_stood) / (max(0, edits_stood) + max(0, edits_reverted) + c.EDIT_PRIOR)
    votes = min(1.0, max(0.0, upvote_weight) / c.UPVOTES_FULL)
    value = c.FLOOR + c.AGE * age + c.EDITS * edits + c.VOTES * votes - c.REPORT_PENALTY * max(0, upheld_reports)
    return round(min(1.0, max(c.FLOOR, value)), 4)
