"""Waiting at start-up for what a process needs (its database, the broker), with back-off.

A replica that starts while PostgreSQL restarts, or before the broker answers,
waits and retries rather than dying in its first migration; it gives up, and
the process exits for its supervisor to start again, after ``STARTUP_WAIT_SECONDS``.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from svclib import settings

log = logging.getLogger(__name__)

T = TypeVar("T")


def wait_seconds() -> float:
    return float(settings.env("STARTUP_WAIT_SECONDS", "120"))


def with_backoff(
    action: Callable[[], T],
    what: str,
    transient: Callable[[Exception], bool],
    timeout: float | None = None,
    first_delay: float = 0.5,
    max_delay: float = 10.0,
) -> T:
    """``action()``, tried again after a transient failure with jittered, doubling delays until ``timeout``."""
    deadline = time.monotonic() + (wait_seconds() if timeout is None else timeout)
    delay = first_delay
    while True:
        try:
            return action()
        except Exception as exc:
            if not transient(exc) or time.monotonic() + delay > deadline:
                raise
            log.warning("%s not ready (%s); trying again in %.1fs", what, exc, delay)
            time.sleep(random.uniform(delay / 2, delay))
            delay = min(delay * 2, max_delay)
