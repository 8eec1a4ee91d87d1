"""Each request's query string, JSON body and declared headers checked against its view's ``@doc`` schemas
before the view runs, so every field error comes in one answer (``register``)."""

from __future__ import annotations

import json
import re
import threading

from flask import Flask, current_app, request
from marshmallow import Schema, ValidationError

_made = threading.local()
# Queries read, by schema and query string, and how many are kept (gateway.openapi.checking.read_query).
_queries: dict[tuple[type[Schema], bytes], dict] = {}
QUERIES_KEPT = 256


def schema_instance(schema: type[Schema]) -> Schema:
    """One instance of ``schema`` per thread, made once and used for every request after: making one copies
    every field (marshmallow deep-copies the class's declared fields), which cost more than reading a request's
    few values with it."""
    made = getattr(_made, "schemas", None)
    if made is None:
        made = _made.schemas = {}
    instance = made.get(schema)
    if instance is None:
        instance = made[schema] = schema()
    return instance


def read_query(schema: type[Schema]) -> dict:
    """The request's query string as ``schema`` reads it (ValidationError when it does not). A query schema reads
    each field by itself, so the same query string always reads the same: the reading is kept per process by the
    query's text, and the front page's or a post's query, asked again and again, is read by marshmallow once, not
    twice a request (here and in the view). The one kept is copied: a view may change what it is given."""
    key = (schema, request.query_string)
    kept = _queries.get(key)
    if kept is None:
        kept = schema_instance(schema).load(request.args.to_dict())
        if len(_queries) >= QUERIES_KEPT:
            _queries.clear()
        _queries[key] = kept
    return dict(kept)


def _json_body() -> object:
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None  # the view answers a malformed body


def check_request() -> None:
    """Query string, JSON body and declared headers checked together: every field error in one answer."""
    if request.url_rule is None:
        return
    meta = getattr(current_app.view_functions.get(request.url_rule.endpoint), "openapi", None)
    if meta is None:
        return
    errors: dict = {}
    query = meta["query"]
    if query is None:
        errors.update({name: ["Unknown parameter."] for name in request.args})
    else:
        try:
            read_query(query)
        except ValidationError as exc:
            errors.update(exc.messages if isinstance(exc.messages, dict) else {"_query": exc.messages})
    if meta["request"] is not None:
        data = _json_body()
        if isinstance(data, dict):
            try:
                schema_instance(meta["request"]).load(data)
            except ValidationError as exc:
                errors.update(exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages})
    for header in meta["headers"]:
        name, schema = header["name"], header.get("schema", {})
        value = request.headers.get(name)
        if value is None:
            if header.get("required"):
                errors[name] = [f"Send the {name} header."]
        elif not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value)):
            errors[name] = [f"Use {schema.get('minLength', 0)} to {schema.get('maxLength')} characters."]
        elif schema.get("pattern") and not re.search(schema["pattern"], value):
            errors[name] = ["Not a valid value for this header."]
    if errors:
        raise ValidationError(errors)


def register(app: Flask) -> None:
    app.before_request(check_request)
