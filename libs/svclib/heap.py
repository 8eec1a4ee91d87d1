"""A long-running process's heap once it has started: what start-up made is frozen out of the collector's sight.

CPython's full collection (generation 2) walks every object it tracks. A started service holds 130,000 to
165,000 of them (modules, classes, SQLAlchemy's metadata and compiled statements, nameko's extensions,
connection pools), nearly all made at start-up and alive until it ends: each full collection under
``make load`` took 75 to 100 ms of CPU, during which nothing else in the process runs (eventlet's green
threads, a gunicorn worker's threads behind the GIL), and on a busy machine up to a second of wall time: a
page asked meanwhile waits that long. ``gc.freeze()`` once start-up is over moves those objects to a permanent
generation that no collection walks; collections then walk what was made since. (Frozen objects are still
freed by reference counting; only a cycle among them would stay, and start-up's objects live as long as
the process anyway.)
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


OFF = ("0", "false", "no", "off")


def settle_unless_off(process: str, setting: str | None) -> int:
    """:func:`settle` once ``process`` has started, unless ``setting`` (``GC_FREEZE_ON_START``; unset means on)
    turns it off; returns how many objects are frozen (0 when off)."""
    if (setting or "true").strip().lower() in OFF:
        return 0
    return settle(process)


def settle(process: str) -> int:
    """Collect what start-up left, then freeze every object still tracked; returns how many are frozen."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("%s: %d objects made at start-up frozen out of the collector's walks", process, frozen)
    return frozen
