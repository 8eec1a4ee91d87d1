"""Pictures decoded off the event loop within a work budget, uploads that are kept only when used,
and creating requests that a client may retry with an Idempotency-Key."""

import base64
import io
from datetime import timedelta

import pytest
from eventlet import patcher
from PIL import Image
from sqlalchemy import select, update

from content import images
from content.exceptions import Conflict, PayloadTooLarge
from content.handlers import reports, uploads
from content.models import Post, Upload
from svclib.db import utcnow
from svclib.exceptions import RateLimited
from svclib.ratelimit import RateLimit

from .test_posts import article, emitted, png_bytes

real_thread = patcher.original("threading")


def encoded(data: bytes) -> str:
    return base64.b64encode(data).decode()


def animated_gif(size, frames: int) -> bytes:
    pictures = [Image.new("P", size, n % 200) for n in range(frames)]
    out = io.BytesIO()
    pictures[0].save(out, "GIF", save_all=True, append_images=pictures[1:], duration=40)
    return out.getvalue()


def test_pictures_are_decoded_off_the_event_loop(service, monkeypatch):
    threads = []
    decode = images.reencode

    def watched(data):
        threads.append(real_thread.current_thread())
        return decode(data)

    monkeypatch.setattr(images, "reencode", watched)
    service.save_upload("bob", encoded(png_bytes()))
    assert threads and threads[0] is not real_thread.main_thread()


def test_more_frames_times_pixels_than_the_budget_is_refused(service):
    gif = animated_gif((2000, 1000), 30)
    assert Image.open(io.BytesIO(gif)).n_frames == 30
    with pytest.raises(PayloadTooLarge):
        service.save_upload("bob", encoded(gif))
    assert service.save_upload("bob", encoded(animated_gif((200, 100), 30)))["content_type"] == "image/gif"


def test_the_same_picture_again_is_the_same_upload(service, tmp_path):
    first = service.save_upload("bob", encoded(png_bytes()))
    assert service.save_upload("bob", encoded(png_bytes())) == first
    assert service.save_upload("ann", encoded(png_bytes()))["image_id"] != first["image_id"]
    assert len([p for p in tmp_path.rglob("*.png")]) == 2
    keyed = service.save_upload("bob", encoded(png_bytes((5, 5))), idempotency_key="k1")
    assert service.save_upload("bob", encoded(png_bytes((5, 5))), idempotency_key="k1") == keyed
    with pytest.raises(Conflict):
        service.save_upload("bob", encoded(png_bytes((7, 7))), idempotency_key="k1")


def test_uploads_no_post_uses_go_after_a_day(service, db, tmp_path):
    unused = service.save_upload("bob", encoded(png_bytes((3, 3))))
    used = service.save_upload("bob", encoded(png_bytes((4, 4))))
    fresh = service.save_upload("bob", encoded(png_bytes((5, 5))))
    service.create_post("bob", "rivers", "image", "Red", image_id=used["image_id"])
    with db.transaction() as tx:
        tx.session.execute(
            update(Upload)
            .where(Upload.id.in_([unused["image_id"], used["image_id"]]))
            .values(created_at=utcnow() - timedelta(days=2))
        )
    service.remove_unused_uploads()
    with db.reading() as tx:
        kept = set(tx.session.scalars(select(Upload.id)))
    assert kept == {used["image_id"], fresh["image_id"]}
    assert {p.name for p in tmp_path.rglob("*.png")} == {used["filename"], fresh["filename"]}


def test_a_retried_post_comment_or_report_is_made_once(service, db):
    post = article(service, idempotency_key="post-1")
    assert article(service, idempotency_key="post-1")["id"] == post["id"]
    with pytest.raises(Conflict):
        article(service, idempotency_key="post-1", title="Another title")
    assert article(service, author="cat", idempotency_key="post-1")["id"] != post["id"]
    comment = service.create_comment("cat", post["id"], "Hi", idempotency_key="c-1")
    assert service.create_comment("cat", post["id"], "Hi", idempotency_key="c-1")["id"] == comment["id"]
    with pytest.raises(Conflict):
        service.create_comment("cat", post["id"], "Hello", idempotency_key="c-1")
    report = service.file_report("dan", "comment", comment["id"], "Rude", idempotency_key="r-1")
    assert service.file_report("dan", "comment", comment["id"], "Rude", idempotency_key="r-1") == report
    with pytest.raises(Conflict):
        service.file_report("dan", "post", post["id"], "Rude", idempotency_key="r-1")
    with db.reading() as tx:
        assert tx.session.scalar(select(Post.comment_count).where(Post.id == post["id"])) == 1
    assert emitted(db).count("post_created") == 2 and emitted(db).count("comment_created") == 1


def test_uploads_per_account_are_limited_and_a_retry_is_not_counted(service, monkeypatch):
    monkeypatch.setattr(uploads, "UPLOADS", RateLimit("uploads", limit=2, window_seconds=3600))
    first = service.save_upload("bob", encoded(png_bytes((3, 3))))
    service.save_upload("bob", encoded(png_bytes((4, 4))))
    assert service.save_upload("bob", encoded(png_bytes((3, 3)))) == first  # the same bytes again: not decoded
    with pytest.raises(RateLimited) as refused:
        service.save_upload("bob", encoded(png_bytes((5, 5))))
    assert 1 <= refused.value.details["retry_after"] <= 3600
    assert service.save_upload("ann", encoded(png_bytes((5, 5))))["image_id"]  # another account's own count


def test_reports_per_account_are_limited_and_filing_an_open_one_again_is_not_counted(service, monkeypatch):
    monkeypatch.setattr(reports, "REPORTS_FILED", RateLimit("reports", limit=2, window_seconds=3600))
    posts = [article(service, title=f"Post {n}") for n in range(3)]
    first = service.file_report("dan", "post", posts[0]["id"], "Off topic")
    assert service.file_report("dan", "post", posts[0]["id"], "Off topic again") == first
    service.file_report("dan", "post", posts[1]["id"], "Off topic")
    with pytest.raises(RateLimited) as refused:
        service.file_report("dan", "post", posts[2]["id"], "Off topic")
    assert refused.value.details["retry_after"] >= 1
    assert service.file_report("cat", "post", posts[2]["id"], "Spam")["id"]
