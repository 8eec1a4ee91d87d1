"""A client of the platform's HTTP API as an app is: JSON over HTTP, nothing else.

The end-to-end suite (tests/e2e) and the fault trials (tests/chaos) drive a stack through it.
"""

from __future__ import annotations

import time
import uuid

import requests

PASSWORD = "a long enough password"  # every account a test registers signs in with it


class Api:
    def __init__(self, base_url: str):
        self.base = base_url
        self.session = requests.Session()

    def request(
        self, method: str, path: str, token: str | None = None, timeout: float = 30, **kwargs
    ) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.session.request(method, self.base + path, headers=headers, timeout=timeout, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    @staticmethod
    def ok(response: requests.Response):
        """The answer's JSON (None when empty), asserting it is a success."""
        assert response.status_code < 300, f"{response.status_code} {response.text[:300]}"
        return response.json() if response.content else None

    def register(self, prefix: str = "user", attempts: int = 1) -> tuple[dict, str]:
        """A new person with a unique name, signed in: (private view, token). With ``attempts``
        above 1, a 503 (a stack still starting, a service being restarted) is tried again a second later."""
        username = f"{prefix}_{uuid.uuid4().hex[:10]}"
        body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
        for attempt in range(attempts):
            response = self.post("/api/v1/auth/register", json=body)
            if response.status_code != 503 or attempt == attempts - 1:
                break
            time.sleep(1)
        assert response.status_code == 201, response.text
        return response.json()["user"], response.json()["token"]
