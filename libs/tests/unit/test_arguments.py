"""What every service refuses in an RPC's arguments, whoever calls it (svclib.arguments)."""

from __future__ import annotations

import pytest

from svclib import arguments
from svclib.exceptions import Invalid


class Service:
    def method(
        self, number: int, text: str | None = None, ratio: float = 1.0, ids: list[str] | None = None, other=None
    ):
        """Annotated as services annotate their @rpc methods."""


EXPECTED = arguments.expected_types(Service.method)


@pytest.mark.parametrize(
    "given",
    [
        {"number": "7"},
        {"number": True},
        {"number": None},
        {"number": 1.5},
        {"number": 1, "text": 5},
        {"number": 1, "ratio": "x"},
        {"number": 1, "ids": "a"},
    ],
)
def test_an_argument_of_another_type_than_annotated_is_invalid(given):
    with pytest.raises(Invalid) as refused:
        arguments.check_types(given, EXPECTED)
    assert set(refused.value.details["fields"]) <= set(given)


def test_arguments_of_the_annotated_types_pass():
    arguments.check_types({"number": 1, "text": None, "ratio": 2, "ids": ["a"], "other": object()}, EXPECTED)


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "value",
    ["a\x00b", "\ud800", ["x", {"k": "\udfff"}], {"\x00": 1}, 2**63, -(2**64), float("inf"), float("nan"), nested(500)],
)
def test_values_no_service_can_store_or_should_follow_are_invalid(value):
    with pytest.raises(Invalid):
        arguments.check_values({"value": value})


def test_ordinary_values_pass_and_long_ascii_is_checked_quickly():
    arguments.check_values({"a": "é ok", "b": [1, 2.5, None, True], "c": {"k": 2**63 - 1}, "d": nested(50)})
    arguments.check_values({"upload": "QUJD" * 3_000_000})
