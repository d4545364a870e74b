"""The SSD1306 driver, end to end: firmware driver -> shim I2C -> virtual SSD1306.

Also runs the driver in real MicroPython (WASM) with a recording I2C and
decodes those bytes with the same virtual SSD1306, and counts allocations
per frame on both interpreters.
"""

import gc
import tracemalloc

import machine
import pytest
from mp import firmware_files, run_micropython
from nocturne_fw import board, clock, ssd1306

from nocturne.emulator.ssd1306_virtual import VirtualSSD1306


@pytest.fixture
def rig():
    machine.reset_all()
    dev = VirtualSSD1306()
    machine.bus(0).attach(0x3C, dev)
    clk = clock.ManualClock()
    clock.set_source(clk)
    yield dev, clk
    clock.set_source(None)
    machine.reset_all()


def draw_sample(fb, k=0):
    fb.fill(0)
    fb.rect(0, 0, 128, 64, 1)
    fb.line(k, 0, 127 - k, 63, 1)
    fb.ellipse(64, 32, 20 + k, 10, 1, True)
    fb.text(f"NOCTURNE {k}", 4, 4, 1)
    fb.fill_rect(100, 40, 30, 30, 1)
    fb.pixel(127, 63, 0)


def test_init_sequence_and_decode(rig):
    dev, _ = rig
    oled = board.Board("V4").oled()
    assert dev.lit  # display on, charge pump on
    assert dev.mode == 0  # horizontal addressing
    assert (dev.col_start, dev.col_end, dev.page_start, dev.page_end) == (0, 127, 0, 7)
    assert dev.mux == 64 and dev.com_pins == 0x12 and dev.offset == 0 and dev.start_line == 0
    assert dev.seg_remap and dev.com_reversed  # upright on the Heltec module
    assert dev.framebuffer() == bytes(1024)  # cleared before switching on
    ops = [c[0] for c in dev.commands]
    assert ops.index(0x8D) < ops.index(0xAF)  # pump before display on
    assert ops[-1] == 0xAF
    for k in range(3):
        draw_sample(oled, k)
        oled.show()
        assert dev.framebuffer() == bytes(oled.buf[1:])
    assert dev.picture()[0][0] == 1 and dev.picture()[63][127] == 0


def test_show_is_one_write_of_1025_bytes(rig):
    oled = board.Board("V4").oled()
    bus = machine.bus(0)
    draw_sample(oled)
    before = bus.writes
    oled.show()
    assert bus.writes == before + 1
    addr, data = bus.log[-1]
    assert addr == 0x3C and len(data) == 1025 and data[0] == 0x40
    assert data[1:] == bytes(oled.buf[1:])


def test_commands_contrast_invert_flip_power(rig):
    dev, _ = rig
    oled = board.Board("V4").oled(contrast=0x40)
    assert dev.contrast == 0x40
    oled.contrast(200)
    assert dev.contrast == 200 and dev.commands[-1] == (0x81, 200)
    oled.invert(1)
    assert dev.inverse and dev.commands[-1] == (0xA7,)
    oled.invert(0)
    assert not dev.inverse
    oled.fill(0)
    oled.pixel(0, 0, 1)
    oled.show()
    assert dev.picture()[0][0] == 1
    oled.rotate(True)
    assert not dev.seg_remap and not dev.com_reversed
    assert dev.picture()[63][127] == 1 and dev.picture()[0][0] == 0  # turned 180
    oled.rotate(False)
    assert dev.picture()[0][0] == 1
    oled.poweroff()
    assert not dev.display_on and dev.commands[-1] == (0xAE,)
    assert not any(any(r) for r in dev.picture())
    oled.poweron()
    assert dev.display_on and dev.picture()[0][0] == 1


def test_flip_at_init(rig):
    dev, _ = rig
    oled = board.Board("V4").oled(flip=True)
    assert not dev.seg_remap and not dev.com_reversed
    oled.pixel(0, 0, 1)
    oled.show()
    assert dev.picture()[63][127] == 1


def test_failed_write_resends_window(rig):
    dev, _ = rig
    oled = board.Board("V4").oled()

    class Flaky:
        def __init__(self, inner):
            self.inner = inner
            self.fail = True

        def write(self, data):
            if self.fail and len(data) == 1025:
                self.fail = False
                self.inner.write(data[:300])  # half a frame, then the bus breaks
                raise OSError(116)
            self.inner.write(data)

    machine.bus(0).attach(0x3C, Flaky(dev))
    draw_sample(oled, 1)
    with pytest.raises(OSError):
        oled.show()
    draw_sample(oled, 2)
    oled.show()
    assert dev.framebuffer() == bytes(oled.buf[1:])


def test_board_power_up_sequence(rig):
    events = machine.trace

    class LoggingClock(clock.ManualClock):
        def sleep_ms(self, ms):
            events.append(("sleep", ms))
            self.advance(ms)

    clock.set_source(LoggingClock())
    board.Board("V4").power_oled()
    seq = list(events)
    assert seq[0] == ("pin", 36, 0)  # Vext LOW first: OLED supply on
    assert seq[1] == ("sleep", 100)
    i_low = seq.index(("pin", 21, 0))
    assert seq[i_low + 1][0] == "sleep" and seq[i_low + 1][1] >= 20
    assert seq[i_low + 2] == ("pin", 21, 1)


@pytest.mark.parametrize(
    ("rev", "vext", "led"), [("V3", 36, 35), ("V4", 36, 35), ("V4R8", 40, 46), ("v4.3", 40, 46)]
)
def test_board_revisions(rev, vext, led):
    b = board.Board(rev)
    assert (b.vext, b.led, b.sda, b.scl, b.oled_rst, b.button) == (vext, led, 17, 18, 21, 0)


def test_unknown_revision():
    with pytest.raises(ValueError):
        board.Board("V2")


class NullI2C:
    """Counts transactions and keeps nothing, so only the driver can allocate."""

    def __init__(self):
        self.n = 0

    def writeto(self, addr, buf, stop=True):
        self.n += 1


def _peak_alloc_per_frames(oled, frames=20):
    oled.show()
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        for _ in range(frames):
            oled.show()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_no_allocation_per_show_cpython():
    i2c = NullI2C()
    oled = ssd1306.SSD1306_I2C(i2c)
    n = i2c.n
    peak = _peak_alloc_per_frames(oled)
    assert i2c.n - n == 21
    # a copy of the frame (1025 bytes) per show would show up here
    assert peak < 256, f"show() raised the heap peak by {peak} bytes"


def test_allocation_probe_detects_a_copy():
    class Copying(ssd1306.SSD1306_I2C):
        def show(self):
            self.i2c.writeto(self.addr, bytes(self.buf))

    assert _peak_alloc_per_frames(Copying(NullI2C())) >= 1025


MP_DRIVER_SCRIPT = r"""
import gc
from nocturne_fw.ssd1306 import SSD1306_I2C

class RecI2C:
    def __init__(self):
        self.out = []
        self.n = 0
        self.record = True
    def writeto(self, addr, buf):
        self.n += 1
        if self.record:
            self.out.append(bytes(buf))

i2c = RecI2C()
oled = SSD1306_I2C(i2c, 0x3C, 128, 64, 0x40, False)
oled.fill(0)
oled.rect(0, 0, 128, 64, 1)
oled.line(3, 0, 124, 63, 1)
oled.ellipse(64, 32, 20, 10, 1, True)
oled.text('NOCTURNE 0', 4, 4, 1)
oled.fill_rect(100, 40, 30, 30, 1)
oled.pixel(127, 63, 0)
oled.show()
oled.contrast(200)
oled.invert(1)
oled.rotate(1)
oled.poweroff()
oled.poweron()
for b in i2c.out:
    print('W', ''.join('%02x' % v for v in b))
i2c.record = False

def frames(k):
    for i in range(k):
        oled.show()

frames(1)
n = i2c.n
a = 0
gc.collect()
a = gc.mem_alloc()
frames(50)
a = gc.mem_alloc() - a
print('ALLOC', a, 'WRITES', i2c.n - n)
"""


def test_driver_in_micropython_decodes_and_allocates_nothing():
    out = run_micropython(MP_DRIVER_SCRIPT, firmware_files("nocturne_fw/ssd1306.py"))
    writes = [bytes.fromhex(line[2:]) for line in out.splitlines() if line.startswith("W ")]
    alloc_line = next(line for line in out.splitlines() if line.startswith("ALLOC"))
    _, alloc, _, nwrites = alloc_line.split()
    assert int(nwrites) == 50  # one transaction per frame
    assert int(alloc) == 0, f"show() allocated {alloc} bytes over 50 frames in MicroPython"

    dev = VirtualSSD1306()
    for w in writes:
        dev.write(w)
    # the same drawing through the shim must give the same RAM
    import framebuf

    ref = bytearray(1024)
    fb = framebuf.FrameBuffer(ref, 128, 64, framebuf.MONO_VLSB)
    fb.fill(0)
    fb.rect(0, 0, 128, 64, 1)
    fb.line(3, 0, 124, 63, 1)
    fb.ellipse(64, 32, 20, 10, 1, True)
    fb.text("NOCTURNE 0", 4, 4, 1)
    fb.fill_rect(100, 40, 30, 30, 1)
    fb.pixel(127, 63, 0)
    assert dev.framebuffer() == bytes(ref)
    assert [len(w) for w in writes].count(1025) == 2  # init clear + our frame
    assert dev.contrast == 200 and dev.inverse and not dev.seg_remap and dev.lit
