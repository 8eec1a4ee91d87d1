"""A plain Flask JSON endpoint: the ceiling for the gateway under the same gunicorn settings.

It answers at the gateway's path with a body shaped like ``/me``'s, so the
difference to the gateway is the gateway's own work (auth, RPC, middleware)
and nothing about HTTP, Flask or gunicorn.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify

ME = {
    "id": "0" * 32,
    "username": "plain",
    "display_name": "plain",
    "bio": "",
    "created_at": "2026-01-01T00:00:00+00:00",
    "trust": 0.0,
    "badges": [],
    "follower_count": 0,
    "following_count": 0,
    "email": "plain@example.com",
    "following": [],
    "subwikis": [],
}


def create_app() -> Flask:
    app = Flask(__name__)
    app.json.sort_keys = False

    @app.get("/api/v1/me")
    def me() -> Response:
        return jsonify(ME)

    return app
