"""Snapshots as PostgreSQL writes them (``pg_current_snapshot``) and which transactions they saw end."""

from __future__ import annotations

import pytest

from svclib.snapshots import Snapshot


def test_a_snapshot_saw_every_transaction_below_its_xmin_and_those_between_that_were_not_running():
    snapshot = Snapshot.parse("100:105:101,103")
    assert snapshot == Snapshot(100, 105, frozenset({101, 103}))
    assert [x for x in range(95, 110) if snapshot.saw(x)] == [95, 96, 97, 98, 99, 100, 102, 104]
    assert Snapshot.parse("7:7:").saw(6) and not Snapshot.parse("7:7:").saw(7)


@pytest.mark.parametrize("written", [None, "", "1:2", "a:b:", "1:2:x", 12, "1:2:3:4"])
def test_anything_else_is_no_snapshot(written):
    assert Snapshot.parse(written) is None
