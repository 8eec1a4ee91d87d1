"""Log lines, the trace switch and the RPC error kinds, without a broker."""

from __future__ import annotations

import json
import logging

from nameko.exceptions import MethodNotFound

from svclib import logs, tracing
from svclib.exceptions import NotFound, Unavailable
from svclib.rpc import error_kind


def _record(message: str, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("feed.handlers", logging.WARNING, __file__, 1, message, (), exc_info)


def test_a_json_line_has_time_level_service_and_the_bound_ids():
    formatter = logs.JsonFormatter("feed")
    token = logs.bind("req-123", "ab" * 16)
    try:
        line = json.loads(formatter.format(_record("late by %s")))
    finally:
        logs.unbind(token)
    assert line["level"] == "WARNING" and line["service"] == "feed" and line["message"] == "late by %s"
    assert line["request_id"] == "req-123" and line["trace_id"] == "ab" * 16
    assert line["time"].endswith("Z") and "T" in line["time"]
    unbound = json.loads(formatter.format(_record("no request")))
    assert unbound["request_id"] is None and unbound["trace_id"] is None


def test_a_line_carries_the_ids_bound_to_its_greenlet():
    import eventlet

    formatter = logs.JsonFormatter("identity")
    seen = {}

    def work():
        seen["line"] = json.loads(formatter.format(_record("in a worker")))

    worker = eventlet.spawn(work)
    logs.bind_greenlet(worker, "req-9", None)
    worker.wait()
    assert seen["line"]["request_id"] == "req-9"
    assert json.loads(formatter.format(_record("elsewhere")))["request_id"] is None


def test_text_lines_for_people_and_json_by_default(monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "text")
    assert isinstance(logs.formatter("web"), logs.TextFormatter)
    monkeypatch.delenv("LOG_FORMAT")
    assert isinstance(logs.formatter("web"), logs.JsonFormatter)


def test_without_an_endpoint_tracing_makes_no_span_and_sends_no_context(monkeypatch):
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    assert tracing.endpoint() == ""
    if not tracing.enabled():
        context = {"request_id": "r"}
        assert tracing.start_worker_span("feed.get_page", "server", context) is None
        assert context == {"request_id": "r"} and tracing.current_traceparent() is None


def test_rpc_errors_are_the_callers_or_the_services():
    assert error_kind(NotFound("no such post")) == "declared"
    assert error_kind(MethodNotFound("nope")) == "rejected"
    assert error_kind(Unavailable()) == "fault" and error_kind(RuntimeError()) == "fault"
