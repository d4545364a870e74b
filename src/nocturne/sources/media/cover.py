"""Cover art → the protocol's 64×64 1-bit XBM (512 bytes, rows of 8 bytes, MSB = leftmost).

Any image Pillow reads: centre-cropped to a square, scaled to 64×64, grayscale, contrast
stretched, Floyd–Steinberg dithered to 1 bit. A set bit is a lit pixel on the OLED. Run once
per track (a few ms), never per poll.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from .model import MAX_IMAGE_BYTES

SIZE = 64
XBM_BYTES = SIZE * SIZE // 8  # 512
MAX_PIXELS = 40_000_000  # refuse decompression bombs long before Pillow's own limit


class CoverError(ValueError):
    """The bytes are not an image Pillow can read (or are too large)."""


def _open(data: bytes) -> Image.Image:
    if len(data) > MAX_IMAGE_BYTES:
        raise CoverError(f"cover image of {len(data)} bytes is too large")
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise CoverError(f"cover image of {image.width}×{image.height} is too large")
        image.draft("L", (SIZE * 2, SIZE * 2))  # JPEG: decode at a fraction of the size
        image.load()
    except CoverError:
        raise
    except Exception as exc:  # Pillow raises many kinds for a broken or unknown file
        raise CoverError(f"not a readable image: {exc.__class__.__name__}: {exc}") from None
    return image


def to_gray(image: Image.Image) -> Image.Image:
    """64×64 grayscale ("L"), centre-cropped, transparent parts black, contrast stretched."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        image = Image.alpha_composite(black, rgba)
    gray = ImageOps.fit(image.convert("L"), (SIZE, SIZE), Image.Resampling.LANCZOS)
    return ImageOps.autocontrast(gray, cutoff=1)


def to_1bit(data: bytes) -> Image.Image:
    """The dithered 64×64 1-bit image ("1" mode: 255 lit, 0 dark) of an encoded image."""
    return to_gray(_open(data)).convert("1", dither=Image.Dither.FLOYDSTEINBERG)


def xbm_bytes(image: Image.Image) -> bytes:
    """A 64×64 "1" image as 512 bytes: rows top to bottom, MSB first, 1 = lit."""
    if image.mode != "1" or image.size != (SIZE, SIZE):
        raise ValueError(f"expected a 64×64 1-bit image, got {image.mode} {image.size}")
    data = image.tobytes()  # Pillow's raw "1" packing is exactly this
    assert len(data) == XBM_BYTES
    return data


def cover_xbm(data: bytes) -> bytes:
    """Encoded image bytes (PNG, JPEG, …) → the 512-byte cover. Raises CoverError."""
    return xbm_bytes(to_1bit(data))
