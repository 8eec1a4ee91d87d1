"""The site's one HTTP client of the gateway's public API: pooled keep-alive connections, timeouts,
and every failure mapped to one of two exceptions the views and error pages understand.

A page's JSON calls are HTTP/1.1 written and read here, on kept-alive connections of the site's own
pool (``Connections``): urllib3 and http.client (a response object, a header parser from the email
package, a reader per answer) cost about 0.5 ms of CPU a call beside 0.1 ms for the exchange itself,
two to four times a page. What is read is what the gateway sends: a status line, headers, and a body
by Content-Length or chunks (or until the connection closes). Uploads, forms and the few answers passed
on as they are (pictures, the checkout) still go through requests, which encodes multipart bodies and
follows the checkout's redirects."""

from __future__ import annotations

import json as jsonlib
import re
import socket
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter

from web import metrics

API = "/api/v1"


@dataclass
class ApiError(Exception):
    """The API answered with its error shape (or something this client could not read)."""

    status: int
    code: str
    message: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    retry_after: int | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def field_errors(self) -> dict[str, str]:
        """One message per field, as a form shows next to the field."""
        return {name: " ".join(str(m) for m in messages) for name, messages in self.fields.items()}


class Unavailable(ApiError):
    """The gateway could not be reached, took too long, or said a service is down: nothing changed."""

    def __init__(self, message: str = "The service is unavailable.", retry_after: int | None = None):
        super().__init__(503, "unavailable", message, {}, retry_after)


def _retry_after(response: requests.Response | Answer) -> int | None:
    value = response.headers.get("retry-after", "")  # requests' headers ignore case; an Answer's are lower case
    return int(value) if value.isdigit() else None


class Answer:
    """An answer read by ``Connections``: what ``error_from`` reads of it (requests' Response has the same)."""

    __slots__ = ("status_code", "reason", "headers", "content")

    def __init__(self, status_code: int, reason: str, headers: dict[str, str], content: bytes):
        self.status_code = status_code
        self.reason = reason
        self.headers = headers  # names in lower case
        self.content = content

    def json(self) -> Any:
        return jsonlib.loads(self.content)


class Stale(Exception):
    """A kept-alive connection that was closed before any of the answer came back (nothing was read)."""


class TooSlow(Exception):
    """Connecting, sending or reading took longer than its timeout."""


class Unreachable(Exception):
    """The gateway could not be connected to, or answered something that is not HTTP/1.x."""


# The longest status or header line and the most header lines read; a longer answer is not the gateway's.
MAX_LINE = 65536
MAX_HEADERS = 100
# A request target is sent as it is when it holds only what a URL's path and query may; else the rest
# (spaces, controls, quotes, "#", other characters as UTF-8) is percent-encoded, as urllib3 did.
PLAIN_TARGET = re.compile(r"[A-Za-z0-9_.~!$%&'()*+,/:;=?@\[\]-]*")
TARGET_SAFE = "!$%&'()*+,/:;=?@[]~"
UNSAFE_HEADER_VALUE = re.compile(r"[\r\n\0]")


def request_target(path: str) -> str:
    return path if PLAIN_TARGET.fullmatch(path) else quote(path, safe=TARGET_SAFE)


class Connection:
    """One connection to the gateway, kept alive between calls while its answers say so."""

    __slots__ = ("sock", "reader", "reused")

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.reader = sock.makefile("rb")
        self.reused = False

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


class Connections:
    """The site's kept-alive HTTP/1.1 connections to one gateway (``http`` or ``https``), shared by a
    process's threads: a call takes an idle one (the most recently used, the least likely to have been
    closed as idle) or opens one, and gives it back when its answer was read whole and may be followed
    by another; at most ``keep`` are kept idle."""

    def __init__(self, base_url: str, keep: int = 16):
        parts = urlsplit(base_url)
        self.tls = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.tls else 80)
        default_port = self.port == (443 if self.tls else 80)
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.host_header = host if default_port else f"{host}:{self.port}"
        self.keep = keep
        self._idle: list[Connection] = []
        self._lock = threading.Lock()
        self._tls = ssl.create_default_context() if self.tls else None

    def _open(self, connect_timeout: float) -> Connection:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=connect_timeout)
        except TimeoutError:
            raise TooSlow from None
        except OSError:
            raise Unreachable from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._tls is not None:
            try:
                sock = self._tls.wrap_socket(sock, server_hostname=self.host)
            except TimeoutError:
                sock.close()
                raise TooSlow from None
            except OSError:
                sock.close()
                raise Unreachable from None
        return Connection(sock)

    def _take(self, connect_timeout: float) -> Connection:
        with self._lock:
            if self._idle:
                connection = self._idle.pop()
                connection.reused = True
                return connection
        return self._open(connect_timeout)

    def _give_back(self, connection: Connection) -> None:
        with self._lock:
            if len(self._idle) < self.keep:
                self._idle.append(connection)
                return
        connection.close()

    def exchange(
        self, method: str, target: str, headers: dict[str, str], body: bytes | None, timeout: tuple[float, float]
    ) -> Answer:
        """Send one request and read its answer; raises Stale, TooSlow or Unreachable (nothing else of the
        network's), having closed the connection."""
        lines = [
            f"{method} {request_target(target)} HTTP/1.1\r\nHost: {self.host_header}\r\nAccept-Encoding: identity\r\n"
        ]
        for name, value in headers.items():
            if UNSAFE_HEADER_VALUE.search(value):
                raise ValueError(f"a line break in the value of the header {name}")
            lines.append(f"{name}: {value}\r\n")
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body or b'')}\r\n")
        lines.append("\r\n")
        data = "".join(lines).encode("latin-1") + (body or b"")
        connection = self._take(timeout[0])
        try:
            connection.sock.settimeout(timeout[1])
            connection.sock.sendall(data)
            answer, keep = self._read(connection, method)
        except BaseException as error:
            connection.close()
            if isinstance(error, TimeoutError):
                raise TooSlow from None
            if isinstance(error, Stale | OSError) and connection.reused:
                raise Stale from None
            if isinstance(error, Stale | OSError | ValueError | UnicodeDecodeError):
                raise Unreachable from None
            raise
        if keep:
            self._give_back(connection)
        else:
            connection.close()
        return answer

    @staticmethod
    def _read(connection: Connection, method: str) -> tuple[Answer, bool]:
        """The answer, and whether the connection may carry another request."""
        reader = connection.reader
        status_line = reader.readline(MAX_LINE + 1)
        if not status_line:
            raise Stale
        version, _, rest = status_line.decode("latin-1").rstrip("\r\n").partition(" ")
        code, _, reason = rest.partition(" ")
        if version not in ("HTTP/1.1", "HTTP/1.0") or len(code) != 3 or not code.isdigit():
            raise ValueError("not an HTTP/1.x status line")
        status = int(code)
        headers: dict[str, str] = {}
        while True:
            line = reader.readline(MAX_LINE + 1)
            if line in (b"\r\n", b"\n"):
                break
            if not line or len(line) > MAX_LINE or len(headers) >= MAX_HEADERS:
                raise ValueError("an answer's headers cut short or too long")
            name, colon, value = line.decode("latin-1").partition(":")
            if not colon:
                raise ValueError("a header line without a name")
            name, value = name.strip().lower(), value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        connection_header = headers.get("connection", "").lower()
        keep = "close" not in connection_header if version == "HTTP/1.1" else "keep-alive" in connection_header
        if method == "HEAD" or status in (204, 304) or status < 200:
            content = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            content = Connections._chunks(reader)
        elif "content-length" in headers:
            length = int(headers["content-length"])
            content = reader.read(length)
            if len(content) != length:
                raise ValueError("an answer shorter than its Content-Length")
        else:
            content, keep = reader.read(), False  # until the gateway closes the connection
        return Answer(status, reason, headers, content), keep

    @staticmethod
    def _chunks(reader) -> bytes:
        parts = []
        while True:
            size_line = reader.readline(MAX_LINE + 1)
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                while reader.readline(MAX_LINE + 1) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            chunk = reader.read(size)
            if len(chunk) != size or reader.readline(MAX_LINE + 1) not in (b"\r\n", b"\n"):
                raise ValueError("a chunk cut short")
            parts.append(chunk)


def error_from(response: requests.Response | Answer) -> ApiError:
    """The exception for a non-2xx answer, from the API's error shape."""
    try:
        error = response.json()["error"]
        code, message, fields = str(error["code"]), str(error.get("message", "")), error.get("fields") or {}
    except (ValueError, KeyError, TypeError):
        code, message, fields = "unknown", response.reason or "", {}
    if response.status_code == 503 or response.status_code >= 500 and code == "unavailable":
        return Unavailable(message or "The service is unavailable.", _retry_after(response))
    if not isinstance(fields, dict):
        fields = {}
    fields = {str(k): v if isinstance(v, list) else [v] for k, v in fields.items()}
    return ApiError(response.status_code, code, message, fields, _retry_after(response))


class Gateway:
    """``Gateway(base_url)``: one per process, shared by its threads (its connections, and requests' pool
    for plain requests, are thread-safe; a call opens no new connection while one is idle in the pool)."""

    def __init__(self, base_url: str, timeout: float = 5.0, connect_timeout: float = 1.0, pool_size: int = 16):
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, timeout)
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = "wikisocial-web"
        self.session.trust_env = False  # the gateway is reached directly, never through the environment's proxy
        self.prefix = urlsplit(self.base_url).path
        self.connections = Connections(self.base_url, keep=pool_size)

    def request(
        self,
        method: str,
        path: str,
        token: str | None = None,
        *,
        json: Any = None,
        data: dict | None = None,
        params: dict | None = None,
        files: dict | None = None,
        headers: dict | None = None,
        raw: bool = False,
        timeout: float | None = None,
        request_id: str | None = None,
        traceparent: str | None = None,
    ) -> Any:
        """The answer's JSON (None for 204), or the response itself with ``raw``; raises ApiError."""
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if request_id:
            sent["X-Request-Id"] = request_id
        if traceparent:
            sent["traceparent"] = traceparent  # the page's span: the gateway's continues it
        path = path if path.startswith(("/api/", "/donations/checkout/")) else API + path
        limit = self.timeout if timeout is None else (self.timeout[0], timeout)
        if raw or files is not None or data is not None:
            return self._through_requests(method, path, sent, json, data, params, files, raw, limit)
        if params:
            query = urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
            path = f"{path}?{query}" if query else path
        sent["User-Agent"] = "wikisocial-web"
        body = None
        if json is not None:
            body = jsonlib.dumps(json, allow_nan=False).encode()
            sent["Content-Type"] = "application/json"
        # A kept-alive connection the gateway closed as idle can fail as it is reused (the close and the
        # request crossed): a read, which changes nothing, is sent once more on a fresh connection.
        # A write is not (the gateway may have taken it); a timeout is never repeated.
        try:
            try:
                answer = self.connections.exchange(method, self.prefix + path, sent, body, limit)
            except Stale:
                if method not in ("GET", "HEAD"):
                    raise Unreachable from None
                answer = self.connections.exchange(method, self.prefix + path, sent, body, limit)
        except TooSlow:
            metrics.API_FAILURES.inc()
            raise Unavailable("The service took too long to answer.") from None
        except (Stale, Unreachable):
            metrics.API_FAILURES.inc()
            raise Unavailable("The service cannot be reached.") from None
        return self._answer(answer)

    def _through_requests(self, method, path, sent, json, data, params, files, raw, limit) -> Any:
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                json=json,
                data=data,
                params=params,
                files=files,
                headers=sent,
                timeout=limit,
            )
        except requests.Timeout:
            metrics.API_FAILURES.inc()
            raise Unavailable("The service took too long to answer.") from None
        except requests.RequestException:
            metrics.API_FAILURES.inc()
            raise Unavailable("The service cannot be reached.") from None
        return response if raw else self._answer(response)

    @staticmethod
    def _answer(response: requests.Response | Answer) -> Any:
        if response.status_code >= 400:
            if response.status_code >= 500:
                metrics.API_FAILURES.inc()
            raise error_from(response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ApiError(502, "bad_gateway", "The service answered something unreadable.") from None

    def get(self, path: str, token: str | None = None, **kwargs) -> Any:
        return self.request("GET", path, token, **kwargs)

    def post(self, path: str, token: str | None = None, **kwargs) -> Any:
        return self.request("POST", path, token, **kwargs)

    def put(self, path: str, token: str | None = None, **kwargs) -> Any:
        return self.request("PUT", path, token, **kwargs)

    def patch(self, path: str, token: str | None = None, **kwargs) -> Any:
        return self.request("PATCH", path, token, **kwargs)

    def delete(self, path: str, token: str | None = None, **kwargs) -> Any:
        return self.request("DELETE", path, token, **kwargs)

    @staticmethod
    def idempotency_key() -> str:
        return uuid.uuid4().hex
