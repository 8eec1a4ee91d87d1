"""Every error leaves the gateway in one shape: ``{"error": {code, message, fields?}}``.

``REMOTE_ERRORS`` is the one table from the exceptions services declare on
their RPCs to HTTP. Anything not in it is a bug: logged with the request id,
answered as a 500 that carries the request id and nothing else.
"""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from gateway.rpc import RemoteServiceError, ServiceUnavailable

log = logging.getLogger(__name__)

# remote exception class name -> (HTTP status, error code)
REMOTE_ERRORS: dict[str, tuple[int, str]] = {
    "Invalid": (400, "validation_error"),
    "Unauthenticated": (401, "unauthenticated"),
    "Forbidden": (403, "forbidden"),
    "NotFound": (404, "not_found"),
    "Conflict": (409, "conflict"),
    "Duplicate": (409, "duplicate"),
    "PayloadTooLarge": (413, "payload_too_large"),
    "RateLimited": (429, "rate_limited"),
    "Unavailable": (503, "unavailable"),
}

HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "unavailable",
}


class ApiError(Exception):
    """An error the gateway itself decides on."""

    def __init__(self, status: int, code: str, message: str, fields: dict | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields, self.headers = status, code, message, fields, headers or {}


def error_response(status: int, code: str, message: str, fields: dict | None = None, headers: dict | None = None):
    body: dict = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    if status >= 500:
        body["request_id"] = g.get("request_id")
    response = jsonify({"error": body})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def remote_error_response(exc: RemoteServiceError):
    mapped = REMOTE_ERRORS.get(exc.exc_type)
    if mapped is None:
        log.error(
            "undeclared error from %s: %s %s (request_id=%s)",
            exc.service,
            exc.exc_type,
            exc.message,
            g.get("request_id"),
        )
        return error_response(500, "internal_error", "Something went wrong on our side.")
    status, code = mapped
    headers = {}
    if status == 429:
        headers["Retry-After"] = str(int(exc.details.get("retry_after", 60)))
    elif status == 503:
        headers["Retry-After"] = "5"
    return error_response(status, code, exc.message, exc.details.get("fields") or None, headers)


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)

    @app.errorhandler(ValidationError)
    def _validation_error(exc: ValidationError):
        fields = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return error_response(400, "validation_error", "Some fields are not valid.", fields)

    @app.errorhandler(RemoteServiceError)
    def _remote_error(exc: RemoteServiceError):
        return remote_error_response(exc)

    @app.errorhandler(ServiceUnavailable)
    def _unavailable(exc: ServiceUnavailable):
        log.warning("service unavailable: %s", exc)
        return error_response(
            503,
            "unavailable",
            "A service is unavailable; nothing was changed. Try again shortly.",
            headers={"Retry-After": "5"},
        )

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        if status >= 500:
            log.error("HTTP %s raised in the gateway (request_id=%s): %s", status, g.get("request_id"), exc)
            return error_response(500, "internal_error", "Something went wrong on our side.")
        message = {413: "The request body is too large."}.get(status, exc.description or exc.name)
        headers = {}
        if getattr(exc, "valid_methods", None):  # 405: which methods the resource answers
            headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return error_response(status, HTTP_CODES.get(status, "bad_request"), message, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error (request_id=%s)", g.get("request_id"))
        return error_response(500, "internal_error", "Something went wrong on our side.")
