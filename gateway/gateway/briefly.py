"""Answers a gateway process keeps briefly, and drops when it is told they changed.

Each is kept for ``ttl`` seconds at most (the least recently kept dropped beyond ``max_entries``). A drop
(``drop``: some keys, those whose answer matches, or everything) is counted: an answer asked for before a
drop may be from before the change it tells, so ``keep`` is handed the count taken before asking
(``drops()``) and keeps nothing if a drop came in between. The callers (``gateway.auth.TokenCache``) and
subwikis' summaries (``gateway.summaries``) are kept this way.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any

ABSENT = object()  # what ``get`` answers for nothing kept, when None is an answer that may be kept


class Briefly:
    def __init__(self, ttl: float, max_entries: int):
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[Any, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._drops = 0

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return default
            if entry[1] < time.monotonic():
                del self._entries[key]
                return default
            return entry[0]

    def drops(self) -> int:
        """How many drops so far: ``keep``'s ``seen``, taken before the answers are asked for."""
        return self._drops

    def keep(self, answers: dict, seen: int | None = None) -> None:
        """Keep each of ``answers`` (by key) for ``ttl`` seconds, unless a drop came since ``seen``."""
        if self.ttl <= 0:
            return
        expires = time.monotonic() + self.ttl
        with self._lock:
            if seen is not None and seen != self._drops:
                return
            for key, answer in answers.items():
                self._entries[key] = (answer, expires)
                self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def drop(self, keys: Iterable[Hashable] = (), where: Callable[[Any], bool] | None = None, every: bool = False):
        """Drop the answers of ``keys``, those ``where`` says of, or ``every`` one; counted either way."""
        with self._lock:
            self._drops += 1
            if every:
                self._entries.clear()
                return
            for key in keys:
                self._entries.pop(key, None)
            if where is not None:
                for key in [k for k, (answer, _) in self._entries.items() if where(answer)]:
                    del self._entries[key]
