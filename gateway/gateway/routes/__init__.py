"""One blueprint per area of the API."""

from __future__ import annotations

import json

from flask import current_app, g, jsonify, request
from marshmallow import Schema

from gateway.errors import ApiError
from gateway.openapi import IDEMPOTENCY_KEY, doc  # noqa: F401 - the routes' one import for both
from gateway.openapi.checking import read_query, schema_instance
from gateway.people import with_people
from gateway.schemas import PageQuery

# An optional Idempotency-Key, on the writes that make a resource.
RETRY_KEY = {
    **IDEMPOTENCY_KEY,
    "required": False,
    "description": "Optional: the same key from the same caller with the same body makes one resource, "
    "so a retry after a lost answer is safe; with another body it is a 409.",
}


def services():
    """The gateway's RPC client of the services."""
    return current_app.extensions["services"]


def idempotency_key() -> str | None:
    """The request's Idempotency-Key: the same key from the same caller with the same body makes one resource."""
    return request.headers.get("Idempotency-Key")


def body(schema: type[Schema]) -> dict:
    """The request's JSON object, validated by ``schema`` (400 with fields otherwise)."""
    raw = request.get_data(cache=True)
    if "json_body" in g:  # parsed and checked once, before the view (gateway.checks)
        data: object = g.json_body
    elif not raw.strip():
        raise ApiError(400, "bad_request", "Send a JSON object as the request's body.")
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "bad_request", "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "The body must be a JSON object.")
    return schema_instance(schema).load(data)


def query(schema: type[Schema]) -> dict:
    """The query string, validated by ``schema`` (400 with fields otherwise)."""
    return read_query(schema)


def history(service: str, owner: str):
    """A wiki page's history, newest first, editors as people."""
    rpc = services()
    args = query(PageQuery)
    page = rpc.call(service, "list_revisions", owner, limit=args["limit"], cursor=args["cursor"])
    with_people(rpc, page["items"], "editor_id", "editor")
    return jsonify(page)


def revision_changes(service: str, owner: str, number: int):
    """Revision ``number`` of a wiki page with its ``changes`` against the one before, editor as a person."""
    rpc = services()
    found = rpc.call(service, "get_revision_diff", owner, number)
    return jsonify(with_people(rpc, [found], "editor_id", "editor")[0])
