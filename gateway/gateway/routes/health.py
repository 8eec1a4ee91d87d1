"""Liveness, readiness, the API's index, its OpenAPI document and its human-readable docs
(metrics have a port of their own: gateway.metrics)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from gateway.errors import ApiError
from gateway.openapi import TITLE, VERSION, doc, spec_for
from gateway.rpc import ServiceUnavailable
from gateway.schemas import ApiIndex, Readiness, Status
from gateway.services import SERVICES

bp = Blueprint("health", __name__)

API = "/api/v1"
DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Wikisocial API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/api/v1/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/v1/docs/swagger-ui-bundle.js"></script>
<script src="/api/v1/docs/swagger-ui-standalone-preset.js"></script>
<script src="/api/v1/docs/start.js"></script>
</body></html>"""
DOCS_START = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
  });
};
"""
DOCS_ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png")
DOCS_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
LINKS = {
    "docs": (f"{API}/docs", "this API, readable (Swagger UI)"),
    "openapi": (f"{API}/openapi.json", "this API's OpenAPI document"),
    "register": (f"{API}/auth/register", "POST: create an account"),
    "login": (f"{API}/auth/login", "POST: sign in, get a bearer token"),
    "front_page": (f"{API}/feed/public", "the front page across all subwikis"),
    "subwikis": (f"{API}/subwikis", "find subwikis"),
    "campaign": (f"{API}/donations/campaign", "the fundraising campaign"),
    "ledger": (f"{API}/donations/ledger", "the public ledger of donations"),
}


@bp.get(API)
@doc("What this API offers, with links", response=ApiIndex, tag="Operations", local=True)
def index():
    links = {name: {"href": href, "description": text} for name, (href, text) in LINKS.items()}
    return jsonify({"name": TITLE, "version": VERSION, "links": links})


@bp.get(f"{API}/docs")
@doc("This API, readable: Swagger UI over the OpenAPI document", tag="Operations", media="text/html", local=True)
def docs():
    response = Response(DOCS_PAGE, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response


@bp.get(f"{API}/docs/<name>")
@doc(
    "The documentation page's scripts and styles",
    tag="Operations",
    media=("text/css", "text/javascript", "image/png"),
    local=True,
)
def docs_asset(name: str):
    if name == "start.js":
        response = Response(DOCS_START, content_type="text/javascript; charset=utf-8")
    elif name in DOCS_ASSETS:
        response = send_from_directory(swagger_ui_path, name)
    else:
        raise ApiError(404, "not_found", "No such file.")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/healthz")
@doc("The process is alive", response=Status, tag="Operations", local=True)
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
@doc(
    "The broker and every service answer (503 with the failing checks otherwise)",
    response=Readiness,
    tag="Operations",
    also={503: Readiness},
    local=True,
)
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


@bp.get(f"{API}/openapi.json")
@doc("This document", tag="Operations", local=True, response={"type": "object"})
def openapi():
    return jsonify(spec_for(current_app))
