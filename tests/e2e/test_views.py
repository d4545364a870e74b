"""The views on their own: half blocks, colours and contrast, PNG frames, text on the glass."""

from __future__ import annotations

import io

from nocturne_fw import font_big as FB
from nocturne_fw import font_small as FS

from nocturne.emulator.device import Device, find_text
from nocturne.emulator.views import (
    PngView,
    TerminalView,
    halfblock_lines,
    lit_colour,
    panel_image,
    read_halfblocks,
)


def board(tmp_path) -> Device:
    # no secrets: the board boots and shows its "no secrets" screen; no network needed
    return Device(secrets=None, fs_dir=tmp_path)


def test_halfblocks_round_trip_and_scale():
    pic = [[(x * y + x) % 3 == 0 for x in range(128)] for y in range(64)]
    pic = [[int(v) for v in row] for row in pic]
    lines = halfblock_lines(pic)
    assert len(lines) == 32 and all(len(line) == 128 for line in lines)
    assert read_halfblocks(lines) == pic
    big = halfblock_lines(pic, scale=2)
    assert len(big) == 64 and len(big[0]) == 256
    assert set("".join(lines)) <= {" ", "▀", "▄", "█"}


def test_terminal_view_draws_in_place_with_dimmed_colour(tmp_path):
    dev = board(tmp_path)
    dev.tick()
    out = io.StringIO()
    view = TerminalView(out, colour="amber")
    view.show(dev)
    view.show(dev)  # unchanged: not drawn again
    assert view.frames == 1
    text = out.getvalue()
    assert text.startswith("\x1b[?25l\x1b[2J") and text.count("\x1b[H") == 1
    assert "\x1b[38;2;255;176;0m" in text  # contrast 255: full amber
    assert lit_colour("amber", 16)[0] < 120  # low contrast dims, as on the OLED
    view.close()
    assert out.getvalue().endswith("\x1b[?25h\r\n")
    mono = io.StringIO()
    TerminalView(mono, colour="mono").show(dev)
    assert "\x1b[38;2" not in mono.getvalue()


def test_png_view_one_frame_per_change(tmp_path):
    dev = board(tmp_path / "fs")
    view = PngView(tmp_path / "png", scale=2)
    for _ in range(200):  # a fraction of a second of real time: the boot splash
        dev.tick()
        view.show(dev)
    view.close()
    assert 1 <= len(view.frames) <= 3  # frames only when the glass changed
    img = panel_image(dev, 1)
    assert img.size == (128, 64)
    assert (tmp_path / "png" / "frame_00000.png").is_file()
    assert (tmp_path / "png" / "frames.txt").read_text().startswith("frame_00000.png ")


def test_find_text_both_polarities():
    import framebuf
    from nocturne_fw import text

    buf = bytearray(1024)
    fb = framebuf.FrameBuffer(buf, 128, 64, framebuf.MONO_VLSB)
    text.draw(fb, "47", 10, 5, FB)
    fb.fill_rect(60, 40, 40, 10, 1)
    text.draw(fb, "CPU", 62, 41, FS, 0)  # dark on lit, like a name tag
    pic = [[fb.pixel(x, y) for x in range(128)] for y in range(64)]
    assert find_text(pic, "47", FB) and find_text(pic, "CPU", FS)
    assert not find_text(pic, "48", FB) and not find_text(pic, "GPU", FS)


def test_png_view_every_n_ms(tmp_path):
    import time

    dev = board(tmp_path / "fs")
    view = PngView(tmp_path / "png", every_ms=50)
    end = time.monotonic() + 0.32
    while time.monotonic() < end:
        dev.tick()
        view.show(dev)
        view.poll(dev)
        time.sleep(0.01)
    view.close()
    assert 5 <= len(view.frames) <= 12, len(view.frames)  # one per 50 ms, changed or not
