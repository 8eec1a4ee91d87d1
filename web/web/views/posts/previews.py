"""The live preview of Markdown under a text box."""

from __future__ import annotations

from flask import jsonify, request

from web.api import ApiError
from web.views import call, signed_in
from web.views.posts import bp


@bp.post("/preview")
@signed_in
def preview():
    """Markdown as the API will show it, for the live preview under a text box (JavaScript only)."""
    try:
        answer = call("POST", "/preview", json={"body": request.form.get("body", "")})
    except ApiError as error:
        return jsonify({"error": error.message}), error.status
    return jsonify({"body_html": answer["body_html"]})
