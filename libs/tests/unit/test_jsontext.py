"""JSON text on the bus (svclib.jsontext): written by orjson, the same values as the standard library's json."""

import json
import math

import pytest

from svclib import jsontext
from svclib.kept import Kept
from svclib.rpc.answers import Parts, encoded_answer

VALUES = [
    {"items": [{"post_id": "p1", "title": "Été à Besançon ☀", "rank": {"score": 0.123456, "reasons": []}}]},
    {"next_cursor": None, "count": 0, "ok": True, "nested": [[1, 2.5, -0.0], {"a": "\u2028 </script>"}]},
    ["a", 1, 1e-7, 12345678901234567, ("tuple", "too")],
    "plain",
    None,
]


@pytest.mark.parametrize("value", VALUES)
def test_text_is_compact_and_reads_back_as_the_standard_library_reads_it(value):
    text = jsontext.dumps(value)
    assert json.loads(text) == json.loads(json.dumps(value))
    assert jsontext.loads(text) == json.loads(json.dumps(value))
    assert ", " not in text.replace('", "', "") and "\\u00" not in text  # orjson's: compact, UTF-8


def test_what_orjson_cannot_write_or_read_is_handled_as_before():
    assert jsontext.dumps({1: "a"}) == json.dumps({1: "a"})  # a key that is not a string
    assert jsontext.dumps(2**70) == str(2**70)  # beyond 64 bits
    assert jsontext.dumps("\ud800") == json.dumps("\ud800")  # a lone surrogate
    assert math.isnan(jsontext.loads("NaN"))  # written by a writer of before
    assert jsontext.loads('{"a": "\\ud800"}') == {"a": "\ud800"}
    assert jsontext.dumps(float("nan")) == "null"  # not JSON's NaN
    with pytest.raises(ValueError):
        jsontext.loads("{not json")
    with pytest.raises(TypeError):
        jsontext.dumps({"a": object()})


def test_answers_are_written_compact_and_a_kept_answer_once():
    page = {"items": [{"id": "p1", "title": "Café"}], "next_cursor": None}
    text = '{"result": {"items":[{"id":"p1","title":"Café"}],"next_cursor":null}, "error": null}'
    assert encoded_answer(page, None) == text
    kept = Kept(max_entries=4, max_age=60)
    kept.listening = True
    held = kept.get_or_build("page", lambda: page)
    assert encoded_answer(held, None) == text
    parts = encoded_answer(Parts(post={"id": "p1"}, comments=held), None)
    assert parts == '{"result": {"post": {"id":"p1"}, "comments": ' + jsontext.dumps(page) + '}, "error": null}'
    assert json.loads(parts) == {"result": {"post": {"id": "p1"}, "comments": page}, "error": None}
