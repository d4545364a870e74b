"""Heltec WiFi LoRa 32 pins per board revision, and the OLED power-up sequence.

The revision is configuration (``secrets.BOARD`` or a setting), never a
constant in drawing code: ``b = board.Board("V4")``.

| revision          | Vext (OLED power, LOW = on) | white LED |
|-------------------|-----------------------------|-----------|
| "V3", "V4"        | GPIO36                      | GPIO35    |
| "V4R8" (rev 4.3)  | GPIO40                      | GPIO46    |

Shared by all: OLED SDA 17, SCL 18, RST 21 (active low), I2C address 0x3C,
PRG button on GPIO0 (active low, needs the pull-up), battery ADC on GPIO1.
The OLED only gets power when Vext is driven LOW (it switches a P-MOSFET);
its RST must then be held low for a while and released before any I2C.
"""

from micropython import const
from nocturne_fw import clock

SDA = const(17)
SCL = const(18)
OLED_RST = const(21)
BUTTON = const(0)
BATTERY_ADC = const(1)
OLED_ADDR = const(0x3C)
I2C_FREQ = const(400_000)  # SSD1306 fast mode; a full frame is ~23 ms

VEXT_SETTLE_MS = const(100)  # OLED supply rising after Vext goes LOW
RST_LOW_MS = const(20)  # datasheet asks >= 3 us; Heltec's reference code holds 20 ms
RST_SETTLE_MS = const(10)

# revision -> (Vext pin, LED pin)
REVISIONS = {
    "V3": (36, 35),
    "V4": (36, 35),
    "V4R8": (40, 46),
}
DEFAULT_REVISION = "V4"


class Board:
    """The pins of one board revision, and helpers that open its peripherals."""

    def __init__(self, revision=DEFAULT_REVISION):
        rev = str(revision).upper().replace(" ", "").replace(".", "")
        if rev in ("V43", "R8", "V4_R8"):
            rev = "V4R8"
        if rev not in REVISIONS:
            raise ValueError("unknown board revision %r (known: V3, V4, V4R8)" % (revision,))
        self.revision = rev
        self.vext, self.led = REVISIONS[rev]
        self.sda = SDA
        self.scl = SCL
        self.oled_rst = OLED_RST
        self.button = BUTTON
        self.oled_addr = OLED_ADDR

    def power_oled(self):
        """Vext LOW, wait for the supply, pulse RST low then high."""
        from machine import Pin

        Pin(self.vext, Pin.OUT, value=0)
        clock.sleep_ms(VEXT_SETTLE_MS)
        rst = Pin(self.oled_rst, Pin.OUT, value=1)
        rst.value(0)
        clock.sleep_ms(RST_LOW_MS)
        rst.value(1)
        clock.sleep_ms(RST_SETTLE_MS)

    def i2c(self):
        from machine import I2C, Pin

        return I2C(0, sda=Pin(self.sda), scl=Pin(self.scl), freq=I2C_FREQ)

    def oled(self, contrast=0xCF, flip=False):
        """Power the OLED up and return the initialised SSD1306 driver."""
        from nocturne_fw.ssd1306 import SSD1306_I2C

        self.power_oled()
        return SSD1306_I2C(self.i2c(), self.oled_addr, 128, 64, contrast, flip)

    def button_pin(self):
        from machine import Pin

        return Pin(self.button, Pin.IN, Pin.PULL_UP)

    def led_pwm(self, freq=1000):
        """The white LED on PWM, off. ``duty_u16`` 0..65535 sets brightness."""
        from machine import PWM, Pin

        return PWM(Pin(self.led, Pin.OUT), freq=freq, duty_u16=0)
