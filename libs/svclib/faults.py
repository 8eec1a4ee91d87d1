"""Faults a service logs with the request id its caller got, so one grep finds both sides of a 500.

The gateway sends its request id (the ``X-Request-Id`` it answers with) as nameko context data
(``nameko.request_id``); calls a worker makes pass it on. Every service declares::

    faults = FaultLog()

and every worker that ends in an error its caller sees as a 500 (anything but a ``ServiceError``,
which the gateway maps to a 4xx or 503) is logged at ERROR with that id and its traceback.
A request refused before any worker ran (not decodable, an unknown method, wrong arguments) is
logged by ``svclib.rpc`` the same way.
"""

from __future__ import annotations

import logging

from nameko.extensions import DependencyProvider

from svclib.exceptions import ServiceError

log = logging.getLogger("svclib.faults")

REQUEST_ID = "request_id"


def is_fault(exc: BaseException | None) -> bool:
    """True for an error the caller is answered as a fault of ours (a 500), not as its own mistake."""
    return exc is not None and not isinstance(exc, ServiceError)


def log_fault(where: str, request_id, exc_info) -> None:
    log.error(
        "%s failed (request_id=%s): %s: %s",
        where,
        request_id or "-",
        type(exc_info[1]).__name__,
        exc_info[1],
        exc_info=exc_info if exc_info[2] is not None else None,
    )


class FaultLog(DependencyProvider):
    """Logs every worker's unexpected error with the caller's request id (a worker hook, no dependency)."""

    def get_dependency(self, worker_ctx):
        return None

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        if exc_info is None or not is_fault(exc_info[1]):
            return
        entrypoint = worker_ctx.entrypoint
        where = f"{worker_ctx.service_name}.{getattr(entrypoint, 'method_name', '?')}"
        log_fault(where, worker_ctx.context_data.get(REQUEST_ID), exc_info)
