"""Errors a service declares on its RPCs; the gateway maps each by class name.

Each service subclasses these in its own ``exceptions.py`` keeping the names
(``class NotFound(IdentityError, exceptions.NotFound)``), so the gateway's one
error table knows every service's errors.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A caller's mistake, not a bug. ``details`` crosses the bus as JSON."""

    def __init__(self, message: str, **details):
        super().__init__(message, details)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class Invalid(ServiceError):
    """Bad input; ``fields`` maps field names to lists of messages."""

    def __init__(self, message: str = "Invalid input.", fields: dict | None = None, **details):
        super().__init__(message, fields=fields or {}, **details)


class Unauthenticated(ServiceError):
    pass


class Forbidden(ServiceError):
    pass


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass


class Duplicate(Conflict):
    """The same thing again, by the same person, a moment after the first (a repeated post or comment)."""


class RateLimited(ServiceError):
    def __init__(self, message: str = "Too many attempts.", retry_after: int = 60, **details):
        super().__init__(message, retry_after=int(retry_after), **details)


class PayloadTooLarge(ServiceError):
    pass


class Unavailable(ServiceError):
    """Something the service depends on (its database) failed on the way: nothing was done, try again."""

    def __init__(self, message: str = "The service could not reach its database. Try again shortly.", **details):
        super().__init__(message, **details)
