"""The pictures people uploaded, served from the API's storage."""

from __future__ import annotations

from flask import Response, abort

from web.views import call
from web.views.posts import bp


@bp.get("/api/v1/uploads/<name>")
def picture(name: str):
    """People's pictures, from the API's storage, on this site (so no page asks another host)."""
    response = call("GET", f"/api/v1/uploads/{name}", raw=True)
    if response.status_code != 200:
        abort(404)
    served = Response(response.content, content_type=response.headers.get("Content-Type", "application/octet-stream"))
    served.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    served.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return served
