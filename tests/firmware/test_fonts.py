"""Bitmap fonts and the text writer: every glyph renders, widths add up, fallback is readable."""

import framebuf
import pytest
from mp import firmware_files, run_micropython
from nocturne_fw import font_big, font_medium, font_small, text

FONTS = {"small": font_small, "medium": font_medium, "big": font_big}
ASCII = "".join(chr(c) for c in range(32, 127))
MIXED = "Beyoncé — Ünïcode 日本 Кино 😀 ❤️ 👍🏽"


def screen(w=128, h=64):
    buf = bytearray(w * ((h + 7) // 8))
    return buf, framebuf.FrameBuffer(buf, w, h, framebuf.MONO_VLSB)


def pixels(fb, w, h):
    return [[fb.pixel(x, y) for x in range(w)] for y in range(h)]


@pytest.mark.parametrize("name", FONTS)
def test_font_tables_consistent(name):
    f = FONTS[name]
    assert len(f.CHARS) == len(f.WIDTHS) == len(set(f.CHARS))
    assert len(f.DATA) == sum(((w + 7) // 8) * f.HEIGHT for w in f.WIDTHS)
    assert 0 < f.BASELINE <= f.HEIGHT
    assert max(f.WIDTHS) == f.MAX_WIDTH
    need = ASCII if name != "big" else "0123456789 %.-:"
    assert set(need + "°—") <= set(f.CHARS)


def test_font_sizes():
    assert 5 <= font_small.HEIGHT <= 8
    assert 8 <= font_medium.HEIGHT <= 13
    assert 16 <= font_big.HEIGHT <= 24


@pytest.mark.parametrize("name", FONTS)
def test_every_glyph_renders_exactly_its_bitmap(name):
    f = FONTS[name]
    off = 0
    for ch, w in zip(f.CHARS, f.WIDTHS, strict=True):
        n = ((w + 7) // 8) * f.HEIGHT
        glyph = f.DATA[off : off + n]
        off += n
        _, fb = screen(w + 4, f.HEIGHT + 4)
        assert text.draw(fb, ch, 2, 2, f) == w == text.char_width(ch, f)
        got = pixels(fb, w + 4, f.HEIGHT + 4)
        for y in range(f.HEIGHT + 4):
            for x in range(w + 4):
                gx, gy = x - 2, y - 2
                want = 0
                if 0 <= gx < w and 0 <= gy < f.HEIGHT:
                    want = (glyph[gy * ((w + 7) // 8) + gx // 8] >> (7 - gx % 8)) & 1
                assert got[y][x] == want, (name, ch, x, y)
        if ch != " " and ch != "\u00a0":
            assert any(glyph), (name, ch)


def test_width_helpers_and_alignment():
    s = "CPU 54°"
    w = text.text_width(s, font_medium)
    assert w == sum(text.char_width(c, font_medium) for c in s) == 6 * len(s)
    assert text.text_width("", font_small) == 0
    assert text.height(font_big) == font_big.HEIGHT

    _, a = screen()
    text.draw(a, s, 10, 5, font_medium)
    _, b = screen()
    assert text.draw(b, s, 10 + w, 5, font_medium, align=text.RIGHT) == w
    assert pixels(a, 128, 64) == pixels(b, 128, 64)
    _, c = screen()
    text.draw(c, s, 10 + w // 2, 5, font_medium, align=text.CENTER)
    assert pixels(a, 128, 64) == pixels(c, 128, 64)


def test_dark_text_on_lit_box():
    _, fb = screen()
    fb.fill_rect(0, 0, 40, 20, 1)
    text.draw(fb, "88", 2, 2, font_medium, c=0)
    _, ink = screen()
    text.draw(ink, "88", 2, 2, font_medium)
    for y in range(20):
        for x in range(40):
            assert fb.pixel(x, y) == 1 - ink.pixel(x, y)


def test_clipping_at_edges_does_not_fail():
    _, fb = screen()
    text.draw(fb, "99°", 120, 55, font_big)
    text.draw(fb, "99°", -20, -10, font_big)
    text.draw(fb, MIXED, 200, 200, font_small)


@pytest.mark.parametrize("name", FONTS)
def test_fallback_is_readable(name):
    f = FONTS[name]
    expected = "".join(c if c in f.CHARS else _fallback(c, f) for c in MIXED)
    _, a = screen(400, 30)
    _, b = screen(400, 30)
    wa = text.draw(a, MIXED, 0, 0, f)
    wb = text.draw(b, expected, 0, 0, f)
    assert wa == wb == text.text_width(MIXED, f)
    assert pixels(a, 400, 30) == pixels(b, 400, 30)


def _fallback(c, f):
    i = text._FROM.find(c)
    if i >= 0:
        c = text._TO[i]
        if c in f.CHARS:
            return c
    if c.upper() in f.CHARS:
        return c.upper()
    if c in "\ufe0f\U0001f3fd":  # variation selector, skin tone: nothing
        return ""
    return text.PLACEHOLDER if text.PLACEHOLDER in f.CHARS else "?"


def test_fallback_specifics():
    # small and medium have Latin-1 and the em dash: drawn as themselves
    assert all(c in font_small.CHARS for c in "éÜï—°")
    # ... and Cyrillic, for titles and process names
    for f in (font_small, font_medium):
        assert all(
            c in f.CHARS
            for c in "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя"
        )
        assert all(c in f.CHARS for c in "ЄІЇҐЎєіїґў")
    # CJK or an emoji has no glyph anywhere: the placeholder box, one per character
    box = text.PLACEHOLDER
    assert text.text_width("日本", font_small) == text.text_width(box * 2, font_small)
    assert text.text_width("😀", font_medium) == text.char_width(box, font_medium) == 6
    # the invisible parts of an emoji draw nothing: one box each for "❤️" and "👍🏽"
    assert text.text_width("❤️👍🏽", font_small) == text.text_width(box * 2, font_small)
    _, a = screen()
    _, b = screen()
    text.draw(a, "a\u200db\ufeffc", 0, 0, font_small)
    text.draw(b, "abc", 0, 0, font_small)
    assert pixels(a, 128, 64) == pixels(b, 128, 64)
    # the big digits have no box: "?" there
    assert text.text_width("😀", font_big) == text.text_width("?", font_big)
    # transliteration of letters the fonts lack
    assert text.text_width("ő", font_small) == text.text_width("o", font_small)
    _, a = screen()
    _, b = screen()
    text.draw(a, "Ł–“x”", 0, 0, font_small)
    text.draw(b, 'L-"x"', 0, 0, font_small)
    assert pixels(a, 128, 64) == pixels(b, 128, 64)
    # the table maps each accented letter to one ASCII character
    assert len(text._FROM) == len(text._TO)
    assert all(ord(c) < 128 for c in text._TO)
    # a capitals-only font shows lower case as capitals
    assert text.text_width("ghz", font_big) == text.text_width("GHz", font_big)
    _, a = screen()
    _, b = screen()
    text.draw(a, "ghé", 0, 0, font_big)
    text.draw(b, "GH?", 0, 0, font_big)  # "é" -> "e" -> "E" is not in the big font
    assert pixels(a, 128, 64) == pixels(b, 128, 64)
    # strange input never raises
    _, fb = screen()
    for s in ("\x00\x01\n\t", "\ud7ff\ufffd", "😀" * 3, ""):
        text.draw(fb, s, 0, 0, font_medium)


@pytest.mark.parametrize("name", ["small", "medium"])
def test_the_placeholder_is_a_hollow_box_as_tall_as_a_capital(name):
    f = FONTS[name]
    w = text.char_width(text.PLACEHOLDER, f)
    _, a = screen(w, f.HEIGHT)
    _, h = screen(w, f.HEIGHT)
    text.draw(a, "😀", 0, 0, f)
    text.draw(h, "H", 0, 0, f)
    box = pixels(a, w, f.HEIGHT)
    rows = [y for y in range(f.HEIGHT) if any(pixels(h, w, f.HEIGHT)[y])]
    top, bottom = rows[0], rows[-1]
    for y in range(f.HEIGHT):
        for x in range(w):
            edge = top <= y <= bottom and x <= w - 2 and (y in (top, bottom) or x in (0, w - 2))
            assert box[y][x] == (1 if edge else 0), (x, y)


def test_fit():
    s = "Never Gonna Give You Up"
    assert text.fit("short", font_small, 100) == "short"
    cut = text.fit(s, font_small, 60)
    assert cut.endswith(".") and text.text_width(cut, font_small) <= 60
    assert s.startswith(cut[:-1])


MP_TEXT_SCRIPT = r"""
import framebuf, gc
from nocturne_fw import text, font_small, font_medium, font_big
buf = bytearray(1024)
fb = framebuf.FrameBuffer(buf, 128, 64, framebuf.MONO_VLSB)
S = ('Beyonc\u00e9 \u2014 \u00dcn\u00efcode \u65e5\u672c '
     '\u041a\u0438\u043d\u043e \U0001f600 \u2764\ufe0f \U0001f44d\U0001f3fd')

def frame():
    fb.fill(0)
    text.draw(fb, S, 0, 0, font_small)
    text.draw(fb, 'GPU 71\u00b0C 2.1GHz', 0, 8, font_medium)
    text.draw(fb, '72\u00b0', 0, 22, font_big)
    fb.fill_rect(60, 22, 68, 22, 1)
    text.draw(fb, '1234', 127, 22, font_big, 0, text.RIGHT)
    text.draw(fb, 'mid', 64, 50, font_medium, 1, text.CENTER)

frame()
print('FRAME', ''.join('%02x' % b for b in buf))
a = 0
gc.collect()
a = gc.mem_alloc()
frame()
frame()
a = gc.mem_alloc() - a
print('ALLOC', a)
print('W', text.text_width(S, font_small), text.text_width(S, font_big))
"""


def test_text_identical_in_micropython_and_allocation_free():
    files = firmware_files(
        "nocturne_fw/text.py",
        "nocturne_fw/font_small.py",
        "nocturne_fw/font_medium.py",
        "nocturne_fw/font_big.py",
    )
    out = run_micropython(MP_TEXT_SCRIPT, files)
    lines = dict(line.split(" ", 1) for line in out.splitlines())

    buf, fb = screen()
    s = MIXED
    fb.fill(0)
    text.draw(fb, s, 0, 0, font_small)
    text.draw(fb, "GPU 71°C 2.1GHz", 0, 8, font_medium)
    text.draw(fb, "72°", 0, 22, font_big)
    fb.fill_rect(60, 22, 68, 22, 1)
    text.draw(fb, "1234", 127, 22, font_big, 0, text.RIGHT)
    text.draw(fb, "mid", 64, 50, font_medium, 1, text.CENTER)
    assert lines["FRAME"] == buf.hex()
    assert int(lines["ALLOC"]) == 0, "text.draw allocated after warm-up in MicroPython"
    assert lines["W"] == f"{text.text_width(s, font_small)} {text.text_width(s, font_big)}"


@pytest.mark.parametrize("align", [text.LEFT, text.CENTER, text.RIGHT])
@pytest.mark.parametrize("s", ["short", MIXED, "DESKTOP-7F3KQ2B-AND-MORE", "", "W" * 40])
@pytest.mark.parametrize("width", [0, 20, 60, 128])
def test_draw_fit_draws_what_fit_returns_without_making_it(s, width, align):
    want_buf, want_fb = screen()
    got_buf, got_fb = screen()
    fitted = text.fit(s, font_medium, width)
    x = 64 if align == text.CENTER else 127 if align == text.RIGHT else 1
    w = text.draw(want_fb, fitted, x, 20, font_medium, 1, align)
    assert text.draw_fit(got_fb, s, x, 20, font_medium, width, 1, align) == w
    assert got_buf == want_buf
