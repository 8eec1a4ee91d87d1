"""Times as the services store and send them: aware, in UTC, written in ISO 8601 with a ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC)


# The zones that are UTC itself, as the database's driver and the services' clocks give them (ZoneInfo keeps one
# object a key: these are the driver's own).
_ZONE_UTC, _ETC_UTC = ZoneInfo("UTC"), ZoneInfo("Etc/UTC")


def isoformat(value: datetime | None) -> str | None:
    """``value`` in UTC as ISO 8601 text ending in "Z" (a naive time is taken to be in UTC). A time in a zone that
    is UTC itself (as the database and the clocks give them) is written without asking its zone its offset;
    another is moved to UTC by subtracting its offset (``astimezone(UTC)`` without the zone lookup): feed pages
    write 25 a page."""
    if value is None:
        return None
    zone = value.tzinfo
    if zone is not None:
        if zone is UTC or zone is _ETC_UTC or zone is _ZONE_UTC:  # by identity: any tzinfo may be given
            return value.replace(tzinfo=None).isoformat() + "Z"
        offset = value.utcoffset()
        if offset is not None:
            value = (value - offset).replace(tzinfo=None)
    return value.isoformat() + "Z"


def parse_time(value: str) -> datetime:
    """A time written by ``isoformat`` (or any ISO 8601 time with an offset), aware, in UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
