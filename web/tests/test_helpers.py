"""View helpers: plain-words reasons, times, amounts, domains, diffs, safe redirects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale

from web import helpers
from web.app import create_app
from web.helpers import age, age_moves_on


@pytest.fixture(autouse=True)
def context():
    app = create_app({"GATEWAY": object(), "SECRET_KEY": "test"})
    with app.test_request_context():
        yield


def test_reasons_in_plain_words():
    reasons = [
        {"factor": "up_weight", "value": 1.2},
        {"factor": "substantive_commenters", "value": 3},
        {"factor": "editors_that_stood", "value": 1},
        {"factor": "penalties", "value": -0.3},
        {"factor": "age_hours", "value": 50},
        {"factor": "new_creator_slot", "value": 1},
    ]
    words = helpers.reasons_in_words(reasons, {"score": {"up": 12}})
    assert words == [
        "approved by 12 members",
        "3 people discussed it",
        "improved by 1 editor",
        "reported and upheld",
        "new creator",
    ]
    assert helpers.reasons_in_words([], None) == ["new here"]


def test_reasons_in_french():
    with force_locale("fr"):
        words = helpers.reasons_in_words([{"factor": "substantive_commenters", "value": 3}], None)
    assert words == ["3 personnes en ont discuté"]


def test_time_ago():
    now = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
    assert helpers.time_ago("2026-01-02T11:59:30Z", now) == "just now"
    assert helpers.time_ago("2026-01-02T11:00:00+00:00", now) == "1 hour ago"
    assert helpers.time_ago("2025-12-30T12:00:00Z", now) == "3 days ago"
    assert helpers.time_ago(None, now) == ""
    assert helpers.time_ago("yesterday", now) == ""


def test_money_and_percent():
    assert helpers.money(123456, "EUR") == "1,234.56 EUR"
    with force_locale("fr"):
        assert helpers.money(1250, "EUR").replace("\u202f", " ") == "12,50 EUR"
    assert helpers.percent(25, 100) == 25
    assert helpers.percent(500, 100) == 100
    assert helpers.percent(1, 0) == 0


def test_domain():
    assert helpers.domain("https://www.example.org/a?b") == "example.org"
    assert helpers.domain(None) == ""


@pytest.mark.parametrize(
    ("target", "safe"),
    [("/posts/1?x=2", "/posts/1?x=2"), ("//evil.example", None), ("https://evil.example/", None), ("/\\evil", None)],
)
def test_safe_next(target, safe):
    assert helpers.safe_next(target) == safe


def test_diff_lines_and_api_diffs():
    assert helpers.diff_lines("a\nb", "a\nc") == [
        ("hunk", "@@ -1,2 +1,2 @@"),
        ("same", "a"),
        ("del", "b"),
        ("add", "c"),
    ]
    api = [{"field": "title", "diff": "--- title (before)\n+++ title (after)\n@@ -1 +1 @@\n-Old\n+New"}]
    assert helpers.diff_from_api(api) == [("field", "title"), ("hunk", "@@ -1 +1 @@"), ("del", "Old"), ("add", "New")]


def test_person_of_an_erased_account():
    assert helpers.person(None) == "a deleted member"
    assert helpers.person({"username": "ada", "display_name": ""}) == "ada"


def test_comment_rows_walk_a_tree_in_reading_order():
    def c(cid, *children):
        return {"id": cid, "children": list(children)}

    tree = [c("a", c("b", c("c")), c("d")), c("e")]
    rows = [(row["id"], nested, closes) for row, nested, closes in helpers.comment_rows(tree, max_depth=6)]
    # a opens a list (b, d); b opens one (c); c ends b's; d ends a's; e is on the top level.
    assert rows == [("a", True, 0), ("b", True, 0), ("c", False, 1), ("d", False, 1), ("e", False, 0)]
    shallow = [(row["id"], nested) for row, nested, _ in helpers.comment_rows(tree, max_depth=2)]
    assert shallow == [("a", True), ("b", False), ("d", False), ("e", False)]


def test_comment_rows_of_a_thread_deeper_than_the_interpreter_recurses():
    deepest = node = {"id": "0", "children": []}
    for n in range(1, 5000):
        node = {"id": str(n), "children": [node]}
    rows = helpers.comment_rows([node], max_depth=10_000)
    assert len(rows) == 5000 and rows[-1][0] is deepest and rows[-1][2] == 4999


def test_numbers_beside_the_reasons():
    assert [helpers.number(v) for v in (2.5, 3, 0.0004, -0.0001, None, 123456.789, -1.25)] == [
        "2.5",
        "3",
        "0",
        "0",
        "0",
        "123456.789",
        "-1.25",
    ]
    assert helpers.number(0.41267, 4) == "0.4127"
    assert helpers.number(2.5, decimal=",") == "2,5"
    french = create_app({"GATEWAY": object(), "SECRET_KEY": "test"})
    with french.test_request_context(headers={"Accept-Language": "fr"}):
        assert helpers.number(0.125) == "0,125"


def test_an_age_reads_the_same_until_the_moment_it_moves_on_and_otherwise_from_then():
    moment = datetime(2026, 1, 1, 12, 0, 0, 500000, tzinfo=UTC)
    value = moment.isoformat()
    offsets = [-30, 0, 1, 59.4, 60, 61, 119.9, 3599, 3600, 3601, 7300, 86399, 86400, 86401, 10 * 86400 + 5]
    for offset in offsets:
        now = moment + timedelta(seconds=offset)
        later = age_moves_on(value, now)
        assert later > now
        assert age(value, now) == age(value, later - timedelta(microseconds=1))
        assert age(value, later) != age(value, now)
    assert age_moves_on(None, moment) == datetime.max.replace(tzinfo=UTC)
