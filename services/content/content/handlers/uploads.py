"""Uploads: pictures for image and cartoon posts, re-encoded so nothing but pixels is kept."""

from __future__ import annotations

import uuid

from content import images
from content.models import Upload
from svclib.db import Transaction


def save_upload(tx: Transaction, storage, user_id: str, data: bytes) -> dict:
    picture = images.reencode(data)
    upload = Upload(
        id=uuid.uuid4().hex,
        owner_id=user_id,
        content_type=picture.content_type,
        width=picture.width,
        height=picture.height,
        size=len(picture.data),
    )
    upload.filename = f"{upload.id}.{picture.extension}"
    storage.store(upload.filename, picture.data)
    tx.session.add(upload)
    return {
        "image_id": upload.id,
        "filename": upload.filename,
        "content_type": upload.content_type,
        "width": upload.width,
        "height": upload.height,
    }
