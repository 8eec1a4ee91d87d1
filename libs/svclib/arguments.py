"""What every service refuses in an RPC's arguments before a worker runs, whoever the caller is.

The gateway refuses the same at its door; these checks hold for a caller that reaches a service
another way (another service, a script, a tampered message):

- text PostgreSQL cannot store (NUL, lone UTF-16 surrogates) in any string or key;
- integers beyond 64 bits, numbers that are not finite, nesting deeper than ``MAX_DEPTH``;
- an argument whose annotation on the ``@rpc`` method is ``int``, ``float``, ``str``, ``bool``,
  ``list`` or ``dict`` (alone or with ``None``) given a value of another type.

Each is ``Invalid`` (400 at the gateway), found without recursion.
"""

from __future__ import annotations

import inspect
import math
import re
import types
import typing

from svclib.exceptions import Invalid

MAX_DEPTH = 100
MAX_INT = 2**63 - 1
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> bool:
    """False for text PostgreSQL cannot store: NUL, or a lone surrogate."""
    if text.isascii():  # fast for long ASCII (an upload's base64)
        return "\x00" not in text
    return _UNSTORABLE.search(text) is None


def _refuse(where: str, message: str) -> Invalid:
    return Invalid(message, fields={where: [message]})


def check_values(values: dict) -> None:
    """Every value storable and bounded (see the module's docstring); ``values`` maps names to values."""
    stack = [(value, name, 1) for name, value in values.items()]
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, str):
            if not storable(value):
                raise _refuse(where, "Contains a character that cannot be stored (NUL or a lone surrogate).")
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if not -MAX_INT <= value <= MAX_INT:
                raise _refuse(where, "A number is out of range.")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise _refuse(where, "Numbers must be finite.")
        elif isinstance(value, dict | list | tuple):
            if depth > MAX_DEPTH:
                raise _refuse(where, f"Nested deeper than {MAX_DEPTH} levels.")
            if isinstance(value, dict):
                for key, item in value.items():
                    if isinstance(key, str) and not storable(key):
                        raise _refuse(where, "Contains a character that cannot be stored (NUL or a lone surrogate).")
                    stack.append((item, where, depth + 1))
            else:
                stack.extend((item, where, depth + 1) for item in value)


_NAMES = {int: "an integer", float: "a number", str: "text", bool: "true or false", list: "a list", dict: "an object"}


def expected_types(function) -> dict[str, tuple[tuple[type, ...], bool]]:
    """Per parameter annotated with simple types: (the types, whether None is allowed: annotated, or the default)."""
    try:
        hints = typing.get_type_hints(function)
        parameters = inspect.signature(function).parameters
    except Exception:  # an annotation that names something not importable here: nothing checked
        return {}
    expected = {}
    for name, hint in hints.items():
        if name not in parameters:
            continue
        union = isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union
        parts = typing.get_args(hint) if union else (hint,)
        allowed, optional = [], parameters[name].default is None
        for part in parts:
            part = typing.get_origin(part) or part  # list[str] -> list
            if part is type(None):
                optional = True
            elif part in _NAMES:
                allowed.append(part)
            else:
                break  # Any, a class: not checked
        else:
            if allowed:
                expected[name] = (tuple(allowed), optional)
    return expected


def check_types(arguments: dict, expected: dict[str, tuple[tuple[type, ...], bool]]) -> None:
    for name, value in arguments.items():
        if name not in expected:
            continue
        allowed, optional = expected[name]
        if value is None:
            ok = optional
        elif isinstance(value, bool):
            ok = bool in allowed
        elif isinstance(value, int) and float in allowed:
            ok = True
        else:
            ok = isinstance(value, allowed)
        if not ok:
            wanted = " or ".join(_NAMES[t] for t in allowed) + (" or null" if optional else "")
            raise _refuse(name, f"Expected {wanted}.")
