"""The key the site signs its session cookies with: ``WEB_SECRET_KEY``, the same on every worker and
replica, with no default outside development mode (``WIKISOCIAL_DEV_MODE=1``: ``make run`` and the tests,
never the deploy files), where one is made for the server's life.

Imports nothing but the standard library: gunicorn's settings read it in the master before the metrics'
folder is chosen, and prometheus_client, once imported, keeps the mode it found."""

from __future__ import annotations

import os
import secrets


class MissingSecret(RuntimeError):
    """The site cannot sign sessions: WEB_SECRET_KEY is not set, outside development mode."""


MISSING = (
    "WEB_SECRET_KEY is not set: the site signs sessions with it, the same on every replica "
    "(64 random hex characters). WIKISOCIAL_DEV_MODE=1 makes one for a development server."
)

_DEVELOPMENT_KEY: list[str] = []


def development_mode() -> bool:
    return os.environ.get("WIKISOCIAL_DEV_MODE", "").strip().lower() in ("1", "true", "yes")


def for_development() -> str | None:
    """A key made once for this process (and the workers it forks) in development mode, else None."""
    if not development_mode():
        return None
    if not _DEVELOPMENT_KEY:
        _DEVELOPMENT_KEY.append(secrets.token_hex(32))
    return _DEVELOPMENT_KEY[0]
