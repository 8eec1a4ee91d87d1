"""Uploaded pictures: sending one (re-encoded by content) and serving it."""

from __future__ import annotations

import base64
import mimetypes

from flask import Blueprint, Response, g, jsonify, request

from gateway import presenters
from gateway.auth import login_required
from gateway.errors import ApiError
from gateway.routes import RETRY_KEY, doc, idempotency_key, services
from gateway.schemas import (
    Upload,
)
from svclib.storage import default_storage

bp = Blueprint("uploads", __name__, url_prefix="/api/v1")

UPLOAD_LIMIT = 8 * 1024 * 1024 + 64 * 1024


UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary", "description": "the picture"}},
            }
        }
    },
}


@bp.post("/uploads")
@login_required
@doc(
    "Upload a picture (PNG, JPEG, GIF or WebP, at most 8 MiB); it is re-encoded without metadata; "
    "the same picture again is the same upload",
    response=Upload,
    status=201,
    auth=True,
    tag="Posts",
    body=UPLOAD_BODY,
    headers=(RETRY_KEY,),
    errors=(409, 429),
)
def upload():
    request.max_content_length = UPLOAD_LIMIT
    file = request.files.get("file")
    if file is None:
        raise ApiError(400, "validation_error", "Send the picture as multipart field 'file'.", {"file": ["Missing."]})
    data = file.read()
    saved = services().call(
        "content",
        "save_upload",
        g.caller["id"],
        base64.b64encode(data).decode(),
        idempotency_key=idempotency_key(),
        _timeout=15.0,
    )
    return jsonify(
        {
            "image_id": saved["image_id"],
            "url": presenters.upload_url(saved["filename"]),
            "width": saved["width"],
            "height": saved["height"],
        }
    ), 201


@bp.get("/uploads/<name>")
@doc("An uploaded picture", tag="Posts", media=("image/png", "image/jpeg", "image/gif", "image/webp"), local=True)
def uploaded(name: str):
    data = default_storage().open(name)
    if data is None:
        raise ApiError(404, "not_found", "No such picture.")
    # Content chose the name, extension included, when it stored the picture.
    response = Response(data, content_type=mimetypes.guess_type(name)[0] or "application/octet-stream")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
