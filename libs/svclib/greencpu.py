"""CPU time spent by each green thread of this process, when asked for (``EVENT_CPU_SECONDS=1``).

On a machine shared with other work, wall-clock time says little about what an event handler costs:
it waits for the CPU, for the database and for other green threads. The CPU a green thread used is
what it costs. ``enable`` installs a greenlet tracer that, at every switch, charges the CPU time used
since the previous switch to the green thread that ran (``time.thread_time``: this OS thread only, the
hub's thread); ``spent`` reads a green thread's total so far. Off by default: the tracer is a Python
call on every switch.
"""

from __future__ import annotations

import time
import weakref

import greenlet

_spent: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_last = [0.0]
_enabled = [False]


def _trace(event: str, args) -> None:
    if event in ("switch", "throw"):
        origin = args[0]
        now = time.thread_time()
        try:
            _spent[origin] = _spent.get(origin, 0.0) + now - _last[0]
        except TypeError:  # an origin that cannot be weakly referenced: nothing to charge it to
            pass
        _last[0] = now


def enable() -> None:
    """Account the CPU of every green thread of this OS thread from now on (once per process)."""
    if not _enabled[0]:
        _last[0] = time.thread_time()
        greenlet.settrace(_trace)
        _enabled[0] = True


def enabled() -> bool:
    return _enabled[0]


def spent(thread=None) -> float | None:
    """CPU seconds used so far by ``thread`` (the current green thread by default, its running slice
    included); None when accounting is off."""
    if not _enabled[0]:
        return None
    current = greenlet.getcurrent()
    thread = current if thread is None else thread
    used = _spent.get(thread, 0.0)
    if thread is current:
        used += time.thread_time() - _last[0]
    return used
