"""Log lines of every process: JSON (time, level, service, request id, trace id), or text for people.

``LOG_FORMAT=json`` (the default: what a log collector reads) writes one JSON object a line;
``LOG_FORMAT=text`` (``make run``) a line a person reads. The request id and trace id are
those of the work the line was written for: a gateway or site request (bound with
:func:`bind` for the request's thread) or a service's worker (bound to its greenthread
with :func:`bind_greenlet` by svclib's entrypoints); elsewhere they are null.

Services configure logging from their ``config.yml`` (``LOGGING``, with this module's
:func:`formatter`); gunicorn processes from :func:`gunicorn_config`.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import time
import weakref

_BOUND: contextvars.ContextVar[tuple[str | None, str | None] | None] = contextvars.ContextVar(
    "svclib_log_context", default=None
)
_GREENLETS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

try:
    from greenlet import getcurrent as _current_greenlet
except ImportError:  # pragma: no cover (greenlet comes with eventlet)
    _current_greenlet = None


def bind(request_id: str | None, trace_id: str | None = None) -> contextvars.Token:
    """Lines written from here on in this thread (or task) carry these ids, until :func:`unbind`."""
    return _BOUND.set((request_id or None, trace_id or None))


def unbind(token: contextvars.Token) -> None:
    _BOUND.reset(token)


def bind_greenlet(greenlet, request_id: str | None, trace_id: str | None = None) -> None:
    """Lines written by ``greenlet`` (a nameko worker's greenthread) carry these ids."""
    if greenlet is not None and (request_id or trace_id):
        _GREENLETS[greenlet] = (request_id or None, trace_id or None)


def current() -> tuple[str | None, str | None]:
    """The request id and trace id of the work running here."""
    if _current_greenlet is not None and _GREENLETS:
        bound = _GREENLETS.get(_current_greenlet())
        if bound is not None:
            return bound
    return _BOUND.get() or (None, None)


def _time(record: logging.LogRecord) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{seconds}.{int(record.msecs):03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, service, request_id, trace_id, logger, message (and exc)."""

    def __init__(self, service: str = "", **_ignored):
        super().__init__()
        self.service = service or os.environ.get("SERVICE_NAME", "")

    def format(self, record: logging.LogRecord) -> str:
        request_id, trace_id = current()
        entry = {
            "time": _time(record),
            "level": record.levelname,
            "service": self.service,
            "request_id": request_id,
            "trace_id": trace_id,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``time service LEVEL logger: message [request_id=… trace_id=…]``, for a person reading along."""

    def __init__(self, service: str = "", **_ignored):
        super().__init__("%(asctime)s %(service)s %(levelname)s %(name)s: %(message)s%(ids)s")
        self.service = service or os.environ.get("SERVICE_NAME", "")

    def format(self, record: logging.LogRecord) -> str:
        request_id, trace_id = current()
        ids = [f"request_id={request_id}"] if request_id else []
        if trace_id:
            ids.append(f"trace_id={trace_id}")
        record.service = self.service
        record.ids = f" [{' '.join(ids)}]" if ids else ""
        return super().format(record)


def formatter(service: str = "", format: str | None = None) -> logging.Formatter:  # noqa: A002 (dictConfig's name)
    """The formatter ``LOG_FORMAT`` asks for (``json`` unless ``text``); a ``()`` factory for dictConfig."""
    chosen = (format or os.environ.get("LOG_FORMAT") or "json").lower()
    return TextFormatter(service) if chosen == "text" else JsonFormatter(service)


def gunicorn_config(service: str, level: str | None = None, access: str | None = None) -> dict:
    """gunicorn's ``logconfig_dict``: its own lines and the application's in the chosen format, on stderr;
    with ``access`` (gunicorn's ``accesslog``: ``-`` or a file), a line per request there too."""
    level = (level or os.environ.get("LOG_LEVEL") or "INFO").upper()
    handler = {"class": "logging.StreamHandler", "formatter": "chosen", "stream": "ext://sys.stderr"}
    own = {"handlers": ["console"], "propagate": False}
    handlers = {"console": handler}
    if access and access != "-":
        handlers["access"] = {"class": "logging.FileHandler", "formatter": "chosen", "filename": access}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"chosen": {"()": "svclib.logs.formatter", "service": service}},
        "handlers": handlers,
        "root": {"level": level, "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": level, **own, "qualname": "gunicorn.error"},
            "gunicorn.access": {
                "level": "INFO",
                "handlers": ["access" if "access" in handlers else "console"],
                "propagate": False,
                "qualname": "gunicorn.access",
            },
        },
    }


def gunicorn_logger_class():
    """gunicorn's logger, writing a line per request only when ``accesslog`` asks for them
    (a ``logconfig_dict`` alone would turn them on)."""
    from gunicorn.glogging import Logger

    class QuietAccessLogger(Logger):
        def _compute_access_log_enabled(self) -> bool:
            return bool(self.cfg.accesslog)

    return QuietAccessLogger
