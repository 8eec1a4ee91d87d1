"""The AsyncAPI document of the events declared with a contract (``svclib.contracts``).

    python -m svclib.asyncapi identity.events communities.events ... > docs/asyncapi.yaml

writes it for the registry of the modules named (``make asyncapi`` names every service's ``events``
module; tests/deploy/test_asyncapi.py fails while docs/asyncapi.yaml is not what this writes).
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing

import yaml

from svclib.contracts import ABSENT, SCHEMA_VERSION_HEADER, Event, load


def asyncapi(events: dict[tuple[str, str], type[Event]], title: str = "Events", version: str = "1") -> dict:
    """An AsyncAPI 2.6 document: a channel per event type (the producer's topic exchange, the type
    as routing key), its message's payload and headers, and a schema per event type."""
    channels, messages, schemas = {}, {}, {}
    for (producer, event_type), cls in sorted(events.items()):
        name = cls.__name__
        schemas[name] = _object_schema(cls, cls.__doc__)
        messages[name] = {
            "name": event_type,
            "title": name,
            "contentType": "application/json",
            "headers": {
                "type": "object",
                "properties": {SCHEMA_VERSION_HEADER: {"type": "integer", "const": cls.schema_version}},
                "required": [SCHEMA_VERSION_HEADER],
            },
            "payload": {
                "type": "object",
                "properties": {
                    "event_id": {"type": "string", "format": "uuid"},
                    "occurred_at": {"type": "string", "format": "date-time"},
                    cls.entity: {"$ref": f"#/components/schemas/{name}"},
                },
                "required": ["event_id", "occurred_at", cls.entity],
            },
        }
        channels[f"{producer}.events/{event_type}"] = {
            "description": f"{producer} publishes {event_type} (schema version {cls.schema_version}).",
            "bindings": {
                "amqp": {
                    "is": "routingKey",
                    "exchange": {"name": f"{producer}.events", "type": "topic", "durable": True, "vhost": "/"},
                    "bindingVersion": "0.2.0",
                }
            },
            "subscribe": {
                "operationId": f"{producer}_{event_type}",
                "bindings": {"amqp": {"cc": [event_type], "deliveryMode": 2, "bindingVersion": "0.2.0"}},
                "message": {"$ref": f"#/components/messages/{name}"},
            },
        }
    return {
        "asyncapi": "2.6.0",
        "info": {"title": title, "version": version},
        "defaultContentType": "application/json",
        "channels": channels,
        "components": {"messages": messages, "schemas": schemas},
    }


def _object_schema(cls: type, description: str | None = None) -> dict:
    hints = typing.get_type_hints(cls)
    properties, required = {}, []
    for field in dataclasses.fields(cls):
        properties[field.name] = _json_schema(hints[field.name])
        if field.default is not ABSENT:
            required.append(field.name)
    schema: dict = {"type": "object"}
    if description:
        schema["description"] = " ".join(description.split())
    schema.update(properties=properties, required=required)
    return schema


_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean", dict: "object", list: "array"}


def _json_schema(annotation) -> dict:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (types.UnionType, typing.Union):
        options = [arg for arg in args if arg is not type(None)]
        inner = _json_schema(options[0]) if len(options) == 1 else {"oneOf": [_json_schema(o) for o in options]}
        if type(None) in args:
            if "type" in inner and isinstance(inner["type"], str):
                return {**inner, "type": [inner["type"], "null"]}
            return {"oneOf": [inner, {"type": "null"}]}
        return inner
    if origin is list:
        return {"type": "array", "items": _json_schema(args[0]) if args else {}}
    if origin is dict:
        return {"type": "object"}
    if dataclasses.is_dataclass(annotation):
        return _object_schema(annotation, annotation.__doc__)
    if annotation in _JSON_TYPES:
        return {"type": _JSON_TYPES[annotation]}
    raise TypeError(f"no JSON schema for {annotation!r}")


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m svclib.asyncapi MODULE [MODULE ...]", file=sys.stderr)
        return 2
    document = asyncapi(load(argv), title="Wikisocial events")
    sys.stdout.write(yaml.safe_dump(document, sort_keys=False, width=120))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
