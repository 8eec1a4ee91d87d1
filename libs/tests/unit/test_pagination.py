"""One set of paging rules: sizes, cursors, pages of facts."""

import base64
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


@pytest.mark.parametrize(
    ("key", "types"),
    [
        ("[1e400]", (int,)),  # infinity: int() of it overflows
        ("[1e400]", (float,)),
        (f"[{2**64}]", (int,)),  # beyond the 64 bits a key column holds
        ("[1.5]", (int,)),
        ('["7"]', (int,)),
        ("[true]", (int,)),
        ('[null, "a"]', (datetime, str)),
        ('["not a time", "a"]', (datetime, str)),
        ('["2026-12-01T10:00:00+00:00", 7]', (datetime, str)),
        ("[[1]]", (int,)),
        ('[{"a": 1}]', (float,)),
    ],
)
def test_an_absurd_key_in_a_cursor_is_invalid(key, types):
    cursor = base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")
    with pytest.raises(Invalid):
        pagination.decode(cursor, types)


@pytest.mark.parametrize("value", ["5", None, 1.5, True, 10**30 + 0.5])
def test_a_facts_limit_that_is_not_a_number_is_invalid(value):
    with pytest.raises(Invalid):
        pagination.facts_limit(value)


@pytest.mark.parametrize("value", [7, ["k"], {"k": 1}, "k" * 501])
def test_a_facts_key_that_no_page_handed_out_is_invalid(value):
    with pytest.raises(Invalid):
        pagination.facts_after(value)
    assert pagination.facts_after(None) is None and pagination.facts_after("p1:u2") == "p1:u2"
