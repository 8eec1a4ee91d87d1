"""The donations service's own dependencies."""

from __future__ import annotations

from datetime import datetime

from nameko.extensions import DependencyProvider

from donations import providers
from svclib.db import utcnow


class SystemClock:
    def now(self) -> datetime:
        return utcnow()


class Clock(DependencyProvider):
    """What time it is, as one dependency, so that pledges can be tested a month ahead."""

    def get_dependency(self, worker_ctx) -> SystemClock:
        return SystemClock()


class ProviderSettings(DependencyProvider):
    """Checks the payment provider's settings when the service starts: a service that could be
    made to mark donations paid by anyone (the offline provider outside development mode, a
    provider without its secrets) does not start."""

    def setup(self) -> None:
        try:
            providers.provider_from(self.container.config)
        except providers.ProviderSettingsError as exc:
            raise RuntimeError(f"donations cannot start: {exc}") from None

    def get_dependency(self, worker_ctx) -> None:
        return None
