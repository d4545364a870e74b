"""Cover art → 64×64 1-bit XBM: decoded back, it is exactly the server's dithered image."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image, ImageDraw

from nocturne.snapshot import Media, Snapshot
from nocturne.sources.media.cover import (
    SIZE,
    XBM_BYTES,
    CoverError,
    cover_xbm,
    to_1bit,
    xbm_bytes,
)
from nocturne.wire.protocol import encode_snapshot


def encode(image: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kw)
    return out.getvalue()


def sample_image(size: tuple[int, int] = (300, 300), mode: str = "RGB") -> Image.Image:
    """A known picture: a diagonal gradient, a white disc, a black bar."""
    w, h = size
    image = Image.new("RGB", size)
    px = image.load()
    for y in range(h):
        for x in range(w):
            v = (x + y) * 255 // (w + h - 2)
            px[x, y] = (v, 255 - v, v // 2)
    draw = ImageDraw.Draw(image)
    draw.ellipse((w // 4, h // 4, w // 2, h // 2), fill=(255, 255, 255))
    draw.rectangle((0, h * 3 // 4, w, h * 3 // 4 + h // 10), fill=(0, 0, 0))
    return image.convert(mode)


def decode_xbm(data: bytes) -> list[list[int]]:
    """The protocol's reading: rows of 8 bytes, MSB = leftmost pixel, 1 = lit."""
    assert len(data) == XBM_BYTES
    rows = []
    for y in range(SIZE):
        row = data[y * 8 : y * 8 + 8]
        rows.append([(row[x // 8] >> (7 - x % 8)) & 1 for x in range(SIZE)])
    return rows


def pixels(image: Image.Image) -> list[list[int]]:
    return [[1 if image.getpixel((x, y)) else 0 for x in range(SIZE)] for y in range(SIZE)]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("png", encode(sample_image())),
        ("jpeg", encode(sample_image((640, 640)), "JPEG", quality=85)),
        ("wide-gif", encode(sample_image((400, 200), "P"), "GIF")),
        ("gray-small", encode(sample_image((40, 40), "L"))),
    ],
)
def test_round_trip_equals_the_dithered_image(name, data):
    xbm = cover_xbm(data)
    assert len(xbm) == XBM_BYTES
    dithered = to_1bit(data)
    assert dithered.mode == "1" and dithered.size == (SIZE, SIZE)
    assert decode_xbm(xbm) == pixels(dithered)
    lit = sum(map(sum, decode_xbm(xbm)))
    assert 0.15 * SIZE * SIZE < lit < 0.85 * SIZE * SIZE, lit  # a picture, not a blank


def test_white_disc_is_lit_and_black_bar_is_dark():
    rows = decode_xbm(cover_xbm(encode(sample_image())))
    # 300 px → 64 px: the disc (75..150) is around x, y = 24; the bar (225..255) at y = 51.
    assert all(rows[y][x] for y in range(21, 28) for x in range(21, 28))
    assert not any(rows[y][x] for y in (50, 51, 52) for x in range(SIZE))


def test_flat_images_and_the_bit_order():
    assert cover_xbm(encode(Image.new("L", (64, 64), 0))) == bytes(XBM_BYTES)
    assert cover_xbm(encode(Image.new("L", (64, 64), 255))) == b"\xff" * XBM_BYTES
    one = Image.new("1", (64, 64), 0)
    one.putpixel((0, 0), 1)  # leftmost pixel of the first row: the MSB of byte 0
    one.putpixel((9, 1), 1)  # second row, second byte, second bit
    data = xbm_bytes(one)
    assert data[0] == 0x80 and data[9] == 0x40 and sum(data) == 0x80 + 0x40


def test_low_contrast_is_stretched():
    faint = Image.linear_gradient("L").resize((64, 64)).point(lambda v: 110 + v * 30 // 255)
    rows = decode_xbm(cover_xbm(encode(faint)))
    top, bottom = sum(rows[2]), sum(rows[61])
    assert top < 8 and bottom > 56  # from dark to lit, not a uniform grey dither


def test_transparent_parts_are_black():
    image = Image.new("RGBA", (64, 64), (255, 255, 255, 0))
    ImageDraw.Draw(image).rectangle((0, 0, 31, 63), fill=(255, 255, 255, 255))
    rows = decode_xbm(cover_xbm(encode(image)))
    assert all(rows[y][x] for y in range(64) for x in range(4, 28))
    assert not any(rows[y][x] for y in range(64) for x in range(36, 64))


@pytest.mark.parametrize("data", [b"", b"not an image", encode(sample_image())[:100]])
def test_broken_images_are_a_cover_error(data):
    with pytest.raises(CoverError):
        cover_xbm(data)


def test_protocol_sends_the_xbm_as_base64():
    xbm = cover_xbm(encode(sample_image()))
    encoded = encode_snapshot(Snapshot(media=Media(artist="A", track="T", cover=xbm)))
    line = json.loads(encoded.line(with_cover=True))
    assert base64.b64decode(line["cov"]) == xbm
    assert json.loads(encoded.line(with_cover=False))["cov"] is None
