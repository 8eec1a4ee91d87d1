"""The reply a caller gets: its body, the error it sees for what went wrong, and that error's kind.

Errors cross the bus as nameko serialises them; a fault of the database that the caller can act on is
first turned into the service error it means (``answerable``). An answer made of parts, some of them
kept answers, is written with each kept part's text as it is (``Parts``).
"""

from __future__ import annotations

import json
import logging

from nameko.exceptions import IncorrectSignature, MalformedRequest, MethodNotFound, UnserializableValueError, serialize
from sqlalchemy import exc as sa_exc

from svclib import jsontext, kept
from svclib.events import TRANSIENT, classify
from svclib.exceptions import Conflict, Invalid, ServiceError, Unavailable

log = logging.getLogger(__name__)


class Parts(dict):
    """An answer of named parts, some of them kept answers (a post read for its reader beside the kept page
    of its discussion): its reply puts each kept part's JSON text in as it is, made once while it is kept, so
    the kept part is not encoded again for every caller. Its parts are written in their order: a caller who
    knows the last part's name takes that part's text without decoding it (``gateway.rpc``), to know a part
    it has seen before by its text while the others change. The frame (``{"result": {``, each ``"name": ``
    and the ``, `` between parts) is written with those spaces; each part's own text is compact
    (``svclib.jsontext``)."""


def encoded_answer(result, exc_info) -> str:
    """The reply's body: ``{"result": ..., "error": ...}``. A kept answer's JSON text is made once
    while it is kept (``svclib.kept.encoded``) and put in as it is, whole or as one of ``Parts``. Results are
    written by ``svclib.jsontext`` (orjson), the reply's frame and errors by ``json``."""
    if exc_info is None:
        if isinstance(result, Parts):
            members = ", ".join(f"{json.dumps(name)}: {_text(part)}" for name, part in result.items())
            return f'{{"result": {{{members}}}, "error": null}}'
        return f'{{"result": {_text(result)}, "error": null}}'  # the same text, kept or not
    return json.dumps({"result": result, "error": serialize(exc_info[1])})


def _text(value) -> str:
    """A value's JSON text: a kept answer's made once while it is kept."""
    text = kept.encoded(value, jsontext.dumps)
    return jsontext.dumps(value) if text is None else text


def answerable(exc_info):
    """The error a caller should see: a database fault as ``Unavailable`` (retry), a unique or
    foreign key clash between racing requests as ``Conflict``, a value the database cannot hold
    (out of its type's range, not of its type) as ``Invalid``; anything else as it is."""
    exc = exc_info[1]
    if isinstance(exc, ServiceError):
        return exc_info
    if isinstance(exc, sa_exc.IntegrityError):
        replacement = Conflict("Another request changed the same thing at the same time. Try again.")
    elif isinstance(exc, sa_exc.DataError):
        log.warning("a value the database refused: %s", exc.orig)
        replacement = Invalid("A value is out of range or of the wrong kind.")
    elif classify(exc) == TRANSIENT:
        replacement = Unavailable()
    else:
        return exc_info
    replacement.__cause__ = exc
    return type(replacement), replacement, exc_info[2]


def error_kind(exc: BaseException) -> str:
    """``declared`` (an error the service declares: the caller's mistake), ``rejected`` (a request
    nameko could not run: unknown method, wrong arguments, malformed) or ``fault``."""
    if isinstance(exc, ServiceError) and not isinstance(exc, Unavailable):
        return "declared"
    if isinstance(exc, MalformedRequest | MethodNotFound | IncorrectSignature):
        return "rejected"
    return "fault"


def unencodable(result, exc_info):
    try:
        error = UnserializableValueError(result) if exc_info is None else UnserializableValueError(exc_info[1])
    except Exception:  # even its repr failed
        error = UnserializableValueError("the answer")
    error.repr_value = error.repr_value[:200]
    return type(error), error, None
