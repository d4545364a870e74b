"""Render every firmware scene and system screen from fixed inputs (tests/firmware/screens.py)
in CPython, as golden PNGs (1 px per pixel) and 4x copies for the README.

    .venv/bin/python tools/render_screens.py            # rewrite tests/firmware/golden/*.png
                                                        # and docs/screens/*.png
    .venv/bin/python tools/render_screens.py --check    # compare only; exit 1 on a difference

Run it after an intended visual change, look at docs/screens/, and commit both.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (
    ROOT / "tests" / "firmware",
    ROOT / "firmware",
    ROOT / "src" / "nocturne" / "emulator" / "shims",
):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from PIL import Image  # noqa: E402

GOLDEN = ROOT / "tests" / "firmware" / "golden"
DOCS = ROOT / "docs" / "screens"
SCALE = 4


def to_image(buf, w=128, h=64):
    """MONO_VLSB bytes (SSD1306 layout) -> 1-bit PIL image."""
    im = Image.new("1", (w, h), 0)
    px = im.load()
    for y in range(h):
        row = (y >> 3) * w
        bit = 1 << (y & 7)
        for x in range(w):
            if buf[row + x] & bit:
                px[x, y] = 1
    return im


def from_image(im):
    im = im.convert("1")
    w, h = im.size
    out = bytearray(w * h // 8)
    px = im.load()
    for y in range(h):
        for x in range(w):
            if px[x, y]:
                out[(y >> 3) * w + x] |= 1 << (y & 7)
    return bytes(out)


def oled_look(im):
    """4x, lit pixels in the OLED's white on near-black, a hairline grid like the panel."""
    big = im.convert("L").resize((im.size[0] * SCALE, im.size[1] * SCALE), Image.NEAREST)
    return big.point(lambda v: 235 if v else 18)


def main(argv):
    import custom_screens
    import screens

    check = "--check" in argv
    GOLDEN.mkdir(parents=True, exist_ok=True)
    DOCS.mkdir(parents=True, exist_ok=True)
    bad = []
    names = screens.NAMES + custom_screens.NAMES
    for name in names:
        mod = custom_screens if name in custom_screens.NAMES else screens
        im = to_image(mod.render(name))
        path = GOLDEN / (name + ".png")
        if check:
            if not path.exists() or from_image(Image.open(path)) != from_image(im):
                bad.append(name)
            continue
        im.save(path, optimize=True)
        oled_look(im).save(DOCS / (name + ".png"), optimize=True)
    if check:
        print("differ:", ", ".join(bad) if bad else "none")
        return 1 if bad else 0
    print(f"wrote {len(names)} screens to {GOLDEN} and {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
