"""Events the feed publishes: one declared type each (svclib.contracts), emitted through it."""

from __future__ import annotations

from dataclasses import dataclass

from svclib.contracts import Event


class PostQualityChanged(Event, event_type="post_quality_changed", entity="post"):
    """The feed's quality of a post changed (docs/RANKING.md: trust-weighted approval, discussion, edits
    that stood, less upheld reports); search blends it into relevance. ``version`` is the post's, higher
    for a newer value (it grows across rebuilds of the read model too)."""

    id: str
    quality: float
    version: int


@dataclass
class PostQuality:
    """One post's new quality, with its version (as ``post_quality_changed`` carries them)."""

    id: str
    quality: float
    version: int


class PostQualitiesChanged(Event, event_type="post_qualities_changed", entity="qualities"):
    """The feed's quality of several posts changed in one transaction: a trust change rescores every post its
    person voted on, a rebuild every post. What ``post_quality_changed`` says of each, in one message (at most
    ``QUALITIES_PER_EVENT`` posts, in the order of their ids): each post's ``version`` orders its values as
    there, whichever event carried them."""

    posts: list[PostQuality]
