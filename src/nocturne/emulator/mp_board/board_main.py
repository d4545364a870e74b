"""MicroPython side of ``nocturne emulate --runtime micropython``: one board, run by the
unix port as ``micropython -X heapsize=N board_main.py CONFIG.json`` (a file: the unix
port dies on a command-line argument of 256 characters or more).

It builds the board with the firmware's own ``main.build()`` (``machine`` and ``network``
are the emulator's stand-ins, imported from the shims folder; ``framebuf``, ``socket``,
``json``... are MicroPython's), ticks it every ``TICK_MS`` of real time and talks to the
CPython side (nocturne.emulator.mp_runtime) over two pipes:

board -> PC (fd ``out``), records, little-endian:
  ``R``                                   ready (the board is built)
  ``I`` addr:u8 n:u16 data[n]             one I2C write, as the SSD1306 received it
  ``S`` screen:u16 state:u8 flags:u8 lines:u32 connects:u32 presses:u32 n:u8 error[n]
                                          link and screen, sent when one changes
  ``H`` 12 x i32 (see HEAP)               the heap figures, on request
PC -> board (fd ``ctl``), one byte each: ``s``/``l`` short/long press, ``W``/``w`` WiFi
on/off, ``X``/``x`` stall on/off, ``F``/``f`` refuse connects on/off, ``r`` reset the TCP
connection, ``z`` zero the heap figures, ``h`` report them, ``q`` quit; ``g`` n:u16
data[n]: bytes delivered as if the server sent them. End of file: quit.

With ``"boot": true`` in the config (``MpDevice(boot=True)``, issue 23) the board boots as a
board does: its own boot.py first, then main.py, both from its filesystem folder (the
current directory). ``machine.reset()`` ends the process with status ``RESET_EXIT``: the PC
side starts it again, as the board would restart.

Heap figures, measured by the board around each ``app.tick()`` with ``gc.mem_alloc``
(GC left on, as on a board): ticks are *idle* (nothing drawn, no line), *redraw* (a frame
drawn, no line) or *line* (a line arrived). Ticks that change the screen, the link state,
the connect or failure count, or that follow a command or a button edge are not counted (a joining
link and the first draw of a screen may allocate). A tick during which the collector ran
shows a negative difference and is counted apart (``gc_ticks``).

Writing a frame to the pipe allocates nothing: the header is a preallocated bytearray and
the frame the driver's own buffer.
"""

import gc
import json
import select
import sys
import time

with open(sys.argv[1]) as _f:
    CFG = json.load(_f)
sys.path.insert(0, CFG["shims"])
import machine  # the stand-ins, then the shims folder off the path
import network

sys.path.pop(0)
for _p in (CFG["fw"], CFG["here"]):
    sys.path.insert(0, _p)

if CFG.get("boot"):  # the board's own files: boot.py first, in its root (the cwd), as at reset
    try:
        with open("boot.py") as _f:
            _src = _f.read()
        exec(_src, {"__name__": "__main__"})  # as pyexec runs it
    except OSError:
        pass  # no boot.py
    except Exception as _e:  # printed, and the boot goes on (MicroPython's pyexec does)
        sys.print_exception(_e)
    _src = _f = None
    gc.collect()

RESET_EXIT = CFG["reset_exit"]  # mp_runtime.py says which status a reset ends with

import fault_socket  # noqa: E402
import main as fw_main  # noqa: E402  (firmware/main.py)
from nocturne_fw import app as A  # noqa: E402
from nocturne_fw import board as fw_board  # noqa: E402

OUT = open(CFG["out"], "wb")  # noqa: SIM115  (open for the board's whole life)
CTL = open(CFG["ctl"], "rb")  # noqa: SIM115

# HEAP record fields (indices into heap[])
T_MS, IDLE_N, IDLE_NZ, IDLE_MAX, DRAW_N, DRAW_NZ, DRAW_MAX, LINE_N, LINE_MAX = range(9)
GC_TICKS, LIVE, FREE = 9, 10, 11
HEAP = 12


class Secrets:
    pass


class PipePanel:
    """The SSD1306 on I2C address 0x3C, as seen from the board: every write to the pipe."""

    def __init__(self, out):
        self.out = out
        self.hdr = bytearray(4)
        self.hdr[0] = 73  # "I"

    def write(self, data):
        h = self.hdr
        n = len(data)
        h[1] = 0x3C
        h[2] = n & 255
        h[3] = n >> 8
        self.out.write(h)
        self.out.write(data)


def put32(b, i, v):
    b[i] = v & 255
    b[i + 1] = (v >> 8) & 255
    b[i + 2] = (v >> 16) & 255
    b[i + 3] = (v >> 24) & 255


class Driver:
    def __init__(self):
        machine.trace.maxlen = 0  # no log of pin and PWM changes: nothing kept, nothing made
        bus = machine.bus(0)
        bus.log.maxlen = 0
        bus.copy = False  # the panel gets the driver's own buffer: no copy per frame
        bus.attach(0x3C, PipePanel(OUT))
        self.radio = network.Radio()
        if CFG.get("lan"):
            self.radio.ip, self.radio.netmask = CFG["lan"]
        self.faults = fault_socket.Faults()
        secrets = Secrets()
        for k, v in (CFG["secrets"] or {}).items():
            setattr(secrets, k, v)
        self.app = fw_main.build(
            secrets=secrets,
            board_rev=CFG["board"],
            fs_root=CFG["fs"],
            wlan=network.WLAN(network.STA_IF, radio=self.radio),
            socket_mod=fault_socket.SocketModule(self.faults, CFG.get("lan")),
        )
        try:
            b = fw_board.Board(CFG["board"])
        except ValueError:
            b = fw_board.Board()
        self.button = machine.pin(b.button)
        self.presses = []  # durations (ms) of queued presses
        self.release_at = None
        self.pressed = 0  # presses played to the end (the firmware took the release)
        self.lifted = False  # the finger is up, the firmware has not taken the release yet
        self.short_ms = CFG["short_ms"]
        self.long_ms = CFG["long_ms"]
        self.poll = select.poll()
        self.poll.register(CTL, select.POLLIN)
        self.cbuf = bytearray(256)
        self.garbage = 0  # bytes of a "g" payload still to come; -2/-1: its length bytes
        self.glen = 0
        self.quit = False
        self.touched = False  # a command or a button edge this tick
        self.status = bytearray(17)
        self.status[0] = 83  # "S"
        self.sent = bytearray(17)
        self.sent_error = None
        self.elen = bytearray(1)
        self.heap = [0] * HEAP
        self.hrec = bytearray(1 + 4 * HEAP)
        self.hrec[0] = 72  # "H"
        self.t0 = time.ticks_ms()

    # -- commands -------------------------------------------------------------------

    def control(self):
        for _obj, _ev in self.poll.ipoll(0):
            n = CTL.readinto(self.cbuf)  # non-blocking (set so by the PC side): what is there
            if n is None:
                return
            if not n:
                self.quit = True
                return
            self.touched = True
            for i in range(n):
                self.command(self.cbuf[i])

    def command(self, c):
        if self.garbage < 0:  # the payload's length, low byte then high byte
            if self.garbage == -2:
                self.glen = c
            else:
                self.glen |= c << 8
            self.garbage += 1
            if self.garbage == 0:
                self.garbage = self.glen
            return
        if self.garbage > 0:
            self.cbuf[0] = c  # one byte at a time: payloads are rare and short
            self.faults.inject(self.cbuf, 1)
            self.garbage -= 1
            return
        f = self.faults
        if c == 103:  # g
            self.garbage = -2
        elif c == 115:  # s
            self.presses.append(self.short_ms)
        elif c == 108:  # l
            self.presses.append(self.long_ms)
        elif c == 87 or c == 119:  # W w
            self.radio.set_ap(c == 87)
        elif c == 88 or c == 120:  # X x
            f.stalled = c == 88
        elif c == 70 or c == 102:  # F f
            f.refuse = c == 70
        elif c == 114:  # r
            f.reset_all()
        elif c == 122:  # z
            for i in range(HEAP):
                self.heap[i] = 0
        elif c == 104:  # h
            self.report_heap()
        elif c == 113:  # q
            self.quit = True

    def buttons(self, now):
        # The finger lets go once the hold time is over and the firmware has taken the press
        # (debounced), and presses again once it has taken the release: a slow tick (load)
        # would otherwise show it one poll of a press, a bounce to the debouncer.
        # A press counts as done once the firmware has taken the release too (its tick acted
        # on it then): a caller waiting for it then sees the scene it moved to.
        seen = self.app.button.pressed
        if self.lifted and not seen:
            self.lifted = False
            self.pressed += 1
            self.touched = True
        if self.release_at is not None and time.ticks_diff(now, self.release_at) >= 0 and seen:
            self.button.drive(None)
            self.release_at = None
            self.lifted = True
            self.touched = True
        if self.release_at is None and not self.lifted and self.presses and not seen:
            self.button.drive(0)
            self.release_at = time.ticks_add(now, self.presses.pop(0))
            self.touched = True

    # -- reports --------------------------------------------------------------------

    def report_heap(self):
        gc.collect()
        h = self.heap
        h[T_MS] = time.ticks_diff(time.ticks_ms(), self.t0)
        h[LIVE] = gc.mem_alloc()
        h[FREE] = gc.mem_free()
        r = self.hrec
        for i in range(HEAP):
            put32(r, 1 + 4 * i, h[i])
        OUT.write(r)

    def report_status(self):
        app = self.app
        link = app.link
        s = self.status
        s[1] = app.screen & 255
        s[2] = app.screen >> 8
        flags = (1 if app.inverted else 0) | (2 if self.radio.ap_up else 0)
        flags |= (4 if self.faults.stalled else 0) | (8 if self.faults.refuse else 0)
        error = ""
        if link is not None:
            flags |= 16
            s[3] = link.state
            put32(s, 5, link.lines)
            put32(s, 9, link.connects)
            error = link.error
        s[4] = flags
        put32(s, 13, self.pressed)
        if s != self.sent or error is not self.sent_error:
            self.sent[:] = s
            self.sent_error = error
            OUT.write(s)
            self.elen[0] = len(error)  # the error text's length, then the text
            OUT.write(self.elen)
            OUT.write(error)

    # -- the loop -------------------------------------------------------------------

    def tick(self):
        app = self.app
        link = app.link
        h = self.heap
        screen = app.screen
        frames = app.frames
        lines = state = connects = fails = 0
        if link is not None:
            lines, state, connects, fails = link.lines, link.state, link.connects, link.fails
        a = gc.mem_alloc()
        app.tick()
        d = gc.mem_alloc() - a
        if self.touched or app.screen != screen:
            return
        if link is not None and (
            link.state != state or link.connects != connects or link.fails != fails
        ):
            return
        if d < 0:
            h[GC_TICKS] += 1
        elif link is not None and link.lines != lines:
            h[LINE_N] += 1
            if d > h[LINE_MAX]:
                h[LINE_MAX] = d
        elif app.frames != frames:
            h[DRAW_N] += 1
            if d:
                h[DRAW_NZ] += 1
                if d > h[DRAW_MAX]:
                    h[DRAW_MAX] = d
        else:
            h[IDLE_N] += 1
            if d:
                h[IDLE_NZ] += 1
                if d > h[IDLE_MAX]:
                    h[IDLE_MAX] = d

    def run(self):
        OUT.write(b"R")
        nxt = time.ticks_ms()
        while not self.quit:
            self.touched = False
            self.control()
            self.buttons(time.ticks_ms())
            try:
                self.tick()
            except Exception as e:  # survived as App.step does (survive.py)
                try:
                    self.app.survive(e)
                except machine.ResetCalled:
                    sys.exit(RESET_EXIT)
            except machine.ResetCalled:  # the board reboots: the PC side starts it again
                sys.exit(RESET_EXIT)
            self.report_status()
            nxt = time.ticks_add(nxt, A.TICK_MS)
            delay = time.ticks_diff(nxt, time.ticks_ms())
            if delay > 0:
                time.sleep_ms(delay)
            else:
                nxt = time.ticks_ms()  # behind (a slow frame): do not try to catch up


try:
    Driver().run()
except machine.ResetCalled:  # machine.reset(): the PC side starts the board again
    sys.exit(RESET_EXIT)
