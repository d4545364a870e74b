"""SSD1306 128x64 OLED over I2C: a FrameBuffer whose ``show()`` is one I2C write.

The SSD1306 takes a control byte before each run of I2C bytes: 0x00 = the
rest are commands, 0x80 = one command follows, 0x40 = the rest are display
data. Its RAM is 8 pages of 128 bytes; each byte is a column of 8 pixels,
LSB on top: exactly framebuf's MONO_VLSB. So the driver keeps one
``bytearray(1025)``: byte 0 is the 0x40 data control byte, bytes 1..1024 the
frame, and the FrameBuffer draws into a memoryview of ``buf[1:]``. ``show()``
sends that whole buffer in one ``writeto``: no copy, no allocation, one
transaction (1025 bytes + address = ~23 ms at 400 kHz).

That works because init selects horizontal addressing over columns 0..127 and
pages 0..7: the RAM pointer advances column by column, page by page, and wraps
to (0, 0) after 1024 bytes, ready for the next frame. If a write fails midway
the pointer is lost, so the window is set again before the next frame.

Commands and their values are from the Solomon Systech SSD1306 datasheet
(rev 1.1, section 9 "Command table" and the 128x64 init flow, section 3 of
the application note).
"""

import framebuf
from micropython import const

_CTRL_CMDS = const(0x00)  # control byte: every following byte is a command
_CTRL_DATA = const(0x40)  # control byte: every following byte is display data

_SET_MEM_ADDR = const(0x20)  # + mode: 0 horizontal, 1 vertical, 2 page
_SET_COL_ADDR = const(0x21)  # + start, end column
_SET_PAGE_ADDR = const(0x22)  # + start, end page
_SET_START_LINE = const(0x40)  # | line 0..63
_SET_CONTRAST = const(0x81)  # + 0..255
_SET_CHARGE_PUMP = const(0x8D)  # + 0x14 on (internal VCC), 0x10 off
_SET_SEG_REMAP = const(0xA0)  # | 1: column 127 drives SEG0
_SET_ENTIRE_ON = const(0xA4)  # | 0: show RAM, 1: all pixels on
_SET_NORM_INV = const(0xA6)  # | 1: inverted
_SET_MUX_RATIO = const(0xA8)  # + rows - 1
_SET_DISP = const(0xAE)  # | 1: display on
_SET_COM_OUT_DIR = const(0xC0)  # | 8: scan COM[N-1] -> COM0
_SET_DISP_OFFSET = const(0xD3)  # + vertical shift
_SET_DISP_CLK_DIV = const(0xD5)  # + divide ratio / oscillator frequency
_SET_PRECHARGE = const(0xD9)  # + phase 2 | phase 1 periods in DCLKs
_SET_COM_PIN_CFG = const(0xDA)  # + 0x12: alternative COM pins, for 64 rows
_SET_VCOM_DESEL = const(0xDB)  # + VCOMH deselect level

ADDR = const(0x3C)  # 7-bit I2C address with SA0 low (Heltec boards)


class SSD1306_I2C(framebuf.FrameBuffer):
    """The OLED as a FrameBuffer. Draw, then ``show()``.

    ``flip=True`` turns the picture 180 degrees (for a board mounted upside
    down); ``contrast`` is 0..255 (the panel's segment current, 256 steps).
    """

    def __init__(self, i2c, addr=ADDR, width=128, height=64, contrast=0xCF, flip=False):
        self.i2c = i2c
        self.addr = addr
        self.width = width
        self.height = height
        self.pages = height // 8
        self.buf = bytearray(1 + width * self.pages)
        self.buf[0] = _CTRL_DATA
        super().__init__(memoryview(self.buf)[1:], width, height, framebuf.MONO_VLSB)
        self._cmd1 = bytearray(2)  # control + one command
        self._cmd2 = bytearray(3)  # control + command + argument
        self._win = bytearray(7)  # control + column range + page range
        self._cmd1[0] = _CTRL_CMDS
        self._cmd2[0] = _CTRL_CMDS
        w = self._win
        w[0] = _CTRL_CMDS
        w[1] = _SET_COL_ADDR
        w[2] = 0
        w[3] = width - 1
        w[4] = _SET_PAGE_ADDR
        w[5] = 0
        w[6] = self.pages - 1
        self._lost = True
        self.flipped = flip
        self.init_display(contrast)

    def _c1(self, cmd):
        self._cmd1[1] = cmd
        self.i2c.writeto(self.addr, self._cmd1)

    def _c2(self, cmd, arg):
        b = self._cmd2
        b[1] = cmd
        b[2] = arg
        self.i2c.writeto(self.addr, b)

    def init_display(self, contrast=0xCF):
        """Datasheet init flow for 128x64, internal VCC via the charge pump."""
        flip = self.flipped
        self.i2c.writeto(
            self.addr,
            bytes(
                (
                    _CTRL_CMDS,
                    _SET_DISP,  # off while configuring
                    _SET_DISP_CLK_DIV,
                    0x80,  # reset-default oscillator, divide by 1
                    _SET_MUX_RATIO,
                    self.height - 1,
                    _SET_DISP_OFFSET,
                    0x00,
                    _SET_START_LINE | 0,
                    _SET_CHARGE_PUMP,
                    0x14,  # the boards have no external VCC: pump on
                    _SET_MEM_ADDR,
                    0x00,  # horizontal: one write fills the whole frame
                    _SET_SEG_REMAP | (0 if flip else 1),
                    _SET_COM_OUT_DIR | (0 if flip else 8),
                    _SET_COM_PIN_CFG,
                    0x12 if self.height == 64 else 0x02,
                    _SET_CONTRAST,
                    contrast,
                    _SET_PRECHARGE,
                    0xF1,  # phase 2 = 15, phase 1 = 1 DCLK for internal VCC
                    _SET_VCOM_DESEL,
                    0x30,  # ~0.83 x VCC
                    _SET_ENTIRE_ON | 0,
                    _SET_NORM_INV | 0,
                )
            ),
        )
        self.i2c.writeto(self.addr, self._win)
        self._lost = False
        self.fill(0)
        self.show()
        self._c1(_SET_DISP | 1)

    def show(self):
        """Send the whole frame: one I2C transaction of 1025 bytes."""
        if self._lost:
            self.i2c.writeto(self.addr, self._win)
            self._lost = False
        self._lost = True  # until the write below has gone through
        self.i2c.writeto(self.addr, self.buf)
        self._lost = False

    def poweroff(self):
        """Display off (sleep, ~10 uA); RAM and settings are kept."""
        self._c1(_SET_DISP | 0)

    def poweron(self):
        self._c1(_SET_DISP | 1)

    def contrast(self, value):
        """0..255; low values also save power (segment current)."""
        self._c2(_SET_CONTRAST, value & 0xFF)

    def invert(self, value):
        """Swap lit and dark pixels in the panel, not in the frame."""
        self._c1(_SET_NORM_INV | (1 if value else 0))

    def rotate(self, value):
        """Turn the picture 180 degrees (mirror both axes in the controller)."""
        self.flipped = bool(value)
        self._c1(_SET_SEG_REMAP | (0 if value else 1))
        self._c1(_SET_COM_OUT_DIR | (0 if value else 8))

    flip = rotate
