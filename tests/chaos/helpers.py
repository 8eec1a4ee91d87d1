"""What the chaos trials share: a client of the API, the stack's databases, waiting, parked counts."""

from __future__ import annotations

import time

import psycopg

from devstack import infra
from devstack.stack import Stack

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
