"""The site's one HTTP client of the gateway's public API: pooled connections, timeouts,
and every failure mapped to one of two exceptions the views and error pages understand."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

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


def _retry_after(response: requests.Response) -> int | None:
    value = response.headers.get("Retry-After", "")
    return int(value) if value.isdigit() else None


def error_from(response: requests.Response) -> ApiError:
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
    """``Gateway(base_url)``: one per process, shared by its threads (requests' pool is thread-safe
    for plain requests; each call opens no new connection while one is idle in the pool)."""

    def __init__(self, base_url: str, timeout: float = 5.0, connect_timeout: float = 1.0, pool_size: int = 16):
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, timeout)
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = "wikisocial-web"

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
        url = self.base_url + (path if path.startswith(("/api/", "/donations/checkout/")) else API + path)
        limit = self.timeout if timeout is None else (self.timeout[0], timeout)
        try:
            response = self.session.request(
                method, url, json=json, data=data, params=params, files=files, headers=sent, timeout=limit
            )
        except requests.Timeout:
            metrics.API_FAILURES.inc()
            raise Unavailable("The service took too long to answer.") from None
        except requests.RequestException:
            metrics.API_FAILURES.inc()
            raise Unavailable("The service cannot be reached.") from None
        if raw:
            return response
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
