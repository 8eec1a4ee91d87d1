"""Uploaded pictures: only PNG, JPEG, GIF and WebP, size- and pixel-limited,
decoded and re-encoded with Pillow so that nothing but pixels survives
(no metadata, no polyglot payloads).

Decoding is CPU work of seconds for a large picture: ``reencode_off_loop`` runs it in
eventlet's thread pool, at most ``WORKERS`` pictures at once, so the service's other
requests go on meanwhile; ``WORK_BUDGET`` (frames × pixels) bounds what one picture costs."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from eventlet import tpool
from eventlet.semaphore import Semaphore
from PIL import Image, UnidentifiedImageError

from content.exceptions import Invalid, PayloadTooLarge

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_FRAMES = 300
WORK_BUDGET = 50_000_000  # frames × pixels decoded and re-encoded for one picture
WORKERS = 2
_slots = Semaphore(WORKERS)

# A picture claiming more pixels than Pillow's guard is refused, not warned about; set once for the
# process, since pictures are decoded in several threads at once (catch_warnings is not thread-safe).
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
FORMATS = {
    "PNG": ("png", "image/png"),
    "JPEG": ("jpg", "image/jpeg"),
    "GIF": ("gif", "image/gif"),
    "WEBP": ("webp", "image/webp"),
}


@dataclass(frozen=True)
class Picture:
    data: bytes
    extension: str
    content_type: str
    width: int
    height: int


def reencode(data: bytes) -> Picture:
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(f"Pictures are limited to {MAX_BYTES // (1024 * 1024)} MiB.")
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in FORMATS:
            raise Invalid("Upload a PNG, JPEG, GIF or WebP picture.", fields={"file": ["Unsupported format."]})
        width, height = image.size
        frames = getattr(image, "n_frames", 1)
        if width * height > MAX_PIXELS or frames > MAX_FRAMES:
            raise PayloadTooLarge("The picture has too many pixels.")
        if width * height * frames > WORK_BUDGET:
            raise PayloadTooLarge(
                f"The picture is too much work: frames × pixels is limited to {WORK_BUDGET:,}; "
                "use fewer frames or a smaller size."
            )
        image.load()
        extension, content_type = FORMATS[image.format]
        return Picture(_encode(image), extension, content_type, width, height)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PayloadTooLarge("The picture has too many pixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise Invalid("This file is not a picture we can read.", fields={"file": ["Not a readable image."]}) from None


def reencode_off_loop(data: bytes) -> Picture:
    """``reencode`` in eventlet's thread pool, at most ``WORKERS`` at once; others wait their turn."""
    with _slots:
        return tpool.execute(reencode, data)


def _encode(image: Image.Image) -> bytes:
    out = io.BytesIO()
    if image.format == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
    elif image.format == "GIF" and getattr(image, "n_frames", 1) > 1:
        image.save(out, "GIF", save_all=True, loop=image.info.get("loop", 0), duration=image.info.get("duration"))
    elif image.format == "GIF":
        image.save(out, "GIF")
    elif image.format == "WEBP":
        image.save(out, "WEBP", quality=90)
    else:
        mode = image.mode if image.mode in ("RGB", "RGBA", "L", "LA", "P") else "RGBA"
        image.convert(mode).save(out, "PNG", optimize=True)
    return out.getvalue()
