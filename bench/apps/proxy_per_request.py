"""``GET /api/v1/me`` as a naive gateway writes it: a new nameko ``ClusterRpcProxy`` for every request.

Opening the proxy costs a connection, a channel and a reply queue declared and
bound on the broker, then torn down again; this app shows what the gateway's
long-lived per-thread RPC client saves. It does the RPCs the gateway's route
does: ``identity.authenticate`` for the token (uncached, as the naive way has
no cache to keep) and then ``identity.get_me``, both through the one proxy the
request opened. ``/me`` is a single ``get_me`` since identity keeps each
profile's subwiki list itself (commit c6fdd52 removed
``communities.list_user_subwikis``).
"""

from __future__ import annotations

import os

from flask import Flask, Response, jsonify, request
from nameko.standalone.rpc import ClusterRpcProxy

RPC_TIMEOUT = 5.0


def create_app() -> Flask:
    app = Flask(__name__)
    app.json.sort_keys = False
    config = {"AMQP_URI": os.environ["AMQP_URI"]}

    @app.get("/api/v1/me")
    def me() -> Response | tuple[Response, int]:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return jsonify({"error": "unauthenticated"}), 401
        with ClusterRpcProxy(config, timeout=RPC_TIMEOUT) as rpc:
            caller = rpc.identity.authenticate(token.strip())
            return jsonify(rpc.identity.get_me(caller["id"]))

    return app
