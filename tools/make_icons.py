"""Generate firmware/nocturne_fw/icon_data.py: 1-bit icons as MONO_HLSB bytes (XBM bit order,
MSB first), drawn here with Pillow primitives so they can be tweaked and regenerated.

    .venv/bin/python tools/make_icons.py          # writes firmware/nocturne_fw/icon_data.py
    .venv/bin/python tools/make_icons.py --show   # also writes /tmp/icons.png (8x)
"""

import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "firmware" / "nocturne_fw" / "icon_data.py"
S = 24  # weather icon size


def canvas(w, h):
    im = Image.new("1", (w, h), 0)
    return im, ImageDraw.Draw(im)


def cloud(d, dx=0, dy=0, fill=1):
    # three puffs and a flat base; outline drawn by filling then hollowing
    parts = [(2, 9, 12, 19), (7, 4, 19, 16), (13, 8, 22, 17)]
    for x0, y0, x1, y1 in parts:
        d.ellipse((x0 + dx, y0 + dy, x1 + dx, y1 + dy), fill=fill)
    d.rectangle((6 + dx, 13 + dy, 18 + dx, 19 + dy), fill=fill)


def hollow_cloud(d, dx=0, dy=0):
    cloud(d, dx, dy, 1)
    # inner: shrink each part by 2 px
    for x0, y0, x1, y1 in [(4, 11, 10, 17), (9, 6, 17, 14), (15, 10, 20, 15)]:
        d.ellipse((x0 + dx, y0 + dy, x1 + dx, y1 + dy), fill=0)
    d.rectangle((7 + dx, 13 + dy, 17 + dx, 17 + dy), fill=0)


def sun(d, cx, cy, r, ray):
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=1, width=2)
    for ax, ay in ((1, 0), (0, 1), (-1, 0), (0, -1)):
        d.line((cx + ax * (r + 2), cy + ay * (r + 2), cx + ax * (r + ray), cy + ay * (r + ray)), 1)
    for ax, ay in ((1, 1), (-1, 1), (1, -1), (-1, -1)):
        a = r + 1
        b = r + ray - 2
        d.line((cx + ax * a, cy + ay * a, cx + ax * b, cy + ay * b), 1)


def w_clear():
    im, d = canvas(S, S)
    sun(d, 11, 11, 5, 7)
    return im


def w_partly():
    im, d = canvas(S, S)
    sun(d, 8, 8, 4, 5)
    # cloud lower right, opaque over the sun
    cloud(d, 2, 4, 1)
    for x0, y0, x1, y1 in [(6, 15, 12, 21), (11, 10, 19, 18), (17, 14, 22, 19)]:
        d.ellipse((x0, y0, x1, y1), fill=0)
    d.rectangle((9, 17, 19, 21), fill=0)
    return im


def w_cloudy():
    im, d = canvas(S, S)
    hollow_cloud(d, 0, 0)
    return im


def w_fog():
    im, d = canvas(S, S)
    for i, y in enumerate((5, 10, 15, 20)):
        x = 2 if i % 2 == 0 else 5
        d.line((x, y, x + 16, y), 1, width=2)
    return im


def rain_cloud(d):
    hollow_cloud(d, 0, -4)


def w_drizzle():
    im, d = canvas(S, S)
    rain_cloud(d)
    for x, y in ((7, 18), (12, 20), (17, 18), (9, 22), (15, 22)):
        d.rectangle((x, y, x, y + 1), fill=1)
    return im


def w_rain():
    im, d = canvas(S, S)
    rain_cloud(d)
    for x in (7, 12, 17):
        d.line((x, 17, x - 3, 23), 1)
        d.line((x + 1, 17, x - 2, 23), 1)
    return im


def w_snow():
    im, d = canvas(S, S)
    rain_cloud(d)
    for cx, cy in ((7, 19), (16, 19), (11, 22)):
        d.line((cx - 1, cy, cx + 1, cy), 1)
        d.line((cx, cy - 1, cx, cy + 1), 1)
    return im


def w_thunder():
    im, d = canvas(S, S)
    rain_cloud(d)
    d.polygon([(13, 14), (8, 20), (11, 20), (9, 24), (15, 18), (12, 18), (14, 14)], fill=1)
    return im


def w_unknown():
    im, d = canvas(S, S)
    hollow_cloud(d, 0, 0)
    d.text((9, 6), "?", fill=1)
    return im


def play():
    im, d = canvas(8, 8)
    d.polygon([(1, 0), (1, 7), (6, 4), (6, 3)], fill=1)
    return im


def pause():
    im, d = canvas(8, 8)
    d.rectangle((1, 0, 2, 7), fill=1)
    d.rectangle((5, 0, 6, 7), fill=1)
    return im


def stop():
    im, d = canvas(8, 8)
    d.rectangle((1, 1, 6, 6), fill=1)
    return im


def note():
    """Placeholder for a missing cover: a beamed pair of eighth notes, 32 x 32."""
    im, d = canvas(32, 32)
    d.ellipse((4, 21, 12, 27), fill=1)
    d.ellipse((18, 18, 26, 24), fill=1)
    d.rectangle((11, 6, 12, 24), fill=1)
    d.rectangle((25, 3, 26, 21), fill=1)
    d.polygon([(11, 6), (26, 3), (26, 7), (11, 10)], fill=1)
    return im


def no_wifi():
    """WiFi arcs struck through, 24 x 24 (NO WIFI screen)."""
    im, d = canvas(S, S)
    for r in (10, 6):
        d.arc((12 - r, 17 - r, 12 + r, 17 + r), 225, 315, fill=1, width=2)
    d.ellipse((10, 15, 13, 18), fill=1)
    d.line((3, 3, 20, 20), 1, width=2)
    return im


def wifi():
    im, d = canvas(S, S)
    for r in (14, 10, 6):
        d.arc((12 - r, 19 - r, 12 + r, 19 + r), 225, 315, fill=1, width=2)
    d.ellipse((10, 17, 13, 20), fill=1)
    return im


def hlsb(im):
    w, h = im.size
    stride = (w + 7) // 8
    out = bytearray(stride * h)
    px = im.load()
    for y in range(h):
        for x in range(w):
            if px[x, y]:
                out[y * stride + x // 8] |= 0x80 >> (x % 8)
    return bytes(out)


WEATHER = [
    ("CLEAR", w_clear),
    ("PARTLY", w_partly),
    ("CLOUDY", w_cloudy),
    ("FOG", w_fog),
    ("DRIZZLE", w_drizzle),
    ("RAIN", w_rain),
    ("SNOW", w_snow),
    ("THUNDER", w_thunder),
    ("UNKNOWN", w_unknown),
]
SMALL = [("PLAY", play), ("PAUSE", pause), ("STOP", stop)]
OTHER = [("NOTE", note, 32), ("NO_WIFI", no_wifi, 24), ("WIFI", wifi, 24)]

HEAD = '''"""Icon bitmaps, MONO_HLSB (XBM bit order: whole-byte rows, MSB = leftmost pixel).

Generated by tools/make_icons.py; do not edit by hand. Drawn through ``icons.py``.
"""

from micropython import const

WEATHER_SIZE = const(24)
'''

TAIL = "\n"


def main():
    entries = []
    sheet = []
    for name, fn in WEATHER:
        im = fn()
        entries.append((name, S, S, hlsb(im)))
        sheet.append(im)
    for name, fn in SMALL:
        im = fn()
        entries.append((name, 8, 8, hlsb(im)))
        sheet.append(im)
    for name, fn, size in OTHER:
        im = fn()
        entries.append((name, size, size, hlsb(im)))
        sheet.append(im)
    lines = [HEAD, "ICONS = {"]
    for name, w, h, data in entries:
        lines.append(f'    "{name}": (')
        lines.append(f"        {w},")
        lines.append(f"        {h},")
        for i in range(0, len(data), 16):
            lines.append(f"        {data[i : i + 16]!r}")
        lines.append("    ),")
    lines.append("}")
    OUT.write_text("\n".join(lines) + TAIL, encoding="utf-8")
    # keep the generated file in the repository's style (ruff from the same venv)
    subprocess.run([sys.executable, "-m", "ruff", "format", "-q", str(OUT)], check=False)
    print("wrote", OUT)
    if "--show" in sys.argv:
        total = sum(im.size[0] + 4 for im in sheet)
        big = Image.new("1", (total, 32), 0)
        x = 0
        for im in sheet:
            big.paste(im, (x, 0))
            x += im.size[0] + 4
        big.convert("L").resize((total * 8, 32 * 8), Image.NEAREST).save("/tmp/icons.png")


if __name__ == "__main__":
    main()
