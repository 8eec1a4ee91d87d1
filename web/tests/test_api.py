"""The gateway client against a real local HTTP server: errors mapped, timeouts bounded."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from web.api import NOT_MODIFIED, ApiError, Gateway, Unavailable, error_from

ANSWERS: dict[str, tuple[int, dict, str]] = {
    "/api/v1/ok": (200, {}, json.dumps({"hello": "world"})),
    "/api/v1/empty": (204, {}, ""),
    "/api/v1/invalid": (
        400,
        {},
        json.dumps({"error": {"code": "validation_error", "message": "Bad.", "fields": {"title": ["Too long."]}}}),
    ),
    "/api/v1/slow-down": (429, {"Retry-After": "42"}, json.dumps({"error": {"code": "rate_limited", "message": "x"}})),
    "/api/v1/down": (503, {}, json.dumps({"error": {"code": "unavailable", "message": "Try later."}})),
    "/api/v1/html": (500, {}, "<html>oops</html>"),
    "/api/v1/garbage": (200, {}, "not json"),
}


class Handler(BaseHTTPRequestHandler):
    def echo(self):
        """What the client sent, as JSON."""
        length = int(self.headers.get("Content-Length") or 0)
        sent = {
            "method": self.command,
            "path": self.path,
            "authorization": self.headers.get("Authorization"),
            "request_id": self.headers.get("X-Request-Id"),
            "cache_control": self.headers.get("Cache-Control"),
            "body": self.rfile.read(length).decode() if length else None,
        }
        body = json.dumps(sent).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def tagged(self):
        """An answer tagged "t1", a bodiless 304 to a request that holds it (gateway.conditional)."""
        body = json.dumps({"items": [1, 2]}).encode()
        unchanged = self.headers.get("If-None-Match") == '"t1"'
        self.send_response(304 if unchanged else 200)
        self.send_header("ETag", '"t1"')
        if not unchanged:
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not unchanged:
            self.wfile.write(body)

    def do_POST(self):  # noqa: N802 (http.server's name)
        self.echo()

    def do_GET(self):  # noqa: N802 (http.server's name)
        if "/echo" in self.path:
            return self.echo()
        if self.path.startswith("/api/v1/sleep"):
            time.sleep(2)
        if self.path == "/api/v1/tagged":
            return self.tagged()
        status, headers, body = ANSWERS.get(self.path, (404, {}, json.dumps({"error": {"code": "not_found"}})))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body.encode())
        except BrokenPipeError:
            pass  # the client gave up waiting, as the timeout test wants

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_json_answer_and_no_content(server):
    gateway = Gateway(server)
    assert gateway.get("/ok") == {"hello": "world"}
    assert gateway.get("/empty") is None


def test_a_read_with_the_tag_of_an_unchanged_answer_is_not_modified(server):
    gateway = Gateway(server)
    assert gateway.read("/tagged") == ({"items": [1, 2]}, '"t1"')
    assert gateway.read("/tagged", etag='"t1"') == (NOT_MODIFIED, '"t1"')
    assert gateway.read("/tagged", etag='"t0"') == ({"items": [1, 2]}, '"t1"')
    assert gateway.read("/ok") == ({"hello": "world"}, None)  # an answer without a tag
    with pytest.raises(ApiError):
        gateway.read("/invalid", etag='"t1"')


def test_a_fresh_read_asks_the_gateway_to_work_its_answer_out(server):
    gateway = Gateway(server)
    assert gateway.read("/echo", fresh=True)[0]["cache_control"] == "no-cache"
    assert gateway.read("/echo", etag='"t1"')[0]["cache_control"] is None


def test_validation_error_keeps_fields(server):
    with pytest.raises(ApiError) as caught:
        Gateway(server).get("/invalid")
    assert caught.value.status == 400
    assert caught.value.code == "validation_error"
    assert caught.value.field_errors() == {"title": "Too long."}


def test_rate_limit_says_when(server):
    with pytest.raises(ApiError) as caught:
        Gateway(server).get("/slow-down")
    assert (caught.value.status, caught.value.retry_after) == (429, 42)


def test_service_down_is_unavailable(server):
    with pytest.raises(Unavailable):
        Gateway(server).get("/down")


def test_an_answer_without_the_error_shape_is_still_an_api_error(server):
    with pytest.raises(ApiError) as caught:
        Gateway(server).get("/html")
    assert caught.value.status == 500 and caught.value.code == "unknown"
    with pytest.raises(ApiError) as caught:
        Gateway(server).get("/garbage")
    assert caught.value.status == 502


def test_a_slow_gateway_is_unavailable_within_the_timeout(server):
    gateway = Gateway(server, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(Unavailable):
        gateway.get("/sleep")
    assert time.monotonic() - started < 1.9


def test_a_gateway_that_is_not_there_is_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(Unavailable):
        Gateway(f"http://127.0.0.1:{port}", connect_timeout=0.5).get("/ok")


def test_token_request_id_query_and_body_are_sent(server):
    gateway = Gateway(server)
    assert gateway.get("/echo", "tok", request_id="rid", params={"sort": "new", "cursor": None, "n": 2}) == {
        "method": "GET",
        "path": "/api/v1/echo?sort=new&n=2",
        "authorization": "Bearer tok",
        "request_id": "rid",
        "cache_control": None,
        "body": None,
    }
    sent = gateway.post("/echo", "tok", json={"title": "é"})
    assert sent["method"] == "POST" and sent["path"] == "/api/v1/echo"
    assert json.loads(sent["body"]) == {"title": "é"}


@pytest.mark.parametrize(
    ("segment", "sent"),
    [
        ("a b", "a%20b"),
        ("\u00e9t\u00e9", "%C3%A9t%C3%A9"),
        ("a?b", "a%3Fb"),
        ("a#b", "a%23b"),
        ("a%2Fb", "a%2Fb"),
        ("..", ".."),
    ],
)
def test_a_path_segment_is_sent_percent_encoded_and_never_resolved(server, segment, sent):
    # A name from the site's own address (a route's value, decoded) stays in its segment of the API's path.
    answer = Gateway(server).get(f"/echo/{segment}/end", params={"q": "x y"})
    assert answer["path"] == f"/api/v1/echo/{sent}/end?q=x+y"


def test_a_gateway_under_a_path_keeps_its_path(server):
    assert Gateway(f"{server}/behind/").get("/echo")["path"] == "/behind/api/v1/echo"


def test_error_from_unknown_fields_shape():
    class Response:
        status_code = 400
        reason = "Bad Request"
        headers = {}

        def json(self):
            return {"error": {"code": "validation_error", "message": "m", "fields": {"a": "one"}}}

    assert error_from(Response()).fields == {"a": ["one"]}


def _server_closing_kept_connections():
    """Answers the first request on each connection and keeps it open; a second request on the same
    connection is read and the connection closed unanswered, as when the gateway's idle close and the
    site's next request cross."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    requests_seen = []

    def serve(conn):
        with conn:
            first = True
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                requests_seen.append(data.split(b" ", 2)[:2])
                if not first:
                    return  # closed without an answer
                first = False
                body = b'{"ok": true}'
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                    + str(len(body)).encode()
                    + b"\r\nConnection: keep-alive\r\n\r\n"
                    + body
                )

    def accept():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener, requests_seen


def test_a_read_on_a_connection_the_gateway_closed_is_sent_again_once():
    listener, seen = _server_closing_kept_connections()
    try:
        gateway = Gateway(f"http://127.0.0.1:{listener.getsockname()[1]}")
        assert gateway.request("GET", "/feed/front") == {"ok": True}
        assert gateway.request("GET", "/feed/front") == {"ok": True}  # reused, dropped, sent again
        assert len(seen) == 3
    finally:
        listener.close()


def test_a_write_never_goes_on_a_kept_connection_so_it_is_never_sent_twice():
    # Sent on the kept connection, which the server drops unanswered, the write would be sent again on a
    # new one (libcurl does so for any request); the gateway may have taken the first.
    listener, seen = _server_closing_kept_connections()
    try:
        gateway = Gateway(f"http://127.0.0.1:{listener.getsockname()[1]}")
        assert gateway.request("GET", "/feed/front") == {"ok": True}
        assert gateway.request("POST", "/posts", json={"title": "once"}) == {"ok": True}
        assert [method for method, _ in seen] == [b"GET", b"POST"]
    finally:
        listener.close()
