"""``GET /api/v1/me`` as a naive gateway writes it: a new nameko proxy for every request."""

import os

from flask import Flask, jsonify, request
from nameko.standalone.rpc import ClusterRpcProxy


def create_app() -> Flask:
    app = Flask(__name__)
    config = {"AMQP_URI": os.environ["AMQP_URI"]}

    @app.get("/api/v1/me")
    def me():
        token = request.headers.get("Authorization", "").partition(" ")[2]
        with ClusterRpcProxy(config, timeout=5) as rpc:
            caller = rpc.identity.authenticate(token)
            return jsonify(rpc.identity.get_me(caller["id"]))

    return app
