"""The site's one HTTP client of the gateway's public API: pooled keep-alive connections, timeouts,
and every failure mapped to one of two exceptions the views and error pages understand.

A page's JSON calls go through urllib3's pool directly: requests' own layer (merging settings, the
environment's proxies, cookies, hooks) cost as much CPU again as the call itself, several times a page.
Uploads, forms and the few answers passed on as they are (pictures, the checkout) still go through
requests, which encodes multipart bodies and follows the checkout's redirects."""

from __future__ import annotations

import json as jsonlib
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
import urllib3
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
    value = response.headers.get("Retry-After", "")
    return int(value) if value.isdigit() else None


class Answer:
    """What ``error_from`` reads of an answer (requests' Response has the same)."""

    def __init__(self, response: urllib3.BaseHTTPResponse):
        self.status_code = response.status
        self.reason = response.reason
        self.headers = response.headers
        self.content = response.data

    def json(self) -> Any:
        return jsonlib.loads(self.content)


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
    """``Gateway(base_url)``: one per process, shared by its threads (urllib3's pool, and requests' for
    plain requests, are thread-safe; a call opens no new connection while one is idle in the pool)."""

    def __init__(self, base_url: str, timeout: float = 5.0, connect_timeout: float = 1.0, pool_size: int = 16):
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, timeout)
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = "wikisocial-web"
        self.session.trust_env = False  # the gateway is reached directly, never through the environment's proxy
        parts = urlsplit(self.base_url)
        self.prefix = parts.path
        self.pool = urllib3.connection_from_url(self.base_url, maxsize=pool_size, block=False, retries=False)

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
        attempts = 2 if method in ("GET", "HEAD") else 1
        try:
            for attempt in range(attempts):
                try:
                    response = self.pool.urlopen(
                        method,
                        self.prefix + path,
                        body=body,
                        headers=sent,
                        timeout=urllib3.Timeout(connect=limit[0], read=limit[1]),
                        retries=False,
                        redirect=False,
                    )
                    break
                except urllib3.exceptions.ProtocolError:
                    if attempt + 1 == attempts:
                        raise
        except urllib3.exceptions.TimeoutError:
            metrics.API_FAILURES.inc()
            raise Unavailable("The service took too long to answer.") from None
        except urllib3.exceptions.HTTPError:
            metrics.API_FAILURES.inc()
            raise Unavailable("The service cannot be reached.") from None
        return self._answer(Answer(response))

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
