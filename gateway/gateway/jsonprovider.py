"""The gateway's JSON bodies, written by orjson: Flask's own provider writes with the standard library's
``json``, which was a sixth of the gateway's CPU under ``make load`` (each feed page it presents anew).

The values are Flask's: a date as an HTTP date, a ``Decimal`` or a ``UUID`` as a string, a dataclass as its
fields, markup by its ``__html__``; keys in their order (the gateway never sorts them). The text is compact
and UTF-8 (JSON's own encoding; Flask escaped every character beyond ASCII as ``\\u....``), a float that is
not a number ``null`` (Flask wrote ``NaN``, which is not JSON). What orjson cannot write (an integer beyond 64
bits, a key that is not a string), and any other way of writing asked for (indented in debug mode, keys
sorted), Flask's provider writes as before. Requests' bodies are still read by Flask's provider.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider

# Dates and dataclasses go to Flask's ``default``, which writes them as Flask always did.
OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
COMPACT = {(",", ":")}


class JSONProvider(DefaultJSONProvider):
    sort_keys = False

    def _written(self, obj: Any) -> bytes | None:
        """``obj`` as compact JSON, or None when orjson cannot write it."""
        if self.sort_keys:
            return None
        try:
            return orjson.dumps(obj, default=self.default, option=OPTIONS)
        except TypeError:  # orjson.JSONEncodeError is one, and so is what ``default`` raises
            return None

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if not kwargs or (kwargs.keys() == {"separators"} and tuple(kwargs["separators"]) in COMPACT):
            written = self._written(obj)
            if written is not None:
                return written.decode()
        return super().dumps(obj, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(*args, **kwargs)
        written = self._written(self._prepare_response_obj(args, kwargs))
        if written is None:
            return super().response(*args, **kwargs)
        return self._app.response_class(written + b"\n", mimetype=self.mimetype)
