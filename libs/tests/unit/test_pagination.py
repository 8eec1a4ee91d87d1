"""One set of paging rules: sizes, cursors, pages of facts."""

from datetime import UTC, datetime

import pytest

from svclib import pagination
from svclib.exceptions import Invalid


def test_a_cursor_holds_its_key_and_comes_back_in_utc():
    when = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert pagination.decode(pagination.encode(when, 7), (datetime, int)) == (when, 7)
    assert pagination.unpack(pagination.pack({"k": [1.5, "p1"], "s": []})) == {"k": [1.5, "p1"], "s": []}


@pytest.mark.parametrize("cursor", ["not-base64!", pagination.pack({"a": 1}), pagination.pack([1, 2, 3])])
def test_a_foreign_cursor_is_invalid(cursor):
    with pytest.raises(Invalid):
        pagination.decode(cursor, (int,))


@pytest.mark.parametrize("value", [0, 101, True, "5"])
def test_page_sizes_for_people_are_checked(value):
    with pytest.raises(Invalid):
        pagination.limit(value)


def test_page_sizes_for_facts_are_clamped_and_next_is_the_last_key():
    assert [pagination.facts_limit(n) for n in (0, 5, 5000)] == [1, 5, 1000]
    assert pagination.facts_page(["a", "b"], ["k1", "k2"], 2) == {"items": ["a", "b"], "next": "k2"}
    assert pagination.facts_page(["a"], ["k1"], 2) == {"items": ["a"], "next": None}
    assert pagination.facts_page([], [], 2) == {"items": [], "next": None}
