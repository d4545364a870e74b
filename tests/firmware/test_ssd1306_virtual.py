"""The virtual SSD1306 decodes every way a driver may talk to the controller."""

import random

from nocturne.emulator.ssd1306_virtual import VirtualSSD1306


def frame(seed=1):
    r = random.Random(seed)
    return bytes(r.randrange(256) for _ in range(1024))


def test_reset_state_is_datasheet():
    d = VirtualSSD1306()
    assert d.contrast == 0x7F and not d.display_on and d.mode == 2 and not d.charge_pump
    assert not d.lit and d.picture()[0][0] == 0


def test_micropython_lib_style_one_command_per_write_page_ranges():
    # micropython-lib's ssd1306: 0x80 + one byte per write, args as separate writes,
    # then the frame with a 0x40 prefix
    d = VirtualSSD1306()
    for b in (0xAE, 0x20, 0x00, 0x8D, 0x14, 0xAF, 0x21, 0, 127, 0x22, 0, 7):
        d.write(bytes((0x80, b)))
    f = frame()
    d.write(b"\x40" + f)
    assert d.framebuffer() == f and d.lit
    assert d.commands[:3] == [(0xAE,), (0x20, 0x00), (0x8D, 0x14)]


def test_command_stream_and_co_bit_mixing():
    d = VirtualSSD1306()
    d.write(bytes((0x00, 0x20, 0x00, 0x81, 0x33, 0xA7, 0xA0, 0xC0)))
    assert d.mode == 0 and d.contrast == 0x33 and d.inverse
    assert not d.seg_remap and not d.com_reversed
    # Co=1 command, Co=1 data byte, then Co=0 data run in one transaction
    d.write(bytes((0x80, 0xA6, 0xC0, 0xFF, 0x40, 0x01, 0x02)))
    assert not d.inverse and d.ram[:3] == b"\xff\x01\x02"


def test_page_addressing_mode():
    d = VirtualSSD1306()  # reset: page mode
    d.write(bytes((0x00, 0xB3, 0x05, 0x12)))  # page 3, column 0x25
    d.write(b"\x40\xaa\xbb")
    assert d.ram[3 * 128 + 0x25 : 3 * 128 + 0x27] == b"\xaa\xbb"
    d.write(bytes((0x00, 0xB7, 0x0E, 0x17)))  # page 7, column 126
    d.write(b"\x40\x01\x02\x03")  # wraps to column 0 of the same page
    assert d.ram[7 * 128 + 126] == 1 and d.ram[7 * 128 + 127] == 2 and d.ram[7 * 128] == 3


def test_horizontal_window_and_vertical_mode():
    d = VirtualSSD1306()
    d.write(bytes((0x00, 0x20, 0x00, 0x21, 10, 11, 0x22, 2, 3)))
    d.write(b"\x40\x01\x02\x03\x04\x05")  # 2x2 window, then wraps to its start
    assert d.ram[2 * 128 + 10] == 5 and d.ram[2 * 128 + 11] == 2
    assert d.ram[3 * 128 + 10] == 3 and d.ram[3 * 128 + 11] == 4
    d.write(bytes((0x00, 0x20, 0x01, 0x21, 0, 127, 0x22, 0, 7)))
    d.write(b"\x40\x11\x22")  # vertical: down the pages first
    assert d.ram[0] == 0x11 and d.ram[128] == 0x22


def test_picture_orientation_invert_entire_on():
    d = VirtualSSD1306()
    d.write(bytes((0x00, 0x8D, 0x14, 0x20, 0x00, 0xA1, 0xC8, 0xAF)))
    d.write(b"\x40\x01")  # column 0, row 0
    p = d.picture()
    assert p[0][0] == 1 and sum(map(sum, p)) == 1
    d.write(bytes((0x00, 0xA0, 0xC0)))  # unmirrored: turned 180 degrees
    assert d.picture()[63][127] == 1
    d.write(bytes((0x00, 0xA7)))
    assert sum(map(sum, d.picture())) == 128 * 64 - 1
    d.write(bytes((0x00, 0xA6, 0xA5)))
    assert sum(map(sum, d.picture())) == 128 * 64
    d.write(bytes((0x00, 0xA4, 0x8D, 0x10)))  # pump off: dark
    assert sum(map(sum, d.picture())) == 0


def test_start_line_and_image():
    d = VirtualSSD1306()
    d.write(bytes((0x00, 0x8D, 0x14, 0x20, 0x00, 0xA1, 0xC8, 0xAF, 0x41)))
    d.write(b"\x40\x02")  # row 1 of RAM shows on the top line with start line 1
    assert d.picture()[0][0] == 1
    img = d.to_image(scale=2)
    assert img.size == (256, 128) and img.getpixel((0, 0)) != (0, 0, 0)
