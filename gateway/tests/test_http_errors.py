"""Requests gunicorn refuses before the application are answered in the API's error shape."""

import json
import socket

from gunicorn import util

from gateway import http_errors


def answer(status: int, reason: str, message: str) -> tuple[str, dict, dict]:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        http_errors.write_error(ours, status, reason, message)
        ours.shutdown(socket.SHUT_WR)
        raw = b""
        while chunk := theirs.recv(65536):
            raw += chunk
    head, body = raw.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    assert int(headers["Content-Length"]) == len(body)
    return lines[0], headers, json.loads(body)


def test_an_over_long_request_line_is_a_414_in_the_error_shape():
    status, headers, body = answer(414, "URI Too Long", "Request Line is too large (9000 > 8190)")
    assert status == "HTTP/1.1 414 URI Too Long"
    assert headers["Content-Type"] == "application/json"
    assert body == {"error": {"code": "request_line_too_long", "message": http_errors.MESSAGES[414]}}


def test_too_many_or_too_long_headers_are_a_431_and_a_malformed_request_a_400():
    assert answer(431, "Request Header Fields Too Large", "x")[2]["error"]["code"] == "headers_too_large"
    status, _, body = answer(400, "Bad Request", "Invalid HTTP Version 'HTTP/9'")
    assert status == "HTTP/1.1 400 Bad Request"
    assert body == {"error": {"code": "bad_request", "message": "Invalid HTTP Version 'HTTP/9'"}}


def test_install_puts_the_json_writer_where_gunicorn_workers_call_it(monkeypatch):
    monkeypatch.setattr(util, "write_error", util.write_error)
    http_errors.install()
    assert util.write_error is http_errors.write_error
