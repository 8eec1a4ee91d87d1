"""A plain Flask JSON endpoint: the ceiling for the gateway under the same gunicorn settings."""

from flask import Flask, jsonify


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/api/v1/me")
    def me():
        return jsonify({"id": "0" * 32, "username": "plain", "subwikis": [], "following": []})

    return app
