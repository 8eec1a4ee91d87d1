"""What operators see of the site, the same as of every other process: log lines, traces and metrics,
made with the standard library's logging, OpenTelemetry and prometheus_client themselves (the site, a
client of the public API, imports none of the platform's plumbing).

Logs: one JSON object a line (time, level, service, request_id, trace_id, logger, message, and exc),
or with ``LOG_FORMAT=text`` a line a person reads; the ids are those of the request the line was
written for (bound by :func:`open_request`), null elsewhere. gunicorn.conf.py takes
:func:`gunicorn_logging` and :func:`gunicorn_logger`.

Traces: on when ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set
(spans exported in batches over OTLP/HTTP; the SDK's other ``OTEL_*`` variables apply, and
``OTEL_SERVICE_NAME`` names the site). Each request is a server span continuing the incoming
``traceparent``; its own ``traceparent`` goes with every call to the gateway, whose span continues it.

Metrics: the workers count in ``PROMETHEUS_MULTIPROC_DIR``'s files (web.metrics); gunicorn's master
serves their sum on a port of its own (the hooks at the end, for gunicorn.conf.py). prometheus_client
is imported only inside those hooks: it chooses between counting in memory and in that folder when
first imported, which must come after :func:`ensure_metrics_dir`.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

SERVICE = "web"

_ids: ContextVar[tuple[str | None, str | None]] = ContextVar("web_log_ids", default=(None, None))
_tracer: trace.Tracer | None = None
_propagator = TraceContextTextMapPropagator()


# --- logs ---------------------------------------------------------------------------------------


class LogLines(logging.Formatter):
    """A JSON object a line (its time in UTC, to the millisecond), or with ``LOG_FORMAT=text``
    ``time service LEVEL logger: message [request_id=… trace_id=…]``. A ``()`` factory for dictConfig."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(service)s %(levelname)s %(name)s: %(message)s%(ids)s")
        self.text = (os.environ.get("LOG_FORMAT") or "json").lower() == "text"

    def format(self, record: logging.LogRecord) -> str:
        request_id, trace_id = _ids.get()
        if self.text:
            named = (("request_id", request_id), ("trace_id", trace_id))
            ids = " ".join(f"{name}={value}" for name, value in named if value)
            record.service, record.ids = SERVICE, f" [{ids}]" if ids else ""
            return super().format(record)
        line: dict[str, Any] = {
            "time": f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(record.created))}.{int(record.msecs):03d}Z",
            "level": record.levelname,
            "service": SERVICE,
            "request_id": request_id,
            "trace_id": trace_id,
            "logger": record.name,
            "message": record.getMessage(),
        }
        exc = self.formatException(record.exc_info) if record.exc_info else record.exc_text
        if exc:
            line["exc"] = exc
        return json.dumps(line, default=str, ensure_ascii=False)


def gunicorn_logging(access: str | None = None) -> dict:
    """gunicorn's ``logconfig_dict``: its lines and the site's in the chosen format, on stderr; with
    ``access`` (its ``accesslog``: ``-`` or a file) a line per request there too."""
    level = (os.environ.get("LOG_LEVEL") or "INFO").upper()
    handlers = {"console": {"class": "logging.StreamHandler", "formatter": "lines", "stream": "ext://sys.stderr"}}
    if access and access != "-":
        handlers["access"] = {"class": "logging.FileHandler", "formatter": "lines", "filename": access}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"lines": {"()": f"{__name__}.LogLines"}},
        "handlers": handlers,
        "root": {"level": level, "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["console"], "propagate": False},
            "gunicorn.access": {
                "level": "INFO",
                "handlers": ["access" if "access" in handlers else "console"],
                "propagate": False,
            },
        },
    }


def gunicorn_logger() -> type:
    """gunicorn's logger, writing a line per request only when ``accesslog`` asks for them (a
    ``logconfig_dict`` alone would turn them on)."""
    from gunicorn.glogging import Logger

    class AccessWhenAsked(Logger):
        def _compute_access_log_enabled(self) -> bool:
            return bool(self.cfg.accesslog)

    return AccessWhenAsked


# --- traces -------------------------------------------------------------------------------------


def tracing_endpoint() -> str:
    return os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or ""


def configure_tracing() -> bool:
    """Export this process's spans when an endpoint is set (once a process); True when tracing."""
    global _tracer
    if _tracer is None and tracing_endpoint():
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        name = os.environ.get("OTEL_SERVICE_NAME") or SERVICE
        provider = TracerProvider(resource=Resource.create({"service.name": name}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        _tracer = provider.get_tracer("wikisocial")
        logging.getLogger(__name__).info("tracing: spans of %s exported to %s", name, tracing_endpoint())
    return _tracer is not None


@dataclass(frozen=True)
class Observed:
    """A request as observed: its span (None when tracing is off), the ``traceparent`` that makes that
    span the parent of the gateway's, and what :func:`close_request` unbinds from the log lines."""

    span: trace.Span | None
    traceparent: str | None
    bound: Token


def open_request(name: str, incoming: str | None, request_id: str) -> Observed:
    """The request's span under the caller's ``traceparent`` (``incoming``), and its ids on the log lines."""
    span = traceparent = trace_id = None
    if _tracer is not None:
        parent = _propagator.extract({"traceparent": incoming}) if incoming else None
        span = _tracer.start_span(name, context=parent, kind=SpanKind.SERVER)
        carrier: dict[str, str] = {}
        _propagator.inject(carrier, context=trace.set_span_in_context(span))
        traceparent = carrier.get("traceparent")
        trace_id = format(span.get_span_context().trace_id, "032x")
    return Observed(span, traceparent, _ids.set((request_id, trace_id)))


def close_request(observed: Observed, exc: BaseException | None, failed: bool) -> None:
    """End the span, failed when the request raised ``exc`` or answered ``failed`` (a 5xx)."""
    span = observed.span
    if span is not None:
        if exc is not None:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        elif failed:
            span.set_status(Status(StatusCode.ERROR))
        span.end()
    _ids.reset(observed.bound)


# --- metrics (gunicorn's hooks) -----------------------------------------------------------------


def ensure_metrics_dir() -> None:
    """A folder for the workers' counts, chosen before gunicorn forks them."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=f"{SERVICE}-metrics-")


def clear_metrics_dir() -> None:
    """This server's workers start from nothing (on_starting)."""
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def serve_metrics(server, port: int, host: str) -> None:
    """``/metrics`` on its own port from the master (when_ready): every worker's counts, summed."""
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    try:
        start_http_server(port, addr=host, registry=registry)
        server.log.info("metrics on http://%s:%s/metrics", host, port)
    except OSError as exc:
        server.log.error("metrics could not listen on %s:%s: %s", host, port, exc)


def forget_worker(pid: int) -> None:
    """A worker that exited no longer counts in the live gauges (child_exit)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)
