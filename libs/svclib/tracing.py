"""Traces across the bus with OpenTelemetry: on when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, free otherwise.

The gateway starts a span for each request and sends its context with every RPC as nameko
context data (``traceparent``, the W3C header's value, in the ``nameko.traceparent`` header).
A service's entrypoints (``svclib.rpc``, ``svclib.events``) continue it: each worker runs in a
span whose parent is the caller's, and its own context replaces the caller's in the worker's
context data, so the calls it makes and the events it writes to the outbox (their headers)
carry it on; the handlers of those events continue it in turn.

Spans are exported in batches over OTLP/HTTP (``OTEL_EXPORTER_OTLP_ENDPOINT``, and the other
``OTEL_*`` variables of the OpenTelemetry SDK). Without an endpoint nothing is set up: no
span is made, no context is sent, and the only cost is a test of one module variable.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

log = logging.getLogger(__name__)

TRACEPARENT = "traceparent"  # the context data key (and W3C header) that carries a span's context

_tracer: Any = None
_configured = False
_lock = threading.Lock()


def endpoint() -> str:
    return os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or ""


def configure(service: str) -> bool:
    """Set this process's tracer up once (named ``service`` unless ``OTEL_SERVICE_NAME``); True when tracing."""
    global _tracer, _configured
    if _configured:
        return _tracer is not None
    with _lock:
        if _configured:
            return _tracer is not None
        _configured = True
        if not endpoint():
            return False
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        name = os.environ.get("OTEL_SERVICE_NAME") or service
        provider = TracerProvider(resource=Resource.create({"service.name": name}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        _tracer = provider.get_tracer("wikisocial")
        log.info("tracing: spans of %s exported to %s", name, endpoint())
        return True


def enabled() -> bool:
    return _tracer is not None


def _propagator():
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    return TraceContextTextMapPropagator()


def parent_context(traceparent: str | None):
    """The OpenTelemetry context a ``traceparent`` value names (an empty one when there is none)."""
    if not traceparent or not isinstance(traceparent, str):
        return None
    return _propagator().extract({TRACEPARENT: traceparent})


def traceparent_of(span) -> str | None:
    """The ``traceparent`` value that makes ``span`` the parent of what the receiver does."""
    from opentelemetry import trace

    carrier: dict[str, str] = {}
    _propagator().inject(carrier, context=trace.set_span_in_context(span))
    return carrier.get(TRACEPARENT)


def current_traceparent() -> str | None:
    """The ``traceparent`` of the span current in this thread (the gateway's request), if tracing."""
    if _tracer is None:
        return None
    carrier: dict[str, str] = {}
    _propagator().inject(carrier)
    return carrier.get(TRACEPARENT)


def trace_id_of(span) -> str | None:
    if span is None:
        return None
    context = span.get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def start_span(name: str, kind: str, parent: str | None = None, attributes: dict | None = None):
    """A span (not made current) under the ``traceparent`` ``parent``; None when tracing is off.

    ``kind``: ``server`` (an RPC answered, a request served) or ``consumer`` (an event handled).
    """
    if _tracer is None:
        return None
    from opentelemetry.trace import SpanKind

    kinds = {"server": SpanKind.SERVER, "consumer": SpanKind.CONSUMER, "client": SpanKind.CLIENT}
    return _tracer.start_span(name, context=parent_context(parent), kind=kinds[kind], attributes=attributes or {})


def start_worker_span(name: str, kind: str, context_data: dict, attributes: dict | None = None):
    """A span for a nameko worker, continuing the caller's trace from its context data, whose own
    context replaces the caller's there (what the worker calls and emits continues this span)."""
    if _tracer is None:
        return None
    span = start_span(name, kind, context_data.get(TRACEPARENT), attributes)
    context_data[TRACEPARENT] = traceparent_of(span)
    return span


def end_span(span, exc_info=None, error: bool | None = None) -> None:
    """End a span from :func:`start_span`, marked failed when the work raised (``exc_info``) or ``error``."""
    if span is None:
        return
    from opentelemetry.trace import Status, StatusCode

    if exc_info is not None and exc_info[1] is not None:
        span.record_exception(exc_info[1])
        span.set_status(Status(StatusCode.ERROR, type(exc_info[1]).__name__))
    elif error:
        span.set_status(Status(StatusCode.ERROR))
    span.end()


def activate(span):
    """Make ``span`` current in this thread (for the calls it makes); returns the token for :func:`deactivate`."""
    from opentelemetry import context, trace

    return context.attach(trace.set_span_in_context(span))


def deactivate(token) -> None:
    from opentelemetry import context

    context.detach(token)
