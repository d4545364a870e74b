"""A virtual SSD1306 that reads the I2C bytes a driver sends and shows the picture.

Attach it to a simulated bus (``machine.bus(0).attach(0x3C, VirtualSSD1306())``)
and it decodes every transaction as the controller would (SSD1306 datasheet
rev 1.1, section 8.1.5 "I2C-bus Write data" and section 9 "Command table"):

- a control byte starts each run: bit 7 (Co) = 1 means one byte follows and
  then another control byte; bit 6 (D/C#) = 1 means display data, 0 commands;
- commands may take arguments, and the arguments may arrive in later control
  runs or later transactions (micropython-lib sends every byte separately);
- data goes to RAM at the current pointer, advanced per the addressing mode
  (horizontal, vertical, page) within the column and page windows.

State kept: RAM (8 pages x 128 columns, MONO_VLSB like framebuf), contrast,
display on/off, inverse, entire-display-on, segment remap, COM scan
direction, multiplex ratio, display offset, start line, charge pump, COM pin
configuration. ``picture()`` applies them the way the panel would: the
Heltec module is mounted so that segment remap (A1) plus reversed COM scan
(C8) shows RAM upright.
"""

from __future__ import annotations

WIDTH = 128
HEIGHT = 64
PAGES = HEIGHT // 8

# Arguments each multi-byte command takes (datasheet section 9).
_ARGS = {
    0x81: 1,  # contrast
    0x20: 1,  # memory addressing mode
    0x21: 2,  # column address window
    0x22: 2,  # page address window
    0x8D: 1,  # charge pump
    0xA8: 1,  # multiplex ratio
    0xD3: 1,  # display offset
    0xD5: 1,  # clock divide / oscillator
    0xD9: 1,  # pre-charge period
    0xDA: 1,  # COM pins hardware configuration
    0xDB: 1,  # VCOMH deselect level
    0x26: 6,  # horizontal scroll setup (right)
    0x27: 6,  # horizontal scroll setup (left)
    0x29: 5,  # vertical and horizontal scroll (right)
    0x2A: 5,  # vertical and horizontal scroll (left)
    0xA3: 2,  # vertical scroll area
}


class VirtualSSD1306:
    """The controller's state, fed by ``write(data)`` (one I2C write transaction)."""

    def __init__(self) -> None:
        self.ram = bytearray(WIDTH * PAGES)
        self.reset()

    def reset(self) -> None:
        """Power-on reset values (datasheet section 10.1, "Reset" column)."""
        self.ram[:] = bytes(len(self.ram))
        self.contrast = 0x7F
        self.display_on = False
        self.inverse = False
        self.entire_on = False
        self.seg_remap = False
        self.com_reversed = False
        self.mux = 64
        self.offset = 0
        self.start_line = 0
        self.charge_pump = False
        self.com_pins = 0x12
        self.clock_div = 0x80
        self.precharge = 0x22
        self.vcomh = 0x20
        self.mode = 2  # page addressing after reset
        self.col_start, self.col_end = 0, WIDTH - 1
        self.page_start, self.page_end = 0, PAGES - 1
        self.col = 0
        self.page = 0
        self.scrolling = False
        self._pending: list[int] = []  # command and arguments being collected
        self.commands: list[tuple[int, ...]] = []  # every complete command, in order
        self.transactions = 0
        self.data_bytes = 0

    # -- bus side -----------------------------------------------------------

    def write(self, data: bytes) -> None:
        """One I2C write transaction (address already stripped)."""
        self.transactions += 1
        i = 0
        n = len(data)
        while i < n:
            ctrl = data[i]
            i += 1
            is_data = bool(ctrl & 0x40)
            if ctrl & 0x80:  # Co = 1: exactly one byte, then a new control byte
                if i < n:
                    self._byte(data[i], is_data)
                    i += 1
            else:  # Co = 0: the rest of the transaction
                if is_data:
                    self._data(data[i:])
                else:
                    for b in data[i:]:
                        self._command_byte(b)
                i = n

    def _byte(self, b: int, is_data: bool) -> None:
        if is_data:
            self._data(bytes((b,)))
        else:
            self._command_byte(b)

    def _data(self, chunk: bytes) -> None:
        ram = self.ram
        for b in chunk:
            ram[self.page * WIDTH + self.col] = b
            self.data_bytes += 1
            self._advance()

    def _advance(self) -> None:
        if self.mode == 0:  # horizontal
            if self.col >= self.col_end:
                self.col = self.col_start
                self.page = self.page_start if self.page >= self.page_end else self.page + 1
            else:
                self.col += 1
        elif self.mode == 1:  # vertical
            if self.page >= self.page_end:
                self.page = self.page_start
                self.col = self.col_start if self.col >= self.col_end else self.col + 1
            else:
                self.page += 1
        else:  # page mode: column wraps, page stays
            self.col = self.col_start if self.col >= WIDTH - 1 else self.col + 1

    def _command_byte(self, b: int) -> None:
        p = self._pending
        p.append(b)
        if len(p) - 1 < _ARGS.get(p[0], 0):
            return
        self._pending = []
        self._execute(tuple(p))

    def _execute(self, cmd: tuple[int, ...]) -> None:
        self.commands.append(cmd)
        op = cmd[0]
        if op == 0x81:
            self.contrast = cmd[1]
        elif op == 0x20:
            self.mode = cmd[1] & 3
        elif op == 0x21:
            self.col_start, self.col_end = cmd[1] & 0x7F, cmd[2] & 0x7F
            self.col = self.col_start
        elif op == 0x22:
            self.page_start, self.page_end = cmd[1] & 7, cmd[2] & 7
            self.page = self.page_start
        elif op == 0x8D:
            self.charge_pump = bool(cmd[1] & 0x04)
        elif op == 0xA8:
            self.mux = (cmd[1] & 0x3F) + 1
        elif op == 0xD3:
            self.offset = cmd[1] & 0x3F
        elif op == 0xD5:
            self.clock_div = cmd[1]
        elif op == 0xD9:
            self.precharge = cmd[1]
        elif op == 0xDA:
            self.com_pins = cmd[1]
        elif op == 0xDB:
            self.vcomh = cmd[1]
        elif op in (0xAE, 0xAF):
            self.display_on = op == 0xAF
        elif op in (0xA6, 0xA7):
            self.inverse = op == 0xA7
        elif op in (0xA4, 0xA5):
            self.entire_on = op == 0xA5
        elif op in (0xA0, 0xA1):
            self.seg_remap = op == 0xA1
        elif op in (0xC0, 0xC8):
            self.com_reversed = op == 0xC8
        elif 0x40 <= op <= 0x7F:
            self.start_line = op & 0x3F
        elif 0xB0 <= op <= 0xB7:
            self.page = op & 7  # page mode start page
        elif op <= 0x0F:
            self.col = (self.col & 0xF0) | op  # page mode column, low nibble
        elif 0x10 <= op <= 0x1F:
            self.col = (self.col & 0x0F) | ((op & 0x0F) << 4)  # high nibble
        elif op == 0x2E:
            self.scrolling = False
        elif op == 0x2F:
            self.scrolling = True
        # 0xE3 NOP, scroll setups and anything else: no visible effect here

    # -- what the panel shows --------------------------------------------------

    @property
    def lit(self) -> bool:
        """The panel emits light: display on, with its charge pump supplying VCC."""
        return self.display_on and self.charge_pump

    def ram_pixel(self, col: int, row: int) -> int:
        return (self.ram[(row >> 3) * WIDTH + col] >> (row & 7)) & 1

    def framebuffer(self) -> bytes:
        """RAM as a MONO_VLSB 128x64 buffer: equal to what the driver drew."""
        return bytes(self.ram)

    def picture(self) -> list[list[int]]:
        """Pixels as the viewer sees them, ``[y][x]`` of 0/1, with every setting applied."""
        rows = [[0] * WIDTH for _ in range(HEIGHT)]
        if not self.lit:
            return rows
        for y in range(HEIGHT):
            # The module is mounted turned: COM0 at the bottom, SEG0 at the right.
            com = HEIGHT - 1 - y
            if com >= self.mux:
                continue
            scan = (self.mux - 1 - com) if self.com_reversed else com
            ram_row = (scan + self.start_line + self.offset) % HEIGHT
            out = rows[y]
            for x in range(WIDTH):
                seg = WIDTH - 1 - x
                col = (WIDTH - 1 - seg) if self.seg_remap else seg
                v = 1 if self.entire_on else self.ram_pixel(col, ram_row)
                out[x] = v ^ 1 if self.inverse else v
        return rows

    def to_image(self, scale: int = 1, on_colour=(255, 255, 255), off_colour=(0, 0, 0)):
        """The picture as a Pillow RGB image; lit pixels dim with low contrast."""
        from PIL import Image

        k = 0.35 + 0.65 * (self.contrast / 255)
        on = tuple(int(c * k) for c in on_colour)
        img = Image.new("RGB", (WIDTH, HEIGHT), off_colour)
        px = img.load()
        for y, row in enumerate(self.picture()):
            for x, v in enumerate(row):
                if v:
                    px[x, y] = on
        if scale != 1:
            img = img.resize((WIDTH * scale, HEIGHT * scale), Image.NEAREST)
        return img
