"""A service's two roles: answering requests, and the background work that keeps its data.

Every service runs as two processes (``python -m svclib.serve``, the same under ``make run``,
compose and Kubernetes):

- ``requests``: the RPC entrypoints, what a person waits for (a sign-in, a vote, a page);
- ``background``: everything else (event handlers, timers), the read models and recomputations
  that may lag a moment behind, at a lower CPU priority (``BACKGROUND_NICE``, 10 by default).

Except the event handlers of the lanes named in ``REQUESTS_LANES`` (``svclib.events``: handlers declared
with ``lane=``; a comma-separated list, none by default): what they apply is what someone is waiting to
see, so they run beside the requests, at the requests' priority, within their lane's few slots. On a busy
machine a niced process gets too little CPU for them to keep up: they would wait there seconds, whatever
slots they had.

Each has its own eventlet hub, worker pool and database pool, so a sign-in never waits in a hub
behind a burst of events, and on a busy machine the kernel hands the CPU to requests first (a
niced process gets about a tenth of a core that an ordinary one wants). ``all`` (the default of a
plain ``nameko run``, and of the tests' in-process containers) serves both in one process.

The role is chosen by ``SERVICE_ROLE`` (config.yml takes it from the environment); nameko builds
every container through :class:`RoleContainer` (config.yml's ``SERVICE_CONTAINER_CLS``).
"""

from __future__ import annotations

import logging
import os

from nameko.containers import ServiceContainer
from nameko.extensions import iter_extensions
from nameko.rpc import Rpc
from nameko.utils.concurrency import SpawningSet

from svclib import heap
from svclib.settings import configured

log = logging.getLogger(__name__)

ALL, REQUESTS, BACKGROUND = "all", "requests", "background"
ROLES = (ALL, REQUESTS, BACKGROUND)
DEFAULT_BACKGROUND_NICE = 10


def role_of(config: dict) -> str:
    role = str(config.get("SERVICE_ROLE") or ALL).strip().lower()
    if role not in ROLES:
        raise ValueError(f"SERVICE_ROLE is one of {', '.join(ROLES)}, not {role!r}")
    return role


def requests_lanes(config: dict) -> frozenset[str]:
    """The event lanes served by the requests process (``REQUESTS_LANES``: the config's, else the environment's)."""
    return frozenset(lane.strip() for lane in configured(config, "REQUESTS_LANES").split(",") if lane.strip())


def serves(role: str, entrypoint, lanes: frozenset[str] = frozenset()) -> bool:
    """Whether a process of ``role`` runs ``entrypoint``: RPCs and the event handlers of ``lanes`` answer
    requests, anything else is background."""
    if role == ALL:
        return True
    on_requests = isinstance(entrypoint, Rpc) or getattr(entrypoint, "lane", None) in lanes
    return on_requests == (role == REQUESTS)


class RoleContainer(ServiceContainer):
    """nameko's container, keeping only the entrypoints of its role (``SERVICE_ROLE``); a background
    process lowers its own CPU priority first (``BACKGROUND_NICE``)."""

    def __init__(self, service_cls, config):
        super().__init__(service_cls, config)
        self.role = role_of(config)
        if self.role == ALL:
            return
        lanes = requests_lanes(config)
        self.entrypoints = SpawningSet(e for e in self.entrypoints if serves(self.role, e, lanes))
        # Shared extensions (the RPC queue consumer, the event queue consumer) come with the
        # entrypoints that use them: only those of the kept entrypoints are set up and started.
        self.subextensions = SpawningSet()
        for extension in (*self.dependencies, *self.entrypoints):
            self.subextensions.update(iter_extensions(extension))
        if self.role == BACKGROUND:
            lower_priority(int(config.get("BACKGROUND_NICE") or DEFAULT_BACKGROUND_NICE))

    def start(self):
        log.info("%s: serving as %s (%s entrypoints)", self.service_name, self.role, len(self.entrypoints))
        super().start()
        heap.settle_unless_off(f"{self.service_name} ({self.role})", configured(self.config, "GC_FREEZE_ON_START"))


def lower_priority(increment: int) -> None:
    """Raise this process's nice value by ``increment`` (any process may lower its own priority)."""
    if increment > 0:
        try:
            os.nice(increment)
        except OSError as exc:  # not where a process may not change it: serve anyway
            log.warning("could not lower the background process's priority: %s", exc)
