"""Events the feed publishes: one declared type each (svclib.contracts), emitted through it."""

from __future__ import annotations

from svclib.contracts import Event


class PostQualityChanged(Event, event_type="post_quality_changed", entity="post"):
    """The feed's quality of a post changed (docs/RANKING.md: trust-weighted approval, discussion, edits
    that stood, less upheld reports); search blends it into relevance. ``version`` is the post's, higher
    for a newer value (it grows across rebuilds of the read model too)."""

    id: str
    quality: float
    version: int
