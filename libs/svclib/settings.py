"""Settings from environment variables, each with a default that works locally."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"

# Small by default: every replica of every service holds up to pool + overflow connections, so five services
# at two replicas each hold at most 2 x 5 x 8 (+ a listening connection in identity, communities, content and
# the feed per replica): 88 of PostgreSQL's default 100, leaving 12 for operators, tools and migrations. A replica's
# two processes (svclib.serve) share them, half each: event handlers, in the background process, never take
# the requests process's (but those of a lane it serves, svclib.roles.REQUESTS_LANES).
# tests/deploy/test_connections.py checks the sum against the deploy files. No overflow: SQLAlchemy closes
# an overflow connection as soon as it is handed back, so under a burst of requests a process would open and
# close PostgreSQL sessions (a backend forked and authenticated each time: 111 in 12 s were seen with 4 + 4
# under 8 searches at once); a pool of 8 keeps what it opened, the same 8 at most.
DEFAULT_POOL_SIZE = 8
DEFAULT_MAX_OVERFLOW = 0


def env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value in (None, "") else value


def configured(config: dict, name: str, default: str = "") -> str:
    """A setting from a service's config, else the environment, else ``default``."""
    value = config.get(name)
    if value in (None, ""):
        value = os.environ.get(name)
    return default if value in (None, "") else str(value).strip()


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


def amqp_uri() -> str:
    return env("AMQP_URI", DEFAULT_AMQP_URI)


def data_dir() -> Path:
    return Path(env("DATA_DIR", "var")).resolve()


def database_url(service: str) -> str:
    """`<SERVICE>_DATABASE_URL`, else the embedded default: one SQLite file per service."""
    url = os.environ.get(f"{service.upper()}_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{data_dir() / (service + '.db')}"
