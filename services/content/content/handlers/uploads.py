"""Uploads: pictures for image and cartoon posts, re-encoded so nothing but pixels is kept.

The same bytes from the same person are one upload (a retry after a lost answer gets the same
picture); an upload no post uses is removed after ``UNUSED_FOR``."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from content.handlers import idempotency
from content.images import Picture
from content.models import HELD_WAITING, RATE_LIMITS, HeldPost, Post, Upload
from svclib.db import Transaction
from svclib.ratelimit import RateLimit
from svclib.storage import Storage

UNUSED_FOR = timedelta(days=1)
ACTION = "save_upload"
# Pictures one account may have decoded: far more than a member posts in a day, few enough that
# no script keeps a content process decoding (RATE_LIMIT_UPLOADS_LIMIT, ..._WINDOW_SECONDS).
UPLOADS = RateLimit.from_env(
    "UPLOADS", limit=100, window_seconds=24 * 3600, message="You have uploaded many pictures today; try again later."
)


def count_upload(tx: Transaction, user_id: str) -> None:
    """Count a picture about to be decoded (the costly part, refused or not); 429 beyond ``UPLOADS``.
    The same bytes again (a retry) are answered before this and cost nothing."""
    UPLOADS.hit(tx, RATE_LIMITS, user_id)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def upload_view(upload: Upload) -> dict:
    return {
        "image_id": upload.id,
        "filename": upload.filename,
        "content_type": upload.content_type,
        "width": upload.width,
        "height": upload.height,
    }


def _same(tx: Transaction, user_id: str, digest: str) -> Upload | None:
    return tx.session.scalar(select(Upload).where(Upload.owner_id == user_id, Upload.content_hash == digest))


def uploaded_before(tx: Transaction, user_id: str, digest: str, idempotency_key: str | None = None) -> dict | None:
    """The upload these bytes (or this key's request) made before, so a retry costs no decoding; 409 for a key
    used with other bytes."""
    made = idempotency.answered(tx, user_id, idempotency_key, ACTION, {"sha256": digest})
    upload = tx.session.get(Upload, made) if made else _same(tx, user_id, digest)
    return upload_view(upload) if upload is not None else None


def save_upload(
    tx: Transaction, storage: Storage, user_id: str, digest: str, picture: Picture, idempotency_key: str | None = None
) -> dict:
    """Keep a re-encoded picture; the same bytes from the same person answer with the upload they made."""
    made = idempotency.claim(tx, user_id, idempotency_key, ACTION, {"sha256": digest})
    upload = tx.session.get(Upload, made) if made else _same(tx, user_id, digest)
    if upload is None:
        upload = Upload(
            id=uuid.uuid4().hex,
            owner_id=user_id,
            content_hash=digest,
            content_type=picture.content_type,
            width=picture.width,
            height=picture.height,
            size=len(picture.data),
        )
        upload.filename = f"{upload.id}.{picture.extension}"
        try:
            with tx.session.begin_nested():
                tx.session.add(upload)
        except IntegrityError:
            # The same bytes at the same moment: the other upload committed first.
            upload = _same(tx, user_id, digest)
        else:
            storage.store(upload.filename, picture.data)
    idempotency.settle(tx, user_id, idempotency_key, upload.id)
    return upload_view(upload)


def remove_unused(tx: Transaction, now: datetime, batch: int = 500) -> list[str]:
    """Forget uploads no post uses that are older than ``UNUSED_FOR``; the names of their files, to delete
    once this commits. A post being made with one of them holds its row, so it is skipped."""
    unused = tx.session.scalars(
        select(Upload)
        .where(
            Upload.created_at < now - UNUSED_FOR,
            ~exists().where(Post.image_id == Upload.id),
            ~exists().where(HeldPost.image_id == Upload.id, HeldPost.status == HELD_WAITING),
        )
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    for upload in unused:
        tx.session.delete(upload)
    return [upload.filename for upload in unused]
