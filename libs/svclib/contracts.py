"""Events with a contract: each event type a dataclass, declared in its producer's ``events.py``.

A producer declares what each of its events carries and emits it through the declaration::

    class PostRemoved(Event, event_type="post_removed", entity="post"):
        id: str
        removed_by: str
        reason: str = ""

    tx.emit(PostRemoved(id=post.id, removed_by=user_id))

The class is made a keyword-only dataclass when it is declared: a field left out, or one the event
does not have, fails where the event is made. Its values are checked against the annotations
(``str``, ``int``, ``float``, ``bool``, ``dict``, ``list[...]``, ``... | None``, a nested dataclass),
so an event never leaves with a value of the wrong type. A field whose default is ``ABSENT`` is
left out of the wire when not given (a key that only some events of the type carry).

On the wire nothing changes: an event is still ``{"event_id", "occurred_at", <entity>: {fields}}``
(``Transaction.emit``), and the version of its schema (``schema_version``, 1 unless the class says
otherwise) travels in the message's headers (``SCHEMA_VERSION_HEADER``). Raise the version when a
field changes meaning; a field is never renamed or dropped while a consumer reads it.

Consumers never import producers. Each consuming service declares, in its ``consumes.py``, the
fields it reads of each event it handles (``{producer: {event_type: (field, ...)}}``, a nested
field as ``"list_field.field"``); ``mismatches`` checks such a declaration against the registered
schemas, so a producer that drops or renames a field a consumer reads fails the build
(tests/integration/test_event_contracts.py).

Every declared event type is registered (``registry()``, by producer and type); the AsyncAPI
document (docs/asyncapi.yaml) is written from it (``svclib.asyncapi``, ``make asyncapi``).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import types
import typing
from typing import Any, ClassVar

SCHEMA_VERSION_HEADER = "schema_version"


class _Absent:
    """The default of a field some events of a type leave out."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()

_REGISTRY: dict[tuple[str, str], type[Event]] = {}


class Event:
    """An event type: subclass with ``event_type`` and ``entity`` (the key its fields travel under).

    A subclass without ``event_type`` declares fields shared by several types (a mixin) and is not
    registered. ``producer`` defaults to the top-level package of the declaring module (the service).
    """

    event_type: ClassVar[str] = ""
    entity: ClassVar[str] = ""
    producer: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1

    def __init_subclass__(
        cls,
        event_type: str = "",
        entity: str = "",
        schema_version: int = 1,
        producer: str = "",
        **kwargs,
    ):
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(kw_only=True)(cls)
        if not event_type:
            return
        if not entity:
            raise TypeError(f"{cls.__name__}: an event type needs the entity its fields travel under")
        cls.event_type, cls.entity, cls.schema_version = event_type, entity, schema_version
        cls.producer = producer or cls.__module__.split(".")[0]
        key = (cls.producer, event_type)
        known = _REGISTRY.get(key)
        if known is not None and (known.__module__, known.__qualname__) != (cls.__module__, cls.__qualname__):
            raise TypeError(f"{cls.producer} declares {event_type} twice: {known.__name__} and {cls.__name__}")
        _REGISTRY[key] = cls

    def __post_init__(self) -> None:
        if not self.event_type:
            raise TypeError(f"{type(self).__name__} declares fields, not an event type")
        hints = _hints(type(self))
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is not ABSENT and not _conforms(value, hints[field.name]):
                raise TypeError(f"{self.event_type}.{field.name}: {value!r} is not {hints[field.name]}")

    def wire(self) -> dict:
        """The entity's dict as consumers read it (a field left ``ABSENT`` is not there)."""
        return {
            field.name: _plain(getattr(self, field.name))
            for field in dataclasses.fields(self)
            if getattr(self, field.name) is not ABSENT
        }


def registry() -> dict[tuple[str, str], type[Event]]:
    """Every event type declared so far, by (producer, event type)."""
    return dict(_REGISTRY)


def load(modules: list[str]) -> dict[tuple[str, str], type[Event]]:
    """Import the producers' modules; the event types they declare, by (producer, event type)."""
    names = {importlib.import_module(name).__name__ for name in modules}
    return {key: cls for key, cls in _REGISTRY.items() if cls.__module__ in names}


def fields_of(event: type[Event]) -> dict[str, Any]:
    """A type's fields and their annotations; a nested dataclass's fields as ``"field.nested"`` too."""
    found = {}
    hints = _hints(event)
    for field in dataclasses.fields(event):
        annotation = hints[field.name]
        found[field.name] = annotation
        nested = _nested_dataclass(annotation)
        if nested is not None:
            for name, inner in _hints(nested).items():
                found[f"{field.name}.{name}"] = inner
    return found


def mismatches(consumer: str, consumes: dict, producers: dict[tuple[str, str], type[Event]]) -> list[str]:
    """What ``consumer`` reads (``{producer: {event_type: fields}}``) that the producers' schemas do not carry."""
    problems = []
    for producer, events in consumes.items():
        for event_type, read in events.items():
            schema = producers.get((producer, event_type))
            if schema is None:
                problems.append(f"{consumer} reads {producer}'s {event_type}, which {producer} does not declare")
                continue
            carried = fields_of(schema)
            problems += [
                f"{consumer} reads {event_type}.{name}, which {producer}'s {schema.__name__} does not carry"
                for name in read
                if name not in carried
            ]
    return problems


def handled(service: type) -> set[tuple[str, str]]:
    """The (producer, event type) pairs a nameko service class handles (its own and inherited event handlers)."""
    found = set()
    for member in (getattr(service, name) for name in dir(service)):
        for entrypoint in getattr(member, "nameko_entrypoints", ()):
            if hasattr(entrypoint, "source_service") and hasattr(entrypoint, "event_type"):
                found.add((entrypoint.source_service, entrypoint.event_type))
    return found


# --- values against annotations -----------------------------------------------------------------


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """A class's resolved annotations, worked out once (every event made checks its fields against them; resolving
    them each time was a fiftieth of a comment's CPU in content). Read only: the same dict for every caller."""
    return typing.get_type_hints(cls)


def _nested_dataclass(annotation) -> type | None:
    args = typing.get_args(annotation)
    for candidate in (annotation, *args, *(inner for arg in args for inner in typing.get_args(arg))):
        if isinstance(candidate, type) and dataclasses.is_dataclass(candidate):
            return candidate
    return None


def _conforms(value, annotation) -> bool:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (types.UnionType, typing.Union):
        return any(_conforms(value, arg) for arg in args)
    if annotation is type(None):
        return value is None
    if origin is list:
        return isinstance(value, list | tuple) and (not args or all(_conforms(v, args[0]) for v in value))
    if origin is dict:
        return isinstance(value, dict)
    if dataclasses.is_dataclass(annotation):
        return isinstance(value, annotation)
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, annotation)


def _plain(value):
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
