"""CPython stand-in for MicroPython's ``machine`` module (the parts the firmware uses).

The firmware calls it exactly as on the ESP32; tests and the emulator look at
and drive the simulated hardware through module-level helpers:

- ``bus(id)`` -> the ``I2CBus`` behind ``I2C(id)``: ``bus.attach(addr, dev)``
  puts a device (anything with ``write(data: bytes)``, e.g. the virtual SSD1306)
  on it; ``bus.log`` keeps the last ``bus.log_len`` transactions as
  ``(addr, bytes)``; ``bus.writes`` counts them all.
- ``pin(id)`` -> the shared state of GPIO ``id``: ``.drive(level)`` sets an
  input from outside (a button) and fires its IRQ on a matching edge;
  ``.level`` / ``.history`` show what the firmware wrote.
- ``trace``: one ordered log of pin writes and PWM changes, as tuples, so a
  test can check a power-up sequence.
- ``pwm_of(pin_id)``, ``wdt``, ``reset()`` raises ``ResetCalled``.
- ``reset_all()`` forgets every bus, pin and PWM (call between tests).

It also runs on MicroPython itself (``nocturne emulate --runtime micropython``): no
``deque(maxlen=...)`` (MicroPython's takes no keyword), and a bus whose ``copy`` is False
and ``log.maxlen`` 0 hands the firmware's own buffer to its device: a frame allocates
nothing on the way to it.
"""


class Ring:
    """The last ``maxlen`` items appended (``collections.deque(maxlen=...)`` on both
    Pythons); ``maxlen`` 0 keeps none."""

    def __init__(self, maxlen):
        self.maxlen = maxlen
        self.items = []

    def append(self, item):
        if self.maxlen <= 0:
            return
        if len(self.items) >= self.maxlen:
            self.items.pop(0)
        self.items.append(item)

    def clear(self):
        self.items.clear()

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


_buses = {}
_pins = {}
_pwms = {}
trace = Ring(1000)
wdt = None

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5


class ResetCalled(BaseException):
    """``machine.reset()`` / ``soft_reset()`` was called (the board would reboot)."""


def reset_all():
    """Forget all simulated hardware state (for test isolation)."""
    global wdt
    _buses.clear()
    _pins.clear()
    _pwms.clear()
    trace.clear()
    wdt = None


# -- GPIO ------------------------------------------------------------------


class _PinState:
    def __init__(self, pid):
        self.id = pid
        self.mode = None
        self.pull = None
        self.out = None  # last value written by the firmware, None if never
        self.ext = None  # level driven from outside (tests), None if floating
        self.handler = None
        self.trigger = 0
        self.history = []

    @property
    def level(self):
        """What ``Pin.value()`` reads now."""
        driven = self.mode == Pin.OUT or (self.mode == Pin.OPEN_DRAIN and self.out == 0)
        if driven and self.out is not None:
            return self.out
        if self.ext is not None:
            return self.ext
        return 1 if self.pull == Pin.PULL_UP else 0

    def drive(self, level):
        """Set the externally driven level (``None`` = released); fire the IRQ on an edge."""
        before = self.level
        self.ext = None if level is None else (1 if level else 0)
        after = self.level
        if self.handler is not None and before != after:
            edge = Pin.IRQ_RISING if after else Pin.IRQ_FALLING
            if self.trigger & edge:
                self.handler(Pin(self.id))


def pin(pid):
    """The simulated state of GPIO ``pid`` (created on first use)."""
    st = _pins.get(pid)
    if st is None:
        st = _pins[pid] = _PinState(pid)
    return st


class Pin:
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_UP = 2
    PULL_DOWN = 1
    IRQ_RISING = 1
    IRQ_FALLING = 2
    WAKE_LOW = 4
    WAKE_HIGH = 5

    def __init__(self, id, mode=-1, pull=-1, value=None, **kw):
        self._st = pin(id)
        self.init(mode, pull, value)

    def init(self, mode=-1, pull=-1, value=None, **kw):
        st = self._st
        if mode != -1:
            st.mode = mode
        if pull != -1:
            st.pull = pull
        if value is not None:
            self.value(value)

    def value(self, x=None):
        st = self._st
        if x is None:
            return st.level
        v = 1 if x else 0
        st.out = v
        st.history.append(v)
        if trace.maxlen:
            trace.append(("pin", st.id, v))
        return None

    def __call__(self, x=None):
        return self.value(x)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def irq(self, handler=None, trigger=IRQ_FALLING | IRQ_RISING, **kw):
        self._st.handler = handler
        self._st.trigger = trigger

    def __repr__(self):
        return f"Pin({self._st.id})"


# -- I2C -------------------------------------------------------------------


class I2CBus:
    """What is on one I2C bus, and what was sent over it."""

    def __init__(self, bid, log_len=64):
        self.id = bid
        self.devices = {}
        self.log = Ring(log_len)
        self.copy = True  # writeto hands the device a copy (False: the caller's buffer)
        self.writes = 0
        self.freq = None
        self.strict = False  # True: writing to an absent address raises ENODEV

    def attach(self, addr, device):
        self.devices[addr] = device

    def transfer(self, addr, data):
        dev = self.devices.get(addr)
        if dev is None and (self.strict or self.devices):
            raise OSError(19)  # ENODEV, as the ESP32 port reports a missing device
        self.writes += 1
        if self.log.maxlen:
            self.log.append((addr, data))
        if dev is not None:
            dev.write(data)


def bus(bid=0):
    """The simulated I2C bus ``bid`` (created on first use)."""
    b = _buses.get(bid)
    if b is None:
        b = _buses[bid] = I2CBus(bid)
    return b


class I2C:
    def __init__(self, id=0, *, scl=None, sda=None, freq=400000, timeout=50000):
        self.bus = bus(id)
        self.bus.freq = freq

    def scan(self):
        return sorted(self.bus.devices)

    def writeto(self, addr, buf, stop=True):
        data = bytes(buf) if self.bus.copy else buf
        self.bus.transfer(addr, data)
        return len(data)

    def writevto(self, addr, vector, stop=True):
        data = b"".join(bytes(b) for b in vector)
        self.bus.transfer(addr, data)
        return len(data)

    def readfrom(self, addr, nbytes, stop=True):
        dev = self.bus.devices.get(addr)
        if dev is None or not hasattr(dev, "read"):
            raise OSError(19)
        return bytes(dev.read(nbytes))

    def readfrom_into(self, addr, buf, stop=True):
        data = self.readfrom(addr, len(buf), stop)
        buf[: len(data)] = data


SoftI2C = I2C


# -- PWM, ADC, WDT, misc -----------------------------------------------------


class PWM:
    """LEDC PWM: ``duty`` is 0..1023 on the ESP32, ``duty_u16`` 0..65535."""

    def __init__(self, dest, *, freq=None, duty=None, duty_u16=None, **kw):
        self.pin_id = dest._st.id if isinstance(dest, Pin) else dest
        self._freq = 5000
        self._duty16 = 0
        self.active = True
        _pwms[self.pin_id] = self
        self.init(freq=freq, duty=duty, duty_u16=duty_u16)

    def init(self, *, freq=None, duty=None, duty_u16=None, **kw):
        if freq is not None:
            self.freq(freq)
        if duty is not None:
            self.duty(duty)
        if duty_u16 is not None:
            self.duty_u16(duty_u16)

    def freq(self, value=None):
        if value is None:
            return self._freq
        self._freq = value
        return None

    def duty_u16(self, value=None):
        if value is None:
            return self._duty16
        self._duty16 = max(0, min(65535, int(value)))
        if trace.maxlen:  # 0 on MicroPython's emulator: an LED change allocates nothing
            trace.append(("pwm", self.pin_id, self._duty16))
        return None

    def duty(self, value=None):
        if value is None:
            return self._duty16 * 1023 // 65535
        self.duty_u16(max(0, min(1023, int(value))) * 65535 // 1023)
        return None

    def deinit(self):
        self.active = False
        self._duty16 = 0
        trace.append(("pwm", self.pin_id, None))


def pwm_of(pin_id):
    """The PWM last created on ``pin_id``, or None."""
    return _pwms.get(pin_id)


class ADC:
    ATTN_0DB = 0
    ATTN_2_5DB = 1
    ATTN_6DB = 2
    ATTN_11DB = 3

    def __init__(self, dest, *, atten=None):
        self.pin_id = dest._st.id if isinstance(dest, Pin) else dest
        self.raw_u16 = 0  # tests set this
        self.uv = 0

    def atten(self, value):
        pass

    def read_u16(self):
        return self.raw_u16

    def read_uv(self):
        return self.uv


class WDT:
    def __init__(self, id=0, timeout=5000):
        global wdt
        self.timeout = timeout
        self.feeds = 0
        wdt = self

    def feed(self):
        self.feeds += 1


class RTC:
    """The ESP32's RTC: ``datetime((year, month, day, weekday, hours, minutes, seconds,
    subseconds))`` sets it, ``datetime()`` reads back what was set (this one does not
    run). The last one made is ``machine.rtc``; ``sets`` counts the writes."""

    def __init__(self, id=0):
        global rtc
        self.dt = (2000, 1, 1, 5, 0, 0, 0, 0)
        self.sets = 0
        rtc = self

    def datetime(self, dt=None):
        if dt is None:
            return self.dt
        if len(dt) != 8:
            raise ValueError("datetime takes an 8-tuple")
        self.dt = tuple(dt)
        self.sets += 1
        return None


rtc = None


def reset():
    raise ResetCalled("reset")


def soft_reset():
    raise ResetCalled("soft_reset")


def reset_cause():
    return PWRON_RESET


def freq(hz=None):
    return 240_000_000 if hz is None else None


def unique_id():
    return b"\x24\x6f\x28\x00\x00\x01"


def idle():
    pass


def disable_irq():
    return 0


def enable_irq(state=0):
    pass


def lightsleep(ms=None):
    trace.append(("lightsleep", ms))


def deepsleep(ms=None):
    trace.append(("deepsleep", ms))
    raise ResetCalled("deepsleep")
