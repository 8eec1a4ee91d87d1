"""What the chaos trials share: a client of the API, the stack's databases, waiting, parked counts."""

from __future__ import annotations

import time
import uuid

import psycopg
import requests

from devstack import infra
from devstack.stack import Stack

PASSWORD = "a long enough password"
DEADLINE = 180  # no trial waits for convergence longer than this


class Databases:
    """The stack's own databases: counts, deadlocks, and terminating their connections."""

    def __init__(self, postgres: infra.Postgres, names: dict[str, str]):
        self.postgres = postgres
        self.names = names

    def url(self, service: str) -> str:
        return self.postgres.url(self.names[service]).replace("postgresql+psycopg://", "postgresql://")

    def query(self, service: str, sql: str, *args) -> list[tuple]:
        with psycopg.connect(self.url(service), autocommit=True) as conn:
            return conn.execute(sql, args or None).fetchall()

    def scalar(self, service: str, sql: str, *args):
        return self.query(service, sql, *args)[0][0]

    def deadlocks(self) -> int:
        names = list(self.names.values())
        with psycopg.connect(self.url("identity"), autocommit=True) as conn:
            conn.execute("SELECT pg_stat_clear_snapshot()")
            return int(
                conn.execute(
                    "SELECT coalesce(sum(deadlocks), 0) FROM pg_stat_database WHERE datname = ANY(%s)", (names,)
                ).fetchone()[0]
            )

    def terminate(self, *services: str) -> int:
        """pg_terminate_backend on every connection to these services' databases (never another's)."""
        names = [self.names[s] for s in services or self.names]
        with psycopg.connect(self.url("identity"), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
                (names,),
            ).fetchall()
        return len(rows)


def service_processes(stack: Stack, service: str) -> list[str]:
    return [key for key in stack.processes if key == service or key.startswith(f"{service}#")]


class Api:
    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()

    def request(self, method: str, path: str, token: str | None = None, timeout: float = 30, **kwargs):
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

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    @staticmethod
    def ok(response):
        assert response.status_code < 300, f"{response.status_code} {response.text[:300]}"
        return response.json() if response.content else None

    def register(self, prefix: str) -> tuple[dict, str]:
        username = f"{prefix}_{uuid.uuid4().hex[:8]}"
        body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
        for _ in range(20):  # the stack may be starting still
            response = self.post("/api/v1/auth/register", json=body)
            if response.status_code != 503:
                break
            time.sleep(1)
        data = self.ok(response)
        return data["user"], data["token"]


def wait_until(check, timeout: float = DEADLINE, interval: float = 0.5):
    """Poll ``check`` until true; the seconds it took, or None when it never became true in time."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return round(time.monotonic() - started, 2)
        time.sleep(interval)
    return round(time.monotonic() - started, 2) if check() else None


def parked(broker_node, stack) -> dict[str, int]:
    """Messages in every dead-letter queue of the stack's event handlers, by queue, where any."""
    from svclib import dlq

    modules = [f"{name}.service" for name in infra.SERVICES]
    counts = dlq.counts(modules, broker_node.uri)
    return {queue: count for queue, count in counts.items() if count}
