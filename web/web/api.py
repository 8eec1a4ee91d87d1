"""The site's one HTTP client of the gateway's public API: pooled keep-alive connections, timeouts,
and every failure mapped to one of two exceptions the views and error pages understand.

A page's JSON calls go through libcurl (pycurl), one handle and its kept-alive connections per thread,
and their answers are read with orjson: a call cost the site about half the CPU it did through urllib3,
whose answer's headers Python's email parser reads, and whose JSON the standard library decodes (and a
third of what requests' own layer added on top). Uploads, forms and the few answers passed on as they
are (pictures, the checkout) still go through requests, which encodes multipart bodies and follows the
checkout's redirects."""

from __future__ import annotations

import json as jsonlib
import threading
import uuid
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any
from urllib.parse import quote, urlencode

import certifi
import orjson
import pycurl
import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

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
    value = response.headers.get("Retry-After", "")
    return int(value) if value.isdigit() else None


class Answer:
    """What ``error_from`` reads of an answer (requests' Response has the same); its header lines are
    read only when asked for (an error's Retry-After)."""

    def __init__(self, status: int, head: list[bytes], content: bytes):
        self.status_code = status
        self._head = head
        self.content = content

    @property
    def reason(self) -> str:
        status_line = self._head[0].decode("latin-1").split(" ", 2) if self._head else []
        return status_line[2].strip() if len(status_line) == 3 else ""

    @property
    def headers(self) -> CaseInsensitiveDict:
        headers = CaseInsensitiveDict()
        for line in self._head[1:]:
            name, colon, value = line.decode("latin-1").partition(":")
            if colon:
                headers[name.strip()] = value.strip()
        return headers

    def json(self) -> Any:
        return orjson.loads(self.content)

    @property
    def etag(self) -> str | None:
        """The answer's ``ETag`` as sent (quoted), or None."""
        for line in self._head[1:]:
            if line[:5].lower() == b"etag:":
                return line[5:].strip().decode("latin-1") or None
        return None


class NotModified:
    """What ``Gateway.read`` answers when the answer is still the one whose tag the caller holds."""

    def __repr__(self) -> str:
        return "NOT_MODIFIED"


NOT_MODIFIED = NotModified()


def api_path(path: str) -> str:
    """The gateway's path for a call: the API's own (``/users/ada``) under ``/api/v1``; one of the gateway's
    other addresses (the checkout) as it is."""
    return path if path.startswith(("/api/", "/donations/checkout/")) else API + path


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
    """``Gateway(base_url)``: one per process, shared by its threads. Each thread calls through its own
    libcurl handle, which keeps its connections alive between calls (requests' pool, thread-safe, serves
    the plain requests)."""

    def __init__(self, base_url: str, timeout: float = 5.0, connect_timeout: float = 1.0, pool_size: int = 16):
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, timeout)
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = "wikisocial-web"
        self.session.trust_env = False  # the gateway is reached directly, never through the environment's proxy
        self._handles = threading.local()
        # Over https, the gateway's certificate is checked against the same authorities as requests' (certifi).
        self._authorities = certifi.where() if self.base_url.startswith("https:") else None

    def _handle(self) -> pycurl.Curl:
        """This thread's libcurl handle: its options are set again for every call (``reset`` keeps the
        handle's live connections)."""
        handle = getattr(self._handles, "curl", None)
        if handle is None:
            handle = self._handles.curl = pycurl.Curl()
        else:
            handle.reset()
        return handle

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
        sent = self._sent(headers, token, request_id, traceparent)
        path = api_path(path)
        limit = self.timeout if timeout is None else (self.timeout[0], timeout)
        if raw or files is not None or data is not None:
            return self._through_requests(method, path, sent, json, data, params, files, raw, limit)
        return self._answer(self._curl(method, path, sent, json, params, limit))

    def read(
        self,
        path: str,
        token: str | None = None,
        *,
        etag: str | None = None,
        params: dict | None = None,
        fresh: bool = False,
        request_id: str | None = None,
        traceparent: str | None = None,
    ) -> tuple[Any, str | None]:
        """A GET's answer and its tag (the gateway's ``ETag``): ``(NOT_MODIFIED, etag)`` while the answer is
        still the one tagged ``etag`` (the caller holds it), else ``(answer, its tag or None)``. With ``fresh``,
        the gateway is asked to work the answer out rather than answer from a tag it holds (``Cache-Control:
        no-cache``). Raises ApiError as ``request`` does."""
        asked = {"If-None-Match": etag} if etag else {}
        if fresh:
            asked["Cache-Control"] = "no-cache"
        sent = self._sent(asked, token, request_id, traceparent)
        path = api_path(path)
        answer = self._curl("GET", path, sent, None, params, self.timeout)
        if answer.status_code == 304 and etag:
            return NOT_MODIFIED, etag
        return self._answer(answer), answer.etag

    @staticmethod
    def _sent(headers: dict | None, token: str | None, request_id: str | None, traceparent: str | None) -> dict:
        """A call's headers: ``headers``, the bearer token, the page's request id and trace context."""
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if request_id:
            sent["X-Request-Id"] = request_id
        if traceparent:
            sent["traceparent"] = traceparent  # the page's span: the gateway's continues it
        return sent

    def _curl(self, method: str, path: str, sent: dict, json: Any, params: dict | None, limit: tuple) -> Answer:
        """The call through this thread's libcurl handle: its answer, whatever its status."""
        # The path's segments are names and ids from the site's own addresses: whatever they hold (a space,
        # a letter outside ASCII, a "?" or "#") stays in its segment, percent-encoded; "%" is kept, for a
        # segment encoded already. Dot segments are sent as they are, never resolved (PATH_AS_IS).
        path = quote(path, safe="/%")
        if params:
            query = urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
            path = f"{path}?{query}" if query else path
        sent["User-Agent"] = "wikisocial-web"
        # libcurl's own defaults are not sent: a form's content type on a body-less write, and the
        # "100-continue" wait before a body of more than a kilobyte.
        sent.setdefault("Content-Type", "")
        sent["Expect"] = ""
        handle = self._handle()
        handle.setopt(pycurl.URL, self.base_url + path)
        handle.setopt(pycurl.NOSIGNAL, 1)  # timeouts without signals: the handle is used from worker threads
        handle.setopt(pycurl.PROXY, "")  # the gateway is reached directly, never through the environment's proxy
        handle.setopt(pycurl.PATH_AS_IS, 1)
        if self._authorities:
            handle.setopt(pycurl.CAINFO, self._authorities)
        handle.setopt(pycurl.CONNECTTIMEOUT_MS, int(limit[0] * 1000))
        handle.setopt(pycurl.TIMEOUT_MS, int((limit[0] + limit[1]) * 1000))
        # A kept-alive connection the gateway closed as idle can fail as it is reused (the close and the
        # request crossed): libcurl then sends the request again, once, on a fresh connection. That is
        # right for a read, which changes nothing; a write goes on a new connection instead, so that it is
        # never sent twice (the gateway may have taken it). A timeout is never repeated.
        if method not in ("GET", "HEAD"):
            handle.setopt(pycurl.FRESH_CONNECT, 1)
            handle.setopt(pycurl.CUSTOMREQUEST, method)
            if json is not None:
                sent["Content-Type"] = "application/json"
                handle.setopt(pycurl.POSTFIELDS, jsonlib.dumps(json, allow_nan=False).encode())
            elif method in ("POST", "PUT", "PATCH"):
                handle.setopt(pycurl.POSTFIELDS, b"")
        elif method == "HEAD":
            handle.setopt(pycurl.NOBODY, 1)
        handle.setopt(pycurl.HTTPHEADER, [f"{name}: {value}" if value else f"{name}:" for name, value in sent.items()])
        body, head = BytesIO(), []
        handle.setopt(pycurl.WRITEDATA, body)
        handle.setopt(pycurl.HEADERFUNCTION, head.append)
        try:
            handle.perform()
        except pycurl.error as error:
            metrics.API_FAILURES.inc()
            if error.args and error.args[0] == pycurl.E_OPERATION_TIMEDOUT:
                raise Unavailable("The service took too long to answer.") from None
            raise Unavailable("The service cannot be reached.") from None
        return Answer(handle.getinfo(pycurl.RESPONSE_CODE), head, body.getvalue())

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
