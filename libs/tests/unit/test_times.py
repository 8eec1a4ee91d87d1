"""Times written as the services send them (svclib.times.isoformat): in UTC, ISO 8601, ending in "Z"."""

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest

from svclib.times import isoformat, parse_time


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (datetime(2026, 12, 6, 21, 4, 5, 6, tzinfo=UTC), "2026-12-06T21:04:05.000006Z"),
        (datetime(2026, 12, 6, 21, 4, 5, tzinfo=ZoneInfo("Etc/UTC")), "2026-12-06T21:04:05Z"),  # the driver's zone
        (datetime(2026, 12, 6, 21, 4, 5, tzinfo=ZoneInfo("UTC")), "2026-12-06T21:04:05Z"),
        (datetime(2026, 12, 6, 21, 4, 5, 7), "2026-12-06T21:04:05.000007Z"),  # naive: taken to be in UTC
        (datetime(2026, 12, 6, 1, 4, 5, tzinfo=timezone(timedelta(hours=2))), "2026-12-05T23:04:05Z"),
        (datetime(2026, 6, 2, 3, 4, 5, tzinfo=ZoneInfo("Europe/Paris")), "2026-06-02T01:04:05Z"),  # summer time
        (datetime(2026, 1, 2, tzinfo=timezone(timedelta(hours=-5, minutes=-30))), "2026-01-02T05:30:00Z"),
        (datetime(2026, 1, 2, tzinfo=timezone(timedelta(0))), "2026-01-02T00:00:00Z"),
        (None, None),
    ],
)
def test_a_time_is_written_in_utc_ending_in_z(value, written):
    assert isoformat(value) == written
    if value is not None:
        assert parse_time(written) == (value if value.tzinfo else value.replace(tzinfo=UTC))


class Unhashable(tzinfo):
    """A zone of another library: compared by value, so not hashable."""

    def utcoffset(self, _dt):
        return timedelta(hours=1)

    def __eq__(self, other):
        return isinstance(other, Unhashable)


def test_a_zone_of_any_kind_is_moved_to_utc():
    assert isoformat(datetime(2026, 12, 6, 12, 0, tzinfo=Unhashable())) == "2026-12-06T11:00:00Z"
