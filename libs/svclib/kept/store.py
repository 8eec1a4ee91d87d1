"""The answers a process keeps: a bounded LRU of answers tagged with what they were read from, dropped by
the changes that touch them, each read once however many ask for it at once, each encoded once."""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any

_EVERY: weakref.WeakSet[Kept] = weakref.WeakSet()  # this process's kept answers, for encoded()


def encoded(value: Any, encode: Callable[[Any], str]) -> str | None:
    """``encode(value)`` when ``value`` is an answer kept in this process, computed once while it
    is kept (the same object, so the same text); None for any other value."""
    for kept in _EVERY:
        text = kept.encoded(value, encode)
        if text is not None:
            return text
    return None


def _hashable(key: Hashable) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True


class _Read:
    """An answer being read: others asking for it meanwhile wait for this read instead of repeating it.

    ``changes`` are those announced while it was read (tag sets, None for everything); ``tags``, once
    read, what the answer depends on (None: everything)."""

    def __init__(self, began: float = 0.0):
        self.began = began  # when the read began (time.monotonic())
        self.done = threading.Event()
        self.value: Any = None
        self.tags: frozenset[str] | None = None
        self.changes: list[frozenset[str] | None] = []
        self.ok = False

    def changed(self, before: int | None = None) -> bool:
        """Whether a change announced while it was read (among the first ``before``) touches the answer."""
        return any(_touches(change, self.tags) for change in self.changes[:before])


def _touches(change: frozenset[str] | None, tags: frozenset[str] | None) -> bool:
    return change is None or tags is None or not change.isdisjoint(tags)


class TagIndex:
    """Which kept keys hold each tag (and which hold none: they depend on everything), to drop those a change
    touches. Not locked: its owner's lock guards it."""

    def __init__(self):
        self._tagged: dict[str, set[Hashable]] = {}  # tag -> the keys holding it
        self._untagged: set[Hashable] = set()

    def add(self, key: Hashable, tags: frozenset[str] | None) -> None:
        if tags is None:
            self._untagged.add(key)
        for tag in tags or ():
            self._tagged.setdefault(tag, set()).add(key)

    def discard(self, key: Hashable, tags: frozenset[str] | None) -> None:
        self._untagged.discard(key)
        for tag in tags or ():
            keys = self._tagged.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._tagged[tag]

    def touched(self, change: Iterable[str]) -> set[Hashable]:
        """The keys a change to ``change``'s tags touches: those holding any of them, and those holding none."""
        keys = set(self._untagged)
        for tag in change:
            keys |= self._tagged.get(tag, set())
        return keys

    def clear(self) -> None:
        self._tagged.clear()
        self._untagged.clear()

    def __bool__(self) -> bool:
        return bool(self._tagged or self._untagged)


class Kept:
    """The answers themselves: a bounded LRU, each answer with the tags of what it was read from.

    A change names the tags it touches (or everything): the answers holding any of them are
    dropped, the others stay. An answer untagged depends on everything. When a change drops
    them, readers asking for the same answer at once share one read of it rather than all going
    to the database together; a reader never gets an answer read before a change that touches it.
    """

    WAIT_FOR_READ_SECONDS = 5.0

    def __init__(self, max_entries: int, max_age: float):
        self.max_entries = max_entries
        self.max_age = max_age
        self.listening = False
        self.hits = 0
        self.misses = 0
        self.shared = 0
        # The same three by the kind of answer: a key's first part when it is a name (``kind_of``).
        self._kinds: dict[str, list[int]] = {}
        self._entries: OrderedDict[Hashable, tuple[frozenset[str] | None, float, Any]] = OrderedDict()
        self._tags = TagIndex()
        self._reads: dict[Hashable, _Read] = {}  # the read of each key others may join
        self._reading: set[_Read] = set()  # every read under way
        # id of each answer held in _entries -> [the answer, its encoding once asked for]
        self._encodings: dict[int, list] = {}
        self._lock = threading.Lock()
        _EVERY.add(self)

    def get_or_build(self, key: Hashable, build: Callable[[], Any], tagged: bool = False) -> Any:
        """The answer kept under ``key``, else ``build()``'s, kept. With ``tagged``, ``build`` returns
        ``(answer, tags)``: the tags of what the answer was read from (None: everything)."""
        return self.get_or_build_tagged(key, build, tagged)[0]

    def get_or_build_tagged(
        self, key: Hashable, build: Callable[[], Any], tagged: bool = True
    ) -> tuple[Any, frozenset[str] | None]:
        """``get_or_build``'s answer with the tags of what it was read from (None: everything, as an answer
        built untagged is), for a caller that tells others what the answer depends on."""
        value, tags, _ = self.get_or_build_dated(key, build, tagged)
        return value, tags

    def get_or_build_dated(
        self, key: Hashable, build: Callable[[], Any], tagged: bool = True
    ) -> tuple[Any, frozenset[str] | None, float]:
        """``get_or_build_tagged``'s answer and tags, and when (``time.monotonic()``) the read that made the answer
        began: it holds every change committed before then. A caller that tells others the answer's age lets them
        tell a change it holds from one it may not (``gateway.pagetags``)."""

        def read() -> tuple[Any, frozenset[str] | None]:
            if not tagged:
                return build(), None
            value, tags = build()
            return value, None if tags is None else frozenset(tags)

        now = time.monotonic()
        if not self.listening or self.max_entries <= 0 or not _hashable(key):
            return (*read(), now)
        with self._lock:
            entry = self._entries.get(key)
            counts = self._counts(key)
            if entry is not None and now - entry[1] < self.max_age:
                self._entries.move_to_end(key)
                self.hits += 1
                counts[0] += 1
                return entry[2], entry[0], entry[1]
            reading = self._reads.get(key)
            if reading is not None and None not in reading.changes:
                self.shared += 1
                counts[1] += 1
                joined = len(reading.changes)
            else:
                reading = self._reads[key] = _Read(now)
                self._reading.add(reading)
                self.misses += 1
                counts[2] += 1
                joined = None
        if joined is not None:
            if reading.done.wait(self.WAIT_FOR_READ_SECONDS) and reading.ok:
                if not reading.changed(joined):
                    return reading.value, reading.tags, reading.began
                # Read before a change that touches it, which this reader came after: ask anew.
                return self.get_or_build_dated(key, build, tagged)
            began = time.monotonic()
            return (*read(), began)
        try:
            reading.value, reading.tags = read()
            reading.ok = True
        finally:
            with self._lock:
                self._reading.discard(reading)
                if self._reads.get(key) is reading:
                    del self._reads[key]
                if reading.ok and self.listening and not reading.changed():
                    self._keep(key, reading.tags, now, reading.value)
            reading.done.set()
        return reading.value, reading.tags, now

    def _counts(self, key: Hashable) -> list[int]:
        """The hits, shared reads and misses of ``key``'s kind (under the lock)."""
        kind = kind_of(key)
        counts = self._kinds.get(kind)
        if counts is None:
            kind = kind if len(self._kinds) < MAX_KINDS else "other"
            counts = self._kinds.setdefault(kind, [0, 0, 0])
        return counts

    def _keep(self, key: Hashable, tags: frozenset[str] | None, now: float, value: Any) -> None:
        self._drop(key)
        self._entries[key] = (tags, now, value)
        self._encodings[id(value)] = [value, None]
        self._tags.add(key, tags)
        while len(self._entries) > self.max_entries:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        tags, _, value = entry
        self._encodings.pop(id(value), None)
        self._tags.discard(key, tags)

    def forget(self, touched: frozenset[str] | None = None) -> None:
        """A change touched the answers tagged ``touched`` (None: every answer): drop them."""
        with self._lock:
            for reading in self._reading:
                reading.changes.append(touched)
            if touched is None:
                self._entries.clear()
                self._tags.clear()
                self._encodings.clear()
                return
            for key in self._tags.touched(touched):
                self._drop(key)

    def encoded(self, value: Any, encode: Callable[[Any], str]) -> str | None:
        """``encode(value)``, computed once, while ``value`` is one of the answers kept here; else None."""
        held = self._encodings.get(id(value))
        if held is None or held[0] is not value:
            return None
        if held[1] is None:
            held[1] = encode(value)
        return held[1]

    def stats(self) -> dict:
        with self._lock:
            kinds = {
                kind: dict(zip(("hits", "shared", "misses"), counts, strict=True))
                for kind, counts in self._kinds.items()
            }
        return {
            "listening": self.listening,
            "answers": len(self._entries),
            "hits": self.hits,
            "shared": self.shared,
            "misses": self.misses,
            "kinds": kinds,
        }


MAX_KINDS = 64  # kinds of answer counted apart; any more are counted together as "other"


def kind_of(key: Hashable) -> str:
    """The kind of answer kept under ``key``, for its counts: the key's first part when that is a name (the
    services key their answers by the entrypoint or page asked for, then its arguments), else "other"."""
    first = key[0] if type(key) is tuple and key else None
    return first if type(first) is str and len(first) <= 64 else "other"
