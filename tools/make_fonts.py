"""Generate the firmware's bitmap fonts: firmware/nocturne_fw/font_{small,medium,big}.py.

Sources (both free, both Debian packages):

- small, medium: the X11 "misc-fixed" bitmap fonts 5x7 and 6x13B (bold), public
  domain ("Public domain font. Share and enjoy."), from Debian's ``xfonts-base``
  (/usr/share/fonts/X11/misc/*.pcf.gz, converted to BDF with ``pcf2bdf``).
- big: DejaVu Sans Mono Bold (Bitstream Vera / DejaVu licence: free to use,
  embed and redistribute), from Debian's ``fonts-dejavu-core``, rasterised
  without anti-aliasing by Pillow.

    apt-get install xfonts-base pcf2bdf fonts-dejavu-core
    .venv/bin/python tools/make_fonts.py

Module format (read by nocturne_fw/text.py): every glyph is a full cell,
``HEIGHT`` rows tall and ``WIDTHS[i]`` columns wide (its advance), stored
MONO_HLSB (a byte is 8 pixels of a row, MSB on the left; every row of every cell padded
to the bytes of the font's widest glyph, so the cells form one column text.py blits
from), glyphs concatenated in ``DATA`` in the order of ``CHARS``. ``BASELINE``
is the number of rows above the baseline.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "firmware" / "nocturne_fw"
MISC = Path("/usr/share/fonts/X11/misc")
DEJAVU_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf")

ASCII = "".join(chr(c) for c in range(32, 127))
EXTRA = "°—"  # degree sign for temperatures, em dash for absent values
# Latin-1 letters, so names like "Beyoncé" or "Motörhead" render as written
LATIN1 = "".join(chr(c) for c in range(0xC0, 0x100) if c not in (0xD7, 0xF7))
# Cyrillic for titles and process names (the original's users write Russian): the Russian
# alphabet and the Ukrainian and Belarusian letters it lacks; 76 glyphs, 7 bytes each in
# the small font, 12 in the medium one.
CYRILLIC = "Ё" + "".join(chr(c) for c in range(0x410, 0x450)) + "ё" + "ЄІЇҐЎєіїґў"
# What a character the font lacks is drawn as: a hollow box (the usual "missing glyph"),
# under the code point that means it. Drawn here, not taken from misc-fixed.
PLACEHOLDER = "\ufffd"
BIG_CHARS = "0123456789 %+-.,:/?°—CFGHKMBWz"


class Glyph:
    def __init__(self, width: int, rows: list[list[int]]):
        self.width = width  # advance, = cell width
        self.rows = rows  # rows[y][x] in 0/1, full cell height


def load_bdf(name: str) -> tuple[dict[str, Glyph], int, int, str]:
    """Glyphs of a misc-fixed font as full cells; also (ascent, descent, copyright)."""
    with tempfile.TemporaryDirectory() as tmp:
        bdf = Path(tmp) / f"{name}.bdf"
        subprocess.run(["pcf2bdf", "-o", str(bdf), str(MISC / f"{name}.pcf.gz")], check=True)
        lines = bdf.read_text(encoding="latin-1").splitlines()
    props: dict[str, str] = {}
    glyphs: dict[str, Glyph] = {}
    i = 0
    while i < len(lines):
        key, _, val = lines[i].partition(" ")
        if key in ("FONT_ASCENT", "FONT_DESCENT", "COPYRIGHT"):
            props[key] = val.strip('"')
        if key == "STARTCHAR":
            enc = dwidth = None
            bbx = (0, 0, 0, 0)
            i += 1
            while not lines[i].startswith("BITMAP"):
                k, _, v = lines[i].partition(" ")
                if k == "ENCODING":
                    enc = int(v.split()[0])
                elif k == "DWIDTH":
                    dwidth = int(v.split()[0])
                elif k == "BBX":
                    bbx = tuple(int(n) for n in v.split())
                i += 1
            bitmap = []
            i += 1
            while lines[i] != "ENDCHAR":
                bitmap.append(int(lines[i], 16))
                i += 1
            glyphs[chr(enc)] = (dwidth, bbx, bitmap)
        i += 1
    ascent = int(props["FONT_ASCENT"])
    descent = int(props["FONT_DESCENT"])
    cells: dict[str, Glyph] = {}
    for ch, (dwidth, (bw, bh, bx, by), bitmap) in glyphs.items():
        rows = [[0] * dwidth for _ in range(ascent + descent)]
        nbits = ((bw + 7) // 8) * 8
        for r, word in enumerate(bitmap):
            y = ascent - (by + bh) + r
            for c in range(bw):
                if word >> (nbits - 1 - c) & 1:
                    x = bx + c
                    if 0 <= x < dwidth and 0 <= y < ascent + descent:
                        rows[y][x] = 1
        cells[ch] = Glyph(dwidth, rows)
    return cells, ascent, descent, props.get("COPYRIGHT", "")


def load_ttf(path: Path, size: int, chars: str) -> tuple[dict[str, Glyph], int, int]:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(path), size)
    ascent, descent = font.getmetrics()
    cells: dict[str, Glyph] = {}
    for ch in chars:
        adv = round(font.getlength(ch))
        img = Image.new("1", (adv, ascent + descent), 0)
        draw = ImageDraw.Draw(img)
        draw.fontmode = "1"  # no anti-aliasing: the OLED has 1-bit pixels
        draw.text((0, 0), ch, font=font, fill=1)
        px = img.load()
        rows = [[1 if px[x, y] else 0 for x in range(adv)] for y in range(ascent + descent)]
        cells[ch] = Glyph(adv, rows)
    return cells, ascent, descent


def box_glyph(cells: dict[str, Glyph]) -> Glyph:
    """A hollow box as tall as a capital (the rows "H" inks) and one column narrower than
    the advance, so two in a row stay apart."""
    h = cells["H"]
    inked = [y for y, row in enumerate(h.rows) if any(row)]
    top, bottom = min(inked), max(inked)
    right = h.width - 2
    rows = [[0] * h.width for _ in h.rows]
    for y in range(top, bottom + 1):
        for x in range(right + 1):
            if y in (top, bottom) or x in (0, right):
                rows[y][x] = 1
    return Glyph(h.width, rows)


def trim(cells: dict[str, Glyph], ascent: int) -> tuple[int, int]:
    """Drop rows blank in every glyph at the top and bottom; return (height, baseline)."""
    height = len(next(iter(cells.values())).rows)
    inked = [y for y in range(height) if any(any(g.rows[y]) for g in cells.values())]
    top, bottom = min(inked), max(inked) + 1
    for g in cells.values():
        g.rows = g.rows[top:bottom]
    return bottom - top, ascent - top


def encode(g: Glyph, row_bytes: int) -> bytes:
    out = bytearray()
    for row in g.rows:
        for x0 in range(0, 8 * row_bytes, 8):
            b = 0
            for k in range(8):
                if x0 + k < g.width and row[x0 + k]:
                    b |= 0x80 >> k
            out.append(b)
    return bytes(out)


def write_module(name: str, header: str, cells: dict[str, Glyph], chars: str, ascent: int):
    chars = "".join(ch for ch in chars if ch in cells)
    sub = {ch: cells[ch] for ch in chars}
    height, baseline = trim(sub, ascent)
    row_bytes = (max(g.width for g in sub.values()) + 7) // 8
    data = b"".join(encode(sub[ch], row_bytes) for ch in chars)
    widths = bytes(sub[ch].width for ch in chars)
    path = OUT / f"font_{name}.py"
    lines = [
        f'"""{header}',
        "",
        "Generated by tools/make_fonts.py; do not edit. Format: see nocturne_fw/text.py.",
        f"{len(chars)} glyphs, {len(data)} bytes of bitmap.",
        '"""',
        "",
        "from micropython import const",
        "",
        f"HEIGHT = const({height})  # rows in every glyph cell",
        f"BASELINE = const({baseline})  # rows above the baseline",
        f"MAX_WIDTH = const({max(widths)})",
        "CHARS = (",
        *(f"    {chars[i : i + 32]!r}" for i in range(0, len(chars), 32)),
        ")",
        "WIDTHS = (",
        *(f"    {widths[i : i + 16]!r}" for i in range(0, len(widths), 16)),
        ")",
        "DATA = (",
    ]
    per = 24
    for i in range(0, len(data), per):
        lines.append(f"    {data[i : i + per]!r}")
    lines.append(")")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(REPO)}: {len(chars)} glyphs, height {height}")


def main() -> None:
    cells, ascent, _, copy = load_bdf("5x7")
    cells[PLACEHOLDER] = box_glyph(cells)
    write_module(
        "small",
        "Small labels: X11 misc-fixed 5x7, Debian xfonts-base.\nLicence: public domain ("
        + copy
        + ").",
        cells,
        ASCII + EXTRA + LATIN1 + CYRILLIC + PLACEHOLDER,
        ascent,
    )
    cells, ascent, _, copy = load_bdf("6x13B")
    cells[PLACEHOLDER] = box_glyph(cells)
    write_module(
        "medium",
        "Values: X11 misc-fixed 6x13B (bold), Debian xfonts-base.\nLicence: public domain ("
        + copy
        + ").",
        cells,
        ASCII + EXTRA + LATIN1 + CYRILLIC + PLACEHOLDER,
        ascent,
    )
    cells, ascent, _ = load_ttf(DEJAVU_BOLD, 24, BIG_CHARS)
    write_module(
        "big",
        "Big digits: DejaVu Sans Mono Bold at 24 px, DejaVu/Bitstream Vera licence (free,\n"
        "redistributable), Debian fonts-dejavu-core; digits and a few symbols only.",
        cells,
        BIG_CHARS,
        ascent,
    )


def format_outputs() -> None:
    """Run the repository's formatter on the generated modules, so they are stable."""
    ruff = REPO / ".venv" / "bin" / "ruff"
    files = [str(OUT / f"font_{n}.py") for n in ("small", "medium", "big")]
    subprocess.run([str(ruff) if ruff.exists() else "ruff", "format", "-q", *files], check=True)


if __name__ == "__main__":
    main()
    format_outputs()
