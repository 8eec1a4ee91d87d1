"""The donations service's own dependencies."""

from __future__ import annotations

from datetime import datetime

from nameko.extensions import DependencyProvider

from svclib.db import utcnow


class SystemClock:
    def now(self) -> datetime:
        return utcnow()


class Clock(DependencyProvider):
    """What time it is, as one dependency, so that pledges can be tested a month ahead."""

    def get_dependency(self, worker_ctx) -> SystemClock:
        return SystemClock()
