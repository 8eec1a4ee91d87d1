"""Liveness, readiness and the OpenAPI document (metrics have a port of their own: gateway.metrics)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from gateway.openapi import spec_for
from gateway.rpc import ServiceUnavailable
from gateway.services import SERVICES

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    services = current_app.extensions["services"]
    checks: dict[str, str] = {}
    broker_ok = services.rpc.wait_ready(2.0)
    checks["broker"] = "ok" if broker_ok else "unreachable"
    if broker_ok:
        calls = {}
        for name in SERVICES:
            try:
                calls[name] = services.rpc.call_async(name, "health", _timeout=2.0)
            except ServiceUnavailable:
                checks[name] = "unavailable"
        for name, call in calls.items():
            try:
                services.rpc.result(call)
                checks[name] = "ok"
            except Exception:  # any failure means this service is not ready
                checks[name] = "unavailable"
    ready = all(value == "ok" for value in checks.values())
    return jsonify({"status": "ready" if ready else "not_ready", "checks": checks}), 200 if ready else 503


@bp.get("/api/v1/openapi.json")
def openapi():
    return jsonify(spec_for(current_app))
