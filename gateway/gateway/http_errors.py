"""Requests gunicorn refuses before the application sees them, answered in the API's error shape.

gunicorn reads the request line and headers itself and refuses, before any of our code runs, a
request line longer than ``limit_request_line`` (414), more than ``limit_request_fields`` header
fields or one longer than ``limit_request_field_size`` (431), and malformed requests (400). It
writes those answers with ``gunicorn.util.write_error``, as an HTML page; ``install()`` (called
from ``gunicorn.conf.py``) puts in its place a writer of the same answer as
``{"error": {"code", "message"}}`` JSON, so every client reads one shape.
"""

from __future__ import annotations

import json

from gunicorn import util

CODES = {
    400: "bad_request",
    403: "forbidden",
    414: "request_line_too_long",
    417: "bad_request",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
}
MESSAGES = {
    414: "The request line (method, path and query) is longer than 8,190 bytes.",
    431: "Too many header fields (more than 100) or one longer than 8,190 bytes.",
    500: "Something went wrong on our side.",
}


def error_bytes(status: int, reason: str, message: str) -> bytes:
    """The whole HTTP answer for a request refused before the application (the connection then closes)."""
    text = MESSAGES.get(status) or message or reason
    body = json.dumps({"error": {"code": CODES.get(status, "bad_request"), "message": text}}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n"
    )
    return head.encode("latin-1") + body


def write_error(sock, status_int: int, reason: str, mesg: str) -> None:
    util.write_nonblock(sock, error_bytes(int(status_int), reason, mesg))


def install() -> None:
    """Answer gunicorn's own refusals as JSON (its workers call ``gunicorn.util.write_error``)."""
    if not callable(getattr(util, "write_error", None)) or not callable(getattr(util, "write_nonblock", None)):
        raise RuntimeError("gunicorn no longer writes its errors through util.write_error; see gateway.http_errors")
    util.write_error = write_error
