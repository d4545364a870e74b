"""Reading every string off the glass with the firmware's own fonts (``emulate --text``):
strings drawn by the firmware's text writer come back in reading order, dark on lit too;
lines and dots are no text; a "P" is not read as a "p" one row up."""

from __future__ import annotations

from nocturne.emulator.firmware_loader import install_paths
from nocturne.emulator.glass_text import read_text

install_paths()

import framebuf  # noqa: E402  (the MicroPython shims, from install_paths)
from nocturne_fw import font_big, font_medium, font_small, text  # noqa: E402


def frame() -> framebuf.FrameBuffer:
    return framebuf.FrameBuffer(bytearray(1024), 128, 64, framebuf.MONO_VLSB)


def picture(fb: framebuf.FrameBuffer) -> list[list[int]]:
    return [[fb.pixel(x, y) for x in range(128)] for y in range(64)]


def test_strings_come_back_in_reading_order_in_every_font():
    fb = frame()
    fb.fill_rect(0, 0, 128, 9, 1)
    text.draw(fb, "CORES", 2, 1, font_small, 0)  # a header: dark on lit
    text.draw(fb, "PWR", 100, 1, font_small, 0)
    text.draw(fb, "4875", 0, 14, font_big)
    text.draw(fb, "MHz", 60, 24, font_small)
    text.draw(fb, "CCD1 Tdie", 0, 40, font_medium)
    text.draw(fb, "47.3°C", 80, 40, font_medium)
    text.draw(fb, "NVMe", 0, 55, font_small)
    text.draw(fb, "\u2014", 100, 55, font_small)  # the unknown value's dash
    fb.hline(0, 37, 128, 1)  # a separator
    fb.pixel(120, 30, 1)  # a graph's dot
    assert read_text(picture(fb)) == [
        "CORES", "PWR", "4875", "MHz", "CCD1 Tdie", "47.3°C", "NVMe", "\u2014",
    ]  # fmt: skip


def test_strings_apart_are_two_and_an_empty_glass_has_none():
    fb = frame()
    assert read_text(picture(fb)) == []
    text.draw(fb, "A B", 0, 0, font_small)  # one space: one string
    text.draw(fb, "C", 40, 0, font_small)  # far apart: another
    text.draw(fb, "PWR", 0, 20, font_small)  # its P has a "p"'s pixels, one row up
    assert read_text(picture(fb)) == ["A B", "C", "PWR"]
