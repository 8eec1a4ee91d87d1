"""create_app(): the gateway's Flask application factory."""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from types import FunctionType

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway import auth, checks, conditional, errors, metrics, openapi
from gateway.jsonprovider import JSONProvider
from gateway.routes import (
    comments,
    donations,
    feed,
    health,
    identity,
    mutes,
    notifications,
    posts,
    reports,
    search,
    subwikis,
    uploads,
    votes,
)
from gateway.services import Services
from svclib import logs, tracing

DEFAULTS = {
    "AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/",
    "RPC_TIMEOUT": 5.0,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "TOKEN_CACHE_SECONDS": 10.0,
    # The longest a gateway process keeps a subwiki's summary (gateway.summaries; dropped when it changes), as long
    # as communities keeps its own (COMMUNITIES_KEPT_ANSWERS_SECONDS).
    "SUBWIKI_SUMMARY_SECONDS": 30.0,
    # The longest a gateway process answers a revalidated feed page 304 without asking the feed (gateway.pagetags;
    # dropped when the feed tells of a change to it): the ages in a kept page's reasons are this much older at most.
    "FEED_PAGE_TAGS_SECONDS": 5.0,
    # The same for a post with a page of its discussion (dropped when content tells of a change to it, or when the
    # subwiki's summary changes): its answer shows no age, so it may stand longer.
    "POST_PAGE_TAGS_SECONDS": 30.0,
    "TRUSTED_PROXIES": 0,
}

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def settings_from_env() -> dict:
    config = {}
    for key, default in DEFAULTS.items():
        value = os.environ.get(key)
        if value not in (None, ""):
            config[key] = type(default)(value)
    return config


class Gateway(Flask):
    """Flask, asking once per view, hook and error handler (not on every request) whether it must be run as a
    coroutine: Flask asks it of each function a request runs, and the answer never changes. Functions made for
    one request (``after_this_request``) are asked each time, past the first ``SYNC_KEPT``. Its JSON is
    written by orjson (``gateway.jsonprovider``)."""

    json_provider_class = JSONProvider

    SYNC_KEPT = 1024

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync: dict = {}

    def ensure_sync(self, func):
        sync = self._sync.get(func) if type(func) is FunctionType else None
        if sync is None:
            sync = super().ensure_sync(func)
            if type(func) is FunctionType and len(self._sync) < self.SYNC_KEPT:
                self._sync[func] = sync
        return sync


def create_app(config: dict | None = None) -> Flask:
    app = Gateway(__name__, static_folder=None)
    app.config.update(DEFAULTS)
    app.config.update(settings_from_env())
    app.config.update(config or {})
    if app.config["TRUSTED_PROXIES"]:
        proxies = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    tracing.configure("gateway")
    app.extensions["services"] = app.config.get("SERVICES") or Services(
        app.config["AMQP_URI"],
        float(app.config["RPC_TIMEOUT"]),
        float(app.config["TOKEN_CACHE_SECONDS"]),
        float(app.config["SUBWIKI_SUMMARY_SECONDS"]),
        float(app.config["FEED_PAGE_TAGS_SECONDS"]),
        float(app.config["POST_PAGE_TAGS_SECONDS"]),
    )

    # <int:n> in a path matches 0 to 2**31 - 1 only: a number no id can have is 404, not a database error.
    app.url_map.converters["int"] = checks.BoundedInt

    @app.before_request
    def _start():
        req, state = request._get_current_object(), g._get_current_object()
        incoming = req.headers.get("X-Request-Id", "")
        request_id = state.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        state.started = time.perf_counter()
        # A span per request when tracing is on (svclib.tracing), current for the calls it makes;
        # the request's log lines carry its ids either way.
        span = state.span = (
            tracing.start_span(
                f"{req.method} {req.url_rule.rule if req.url_rule else 'unmatched'}",
                "server",
                req.headers.get("traceparent"),
                {"http.request.method": req.method, "url.path": req.path, "request.id": request_id},
            )
            if tracing.enabled()
            else None
        )
        state.observed = (
            tracing.activate(span) if span is not None else None,
            logs.bind(request_id, tracing.trace_id_of(span)),
        )
        if req.routing_exception is None:  # no such route or method: its 404 or 405 first
            auth.require_token_first(app.view_functions.get(req.endpoint))
            checks.check_request()

    @app.after_request
    def _finish(response):
        req, state = request._get_current_object(), g._get_current_object()
        request_id, status, headers = getattr(state, "request_id", ""), response.status_code, response.headers
        headers["X-Request-Id"] = request_id
        conditional.revalidated(req, response)
        status = response.status_code
        headers.setdefault("Cache-Control", "no-store")
        headers["X-Content-Type-Options"] = "nosniff"
        endpoint = req.url_rule.rule if req.url_rule else "unmatched"
        metrics.observe(req.method, endpoint, status, time.perf_counter() - getattr(state, "started", 0))
        state.status, span = status, getattr(state, "span", None)
        if span is not None:
            span.set_attribute("http.response.status_code", status)
            span.set_attribute("http.route", endpoint)
        if status >= 400:
            logging.getLogger("gateway.access").info(
                "%s %s -> %s request_id=%s", req.method, req.path, status, request_id
            )
        return response

    @app.teardown_request
    def _end(exc):
        state = g._get_current_object()
        span, observed = getattr(state, "span", None), getattr(state, "observed", None)
        if span is not None:
            failed = getattr(state, "status", 500) >= 500
            tracing.end_span(span, (type(exc), exc, None) if exc is not None else None, error=failed)
        if observed is not None:
            if observed[0] is not None:
                tracing.deactivate(observed[0])
            logs.unbind(observed[1])

    errors.register(app)
    openapi.register(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(identity.bp)
    app.register_blueprint(mutes.bp)
    app.register_blueprint(subwikis.bp)
    app.register_blueprint(posts.bp)
    app.register_blueprint(uploads.bp)
    app.register_blueprint(comments.bp)
    app.register_blueprint(votes.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(donations.bp)
    app.register_blueprint(feed.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(notifications.bp)
    return app
