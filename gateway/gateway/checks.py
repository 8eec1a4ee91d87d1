"""Input the whole platform refuses, checked once at the door, before any service sees it.

- Text PostgreSQL cannot store (NUL, lone UTF-16 surrogates) anywhere: the path, the query,
  header values, every string and key of a JSON body: 400 ``validation_error``.
- JSON nested deeper than ``MAX_JSON_DEPTH``: 400, found without recursion; numbers beyond
  64 bits or not finite: 400.
- Cursors: only what a service handed out (base64url JSON of scalars, numbers within 64 bits).
- Numbers in paths: ``<int:...>`` matches 1 to 2**31 - 1 only, so a number no id can have is 404.
"""

from __future__ import annotations

import base64
import json
import math
import re
from itertools import chain

from flask import g
from flask import request as flask_request
from werkzeug.routing import IntegerConverter

from gateway.errors import ApiError

MAX_JSON_DEPTH = 64
MAX_INT = 2**31 - 1
MAX_CURSOR_INT = MAX_STORED_INT = 2**63 - 1
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_CURSOR = re.compile(r"^[A-Za-z0-9_-]{1,500}$")
# Bodies the gateway never reads as JSON: uploads and HTML forms.
_NOT_JSON = ("multipart/form-data", "application/x-www-form-urlencoded")


def refuse(where: str, message: str) -> ApiError:
    return ApiError(400, "validation_error", message, {where: [message]})


def storable(text: str) -> bool:
    return _UNSTORABLE.search(text) is None


def check_text(text: str, where: str) -> None:
    if not storable(text):
        raise refuse(where, "Contains a character that cannot be stored (NUL or a lone surrogate).")


class BoundedInt(IntegerConverter):
    """``<int:n>``: 0 to 2**31 - 1; longer digit strings do not match, so they are 404."""

    regex = r"\d{1,10}"

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


def walk_json(data, where: str = "body") -> None:
    """Every string and key storable and the nesting at most ``MAX_JSON_DEPTH``, without recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            check_text(value, where)
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int):
            if not -MAX_STORED_INT <= value <= MAX_STORED_INT:
                raise refuse(where, "A number is out of range.")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise refuse(where, "Numbers must be finite.")
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise refuse(where, f"Nested deeper than {MAX_JSON_DEPTH} levels.")
            items = value.items() if isinstance(value, dict) else ((None, item) for item in value)
            for key, item in items:
                if key is not None:
                    check_text(key, where)
                stack.append((item, depth + 1))


def parse_json(raw: bytes):
    """The body as JSON, or ValueError; 400 for nesting no parser should follow or unstorable text."""
    try:
        data = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise refuse("body", f"Nested deeper than {MAX_JSON_DEPTH} levels.") from None
    walk_json(data)
    return data


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def check_cursor(cursor: str) -> None:
    """A cursor is what a service handed out; anything else is 400 before it reaches one."""
    if not _CURSOR.match(cursor):
        raise refuse("cursor", "Not a cursor from this list.")
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)), parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise refuse("cursor", "Not a cursor from this list.") from None
    values = list(data.values()) if isinstance(data, dict) else data
    if not isinstance(values, list) or len(values) > 10:
        raise refuse("cursor", "Not a cursor from this list.")
    for value in values:
        for item in value if isinstance(value, list) and len(value) <= 1000 else [value]:
            _cursor_scalar(item)
    walk_json(data, "cursor")


def _cursor_scalar(value) -> None:
    if value is None or isinstance(value, str | bool):
        return
    if isinstance(value, int) and -MAX_CURSOR_INT <= value <= MAX_CURSOR_INT:
        return
    if isinstance(value, float) and math.isfinite(value) and abs(value) < 1e15:
        return
    raise refuse("cursor", "Not a cursor from this list.")


def check_request() -> None:
    """Run before every view: path, query, headers and a JSON body."""
    request = flask_request._get_current_object()
    check_text(request.path, "path")
    # The query's names and values looked through at once; one by one, to name it, only when one cannot be stored.
    args = request.args
    if args and not storable("".join(chain.from_iterable(args.items(multi=True)))):
        for key, value in args.items(multi=True):
            check_text(key, "query")
            check_text(value, key if storable(key) else "query")
    if "cursor" in args:
        check_cursor(args["cursor"])
    # Header values as the server handed them over, looked through at once; named only when one holds NUL.
    if any("\x00" in value for value in request.environ.values() if type(value) is str):
        for name, value in request.headers.items():
            if "\x00" in value:
                raise refuse(name, "Header values cannot contain NUL.")
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype not in _NOT_JSON:
        raw = request.get_data(cache=True)
        if raw.strip():
            try:
                g.json_body = parse_json(raw)
            except (ValueError, UnicodeDecodeError):
                pass  # not JSON: the view decides (a JSON view answers 400 bad_request)
