"""The gateway's JSON bodies are written by orjson (gateway.jsonprovider) with the values Flask wrote."""

import dataclasses
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from flask import Flask, jsonify
from flask.json.provider import DefaultJSONProvider
from markupsafe import Markup

from gateway.jsonprovider import JSONProvider


@dataclasses.dataclass
class Point:
    x: int
    label: str


VALUE = {
    "title": "Été à Besançon ☀",
    "when": datetime(2026, 12, 6, 21, 0, tzinfo=UTC),
    "amount": Decimal("12.50"),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "point": Point(1, "b"),
    "markup": Markup("<b>bold</b>"),
    "items": [1, 2.5, None, True, ("a", "b")],
    "z": 1,
    "a": 2,
}


def written(provider_class, value=VALUE, app=None):
    app = app or Flask(__name__)
    app.json = provider_class(app)
    app.json.sort_keys = False
    with app.app_context():
        return jsonify(value).get_data(), app.json.dumps(value, separators=(",", ":"))


def test_the_values_are_flask_s_written_compact_in_utf_8_and_keys_in_their_order():
    ours, ours_text = written(JSONProvider)
    flasks, _ = written(DefaultJSONProvider)
    assert json.loads(ours) == json.loads(flasks)
    assert "Été à Besançon ☀".encode() in ours and b"\\u00c9" in flasks  # UTF-8, not escaped
    assert ours.endswith(b"}\n") and ours_text == ours[:-1].decode()
    assert list(json.loads(ours)) == list(VALUE)  # never sorted


def test_a_float_that_is_not_a_number_is_null_not_nan():
    ours, _ = written(JSONProvider, {"score": float("nan")})
    assert json.loads(ours) == {"score": None}


def test_what_orjson_cannot_write_and_other_ways_of_writing_are_flask_s():
    for value in ({1: "a"}, {"big": 2**70}):
        ours, _ = written(JSONProvider, value)
        assert ours == written(DefaultJSONProvider, value)[0]
    app = Flask(__name__)
    app.json = JSONProvider(app)
    with app.app_context():
        assert app.json.dumps({"b": 1, "a": 2}, indent=2) == json.dumps({"b": 1, "a": 2}, indent=2)
        app.json.sort_keys = True
        assert app.json.dumps({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'
        app.debug = True
        assert b'\n  "a": 2' in jsonify({"a": 2}).get_data()


def test_the_gateway_writes_with_it(client):
    assert isinstance(client.application.json, JSONProvider)
