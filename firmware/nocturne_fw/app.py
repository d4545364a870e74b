"""The tick loop: button, link, state, alerts, carousel, menu, drawing, watchdog.

Every timing rule reads ``self.now``, taken once per tick from the injected
``ticks_ms``; tests drive a ``ManualClock`` and call ``tick()`` themselves.

Words: a *scene* is one of the carousel's pages (``scene_ids.HUB`` ..
``scene_ids.DISKS``); a *screen* is what the panel shows: a scene or a system
screen (``scene_ids.SYS_*``). ``self.scene`` is the carousel's scene,
``self.screen`` the shown screen. What is shown, in priority order: predator
(screen off) > quick menu > boot splash > missing secrets > no WiFi /
connecting (until the first line ever) > signal lost (no line for ``LOST_MS``
once the link was up) > the current scene.

Alerts: on a NEW ``CRITICAL`` the app jumps once to the target scene (and wakes
a screen turned off by the menu); while the alert lasts the display inverts
every other 500 ms and the LED blinks with it (if enabled), and the carousel
pauses. The user can move away freely; only an alert that clears and comes
back jumps again.
"""

import gc

from micropython import const
from nocturne_fw import clock, net
from nocturne_fw import input as btn
from nocturne_fw import menu as mnu
from nocturne_fw import scene_ids as ids
from nocturne_fw.clock import ticks_add, ticks_diff
from nocturne_fw.commands import Commands, CustomGate
from nocturne_fw.desk import Desk
from nocturne_fw.graph import Graph
from nocturne_fw.pcs import Pcs
from nocturne_fw.peek import Peek
from nocturne_fw.state import MEDIA_NONE, State
from nocturne_fw.survive import Survival

TICK_MS = const(10)  # loop period: button sampling and link polling
FRAME_MS = const(1000)  # redraw at least this often (countdowns, clock-like text)
ANIM_MS = const(100)  # redraw period while something moves (scrolling, spinner)
BOOT_MS = const(1500)  # splash
LOST_MS = const(5000)  # no line this long once linked = "signal lost"
BLINK_MS = const(500)  # alert: inverted 500 ms, normal 500 ms = once a second
BREATH_MS = const(4000)  # predator LED: one slow breath
GLITCH_MS = const(140)  # glitch length after an automatic scene change
WDT_MS = const(30000)  # watchdog: far above the longest blocking call (2 s connect)
GRAPH_N = const(128)  # samples per graph: one per column, ~2 minutes at 1 line/s


class App:
    def __init__(
        self,
        oled,
        button_read,
        settings,
        link=None,
        renderer=None,
        led=None,
        wdt=None,
        ticks_ms=None,
        secrets_ok=True,
        fb=None,
        errors_log=None,
        reset=None,
    ):
        """``oled``: the display driver (show, poweron/off, contrast, invert, rotate);
        ``fb``: the FrameBuffer scenes draw into (default: the driver itself);
        ``led(level)``: LED brightness 0..255; ``link``: a net.Link (None = no net);
        ``errors_log``: the failures' log file (survive.py; None: not kept);
        ``reset()``: reboots the board (machine.reset; None: the failure propagates)."""
        self.oled = oled
        self.fb = oled if fb is None else fb
        self.settings = settings
        self.link = link
        self.renderer = renderer
        self.led = led
        self.wdt = wdt
        self.ticks_ms = clock.ticks_ms if ticks_ms is None else ticks_ms
        self.secrets_ok = secrets_ok
        self.state = State()
        self.pcs = Pcs()  # the PCS scene's rows
        self.cmds = Commands()  # gs, so, cn from the server
        self.state.parts.append(self.pcs)
        self.state.parts.append(self.cmds)
        self.custom = CustomGate(self)  # the user's scenes (xs, xv), once one is defined
        self.state.parts.append(self.custom)
        self.desk = Desk(settings, self.ticks_ms(), LOST_MS)  # clock, power, OLED care
        self.state.parts.append(self.desk)
        self.peek = Peek(oled) if link is not None and hasattr(oled, "buf") else None
        if self.peek is not None:  # the frame to the PC while watched: pk (peek.py)
            self.state.parts.append(self.peek)
        self.button = btn.Button(button_read)
        self.menu = mnu.Menu(settings)
        self.g_cpu = Graph(GRAPH_N)
        self.g_gpu = Graph(GRAPH_N)
        self.g_down = Graph(GRAPH_N, fixed=0)
        self.g_up = Graph(GRAPH_N, fixed=0)
        self.now = self.ticks_ms()
        self.t0 = self.now
        self.scene = settings.scene if 0 <= settings.scene < ids.COUNT else ids.HUB
        self.t_scene = self.now  # when the scene was entered (carousel)
        self.off = False  # predator mode
        self.screen = ids.SYS_BOOT
        self.dirty = True
        self.t_drawn = self.now
        self.frames = 0
        self.serial = 0  # state.serial last seen
        self.alert_seen = False  # the current alert has jumped already
        self.t_alert = 0
        self.inverted = False
        self.led_level = -1
        self.t_glitch = ticks_add(self.now, -10 * GLITCH_MS)  # no glitch at boot
        self.glitch = False
        self.t_menu = 0
        self.collect_due = False  # a line was applied: collect at the next tick's start
        self.survival = Survival(errors_log, self.now)
        self.reset = reset
        if link is not None:
            link.on_line = self.state.feed
            link.report_scene(self.scene)
            if self.survival.resets:  # it reset itself before: the server hears of it
                link.report_survived(self.survival.line())
        self.apply_settings()

    # -- the loop ----------------------------------------------------------------

    def run(self):
        """Tick forever, surviving what a tick raises (``step``)."""
        while True:
            self.step()
            clock.sleep_ms(TICK_MS)

    def step(self):
        """One tick; an exception in it (MemoryError included) is survived: ``survive``."""
        try:
            self.tick()
        except Exception as e:  # the loop must not die on one bad frame
            self.survive(e)

    def survive(self, e):
        """After a tick raised ``e``: collect, count and log it (survive.py), mark the next
        frames, tell the server; the BURST-th failure within a minute resets the board."""
        gc.collect()
        now = self.ticks_ms()
        if self.survival.failed(e, now):
            if self.reset is None:
                raise e
            self.reset()
        self.dirty = True
        try:
            if self.link is not None:
                self.link.report_survived(self.survival.line())
            _print_exc(e)
        except Exception:  # no heap even for that: the log has it
            pass

    def tick(self):
        """One pass of the loop; the watchdog is fed only when it completes."""
        self._tick()
        if self.wdt is not None:
            self.wdt.feed()

    def _tick(self):
        if self.collect_due:
            # A line was applied last tick and nothing has allocated since: only what
            # outlives a line is live. The next line's garbage then fills these holes,
            # low in the heap, instead of spreading the strings that outlive it over the
            # largest free block (the soak holds it, test_soak.py).
            self.collect_due = False
            gc.collect()
        self.now = now = self.ticks_ms()
        self._button(self.button.poll(now))
        if self.link is not None:
            self.link.poll(now)
        if self.state.serial != self.serial:
            self._new_data()
            self.collect_due = True
        self._alerts()
        self._carousel()
        if self.menu.open and ticks_diff(now, self.t_menu) > mnu.TIMEOUT_MS:
            self._close_menu()
        self._led()
        self.desk.tick(self)
        screen = self._pick_screen()
        if screen != self.screen:
            self.screen = screen
            self.dirty = True
        g = ticks_diff(now, self.t_glitch) < GLITCH_MS
        if g != self.glitch:
            self.glitch = g
            self.dirty = True
        if self.peek is not None:
            self.peek.poll(self)
        if self.off or self.desk.dark:
            return
        since = ticks_diff(now, self.t_drawn)
        if (
            self.dirty
            or since >= FRAME_MS
            or (since >= ANIM_MS and self.renderer is not None and self.renderer.animates(self))
        ):
            self.draw()

    def draw(self):
        self.dirty = False
        self.t_drawn = self.now
        self.frames += 1
        if self.renderer is not None:
            self.renderer.draw(self.fb, self.screen, self)
            if self.survival.marked(self.now):
                _mark(self.fb)
            self.desk.shift(self.fb)  # pixel shift, as the frame goes to the panel
        self.oled.show()

    # -- screens -----------------------------------------------------------------

    def _pick_screen(self):
        if self.off:
            return ids.SYS_OFF
        if self.menu.open:
            return ids.SYS_MENU
        if ticks_diff(self.now, self.t0) < BOOT_MS:
            return ids.SYS_BOOT
        if not self.secrets_ok:
            return ids.SYS_SECRETS
        link = self.link
        if link is None:
            return self.desk.screen(self, self.scene)
        if not link.ever_up:
            if link.state <= net.S_JOIN and link.fails:  # a join failed: still retrying
                return ids.SYS_NO_WIFI
            return link.screen(self.now, ids.SYS_CONNECT)  # or SEARCHING / FOUND
        if self.lost():
            return link.screen(self.now, self.desk.screen(self, ids.SYS_LOST))
        return link.screen(self.now, self.desk.screen(self, self.scene))

    def lost(self):
        """No line for LOST_MS, once the link has been up."""
        link = self.link
        return link is not None and link.ever_up and link.since_line(self.now) > LOST_MS

    def set_scene(self, n, glitch=False):
        n %= ids.COUNT
        if n >= ids.CUSTOM_1 and not self.custom.defined(n):  # past the last one: HUB
            n = ids.HUB
        if n != self.scene:
            self.scene = n
            self.dirty = True
            if glitch:
                self.t_glitch = self.now
            if self.link is not None:
                self.link.report_scene(n)
        self.t_scene = self.now

    # -- input -------------------------------------------------------------------

    def _button(self, ev):
        if ev == btn.NONE or (ev == btn.DOWN and self.desk.touch(self)):
            if ev == btn.DOWN:
                self.button.mute()  # it woke a blank panel: used up
            return
        if self.off:
            if ev == btn.DOWN:  # any press wakes, and is used up by it
                self.button.mute()
                self.wake()
            return
        if ev == btn.DOWN:
            return
        if self.menu.open:
            self.t_menu = self.now
            if ev == btn.SHORT:
                self.menu.press_short()
            else:
                act = self.menu.press_long()
                self.apply_settings()
                if act == mnu.A_EXIT:
                    self._close_menu()
                elif act == mnu.A_SCREEN_OFF:
                    self._close_menu()
                    self.sleep()
            self.dirty = True
            return
        if ev == btn.SHORT:
            self.set_scene(self.scene + 1)
        elif ev == btn.LONG:
            self.menu.show()
            self.t_menu = self.now
            self.dirty = True

    def _close_menu(self):
        self.menu.close()
        self.t_scene = self.now
        self.dirty = True
        if self.settings.dirty:
            self.settings.scene = self.scene  # start here after a reboot
            self.settings.save()

    def sleep(self):
        """Predator mode: display off, LED breathing."""
        self.off = True
        self._invert(False)
        self.oled.poweroff()

    def wake(self):
        self.off = False
        self.cmds.held_off = False
        self.oled.poweron()
        self.apply_settings()
        self.t_scene = self.now
        self.dirty = True

    def apply_settings(self):
        s = self.settings
        o = self.oled
        self.desk.set_level(o, s.contrast)  # the desk fades it when it dims or blanks
        if hasattr(o, "rotate"):
            o.rotate(s.flip)

    # -- data, alerts, carousel, LED -----------------------------------------------

    def _new_data(self):
        st = self.state
        self.serial = st.serial
        v = st.v
        self.g_cpu.push(v["cl"])
        self.g_gpu.push(v["gl"])
        self.g_down.push(v["nd"])
        self.g_up.push(v["nu"])
        if st.alert:
            if not self.alert_seen:
                self.alert_seen = True
                self.t_alert = self.now
                if self.off and not self.cmds.held_off:
                    self.wake()
                if st.alert_scene >= 0:
                    self.set_scene(st.alert_scene)
        else:
            self.alert_seen = False
        self.desk.on_data(self)
        self.cmds.apply(self)
        if self.custom.gone(self.scene):  # stored in settings.json, or its xs gone: HUB
            self.set_scene(ids.HUB)
        self.dirty = True

    def alert_active(self):
        return self.state.alert and not self.lost()

    def alert_phase(self):
        """True during the inverted half of the once-a-second flash."""
        return self.alert_active() and (ticks_diff(self.now, self.t_alert) // BLINK_MS) & 1 == 0

    def _alerts(self):
        self._invert(not self.off and self.alert_phase())

    def _invert(self, on):
        if on != self.inverted:
            self.inverted = on
            self.oled.invert(1 if on else 0)

    def _carousel(self):
        s = self.settings
        if not s.carousel or self.off or self.menu.open or self.alert_active():
            return
        if self.screen >= ids.COUNT:  # a system screen: the carousel waits
            self.t_scene = self.now
            return
        dwell = s.interval * (self.pcs.pages() if self.scene == ids.PCS else 1)
        if ticks_diff(self.now, self.t_scene) >= dwell * 1000:
            n = self.scene + 1
            for _ in range(ids.COUNT - 1):  # skip scenes with nothing to show
                if self.has_data(n % ids.COUNT):
                    break
                n += 1
            self.set_scene(n, glitch=True)

    def has_data(self, n):
        """False for a scene that would be all dashes (the carousel skips it;
        a button press still shows it)."""
        st = self.state
        v = st.v
        if n == ids.GPU or n == ids.GPU_LOAD:
            return v["gt"] is not None or v["gl"] is not None
        if n == ids.ATMOS:
            return v["wt"] is not None or v["wi"] is not None
        if n == ids.MEDIA:
            return st.media != MEDIA_NONE
        # PROCESSES always: the server sends tp only while a board shows it (or CPU, RAM),
        # so waiting for tp before showing it would never show it.
        if n == ids.FANS:
            return (
                v["cf"] is not None
                or v["gf"] is not None
                or v["s1"] is not None
                or v["s2"] is not None
                or v["ch"] is not None
            )
        if n == ids.DISKS:
            return v["su"] is not None or v["du"] is not None or v["dr"] is not None
        if n == ids.PCS:
            return self.pcs.n > 0
        if n >= ids.CUSTOM_1:
            return self.custom.defined(n)
        return True

    def _led(self):
        if self.led is None:
            return
        if self.off:
            p = ticks_diff(self.now, self.t0) % BREATH_MS
            half = BREATH_MS // 2
            x = (p if p < half else BREATH_MS - p) * 255 // half
            level = x * x // 255  # squared: the eye sees a linear ramp as mostly "on"
        elif self.settings.led and self.alert_phase():
            level = 255
        else:
            level = 0
        if level != self.led_level:
            self.led_level = level
            self.led(level)


def _mark(fb):
    """A tick failed a moment ago: a lit 5 x 5 square with a dark dot, bottom left."""
    fb.fill_rect(0, 59, 5, 5, 1)
    fb.pixel(2, 61, 0)


def _print_exc(e):
    try:
        import sys

        sys.print_exception(e)  # MicroPython
    except AttributeError:
        import traceback

        traceback.print_exception(e)
