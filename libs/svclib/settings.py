"""Settings from environment variables, each with a default that works locally."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"


def env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value in (None, "") else value


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
