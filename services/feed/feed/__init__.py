"""The feed service: the quality-ranked feeds, built from events."""
