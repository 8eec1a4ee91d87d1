"""One blueprint per area of the API."""

from __future__ import annotations

import json

from flask import request
from marshmallow import Schema

from gateway.errors import ApiError


def body(schema: type[Schema]) -> dict:
    """The request's JSON object, validated by ``schema`` (400 with fields otherwise)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        data: object = {}
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "bad_request", "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "The body must be a JSON object.")
    return schema().load(data)


def query(schema: type[Schema]) -> dict:
    """The query string, validated by ``schema`` (400 with fields otherwise)."""
    return schema().load(request.args.to_dict())


def doc(
    summary: str,
    request_schema: type[Schema] | None = None,
    response: type[Schema] | None = None,
    status: int = 200,
    auth: bool = False,
):
    """Describe a view for the OpenAPI document."""

    def decorate(view):
        view.openapi = {
            "summary": summary,
            "request": request_schema,
            "response": response,
            "status": status,
            "auth": auth,
        }
        return view

    return decorate
