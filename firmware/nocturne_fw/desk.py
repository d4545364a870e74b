# (Comments, not docstrings, in this module and timekeeping.py, clock_screen.py: MicroPython
# keeps docstrings in the heap, about 1.4 KB for these three.)
#
# The board as a desk citizen (issue 12): the PC's clock, power and user, and the OLED.
#
# Wire keys (PROTOCOL.md, "The board at night and when the PC sleeps"): ``tm``/``tz``
# (timekeeping.py), ``pwr`` "sleep"/"off", ``uid`` seconds the PC's user has been idle,
# ``ngt`` {"s", "e", "m"} the night schedule (persisted in settings.json), ``idm``
# [dim_after_s, blank_after_s]. ``Desk`` is a State part (``State.parts``: prepare raises
# to refuse, swap): a line whose keys have a wrong type or range is refused whole, like any
# other key.
#
# ``Desk`` is the App's part for them, called every tick. It decides:
#
# - **CLOCK** (``scene_ids.SYS_CLOCK``) instead of the scene or SIGNAL LOST: once SIGNAL
#   LOST has shown ``settings.clock_after`` s; at once on a line with ``pwr`` (dimmed,
#   and the link drop that follows keeps CLOCK); in a night schedule whose mode is CLOCK.
#   Not while a CRITICAL alert is live. The server puts ``pwr`` on every line until the PC
#   is awake again, so the board is "asleep" while its last line had it: through the link
#   drop, until the first line without it (a wake, or a sleep that did not happen).
# - **contrast**: full (settings.contrast), dim (1/8 of it) or blank (panel off) from
#   ``pwr``, ``uid`` against ``idm`` (persisted like ``ngt``) and the night schedule; a
#   press of the button gives full contrast for ``WAKE_MS`` (the press that wakes a blank
#   panel does nothing else).
#   Every change fades over ``FADE_MS``.
# - **pixel shift**: the frame moves around a 3 x 3 orbit, one step every ``ORBIT_MS``;
#   ``shift(fb)`` scrolls it just before it is sent, clipped (nothing wraps around), so a
#   render (the goldens) is always at offset 0.

from micropython import const
from nocturne_fw import scene_ids as ids
from nocturne_fw import timekeeping
from nocturne_fw.clock import ticks_add, ticks_diff
from nocturne_fw.settings import NIGHT_CLOCK, NIGHT_DIM, NIGHT_OFF, NIGHT_WIRE

WAKE_MS = const(30000)
FADE_MS = const(1000)
EVAL_MS = const(100)  # the rules are looked at this often (at once on a line or a press)
NTP_AFTER_MS = const(3600000)  # the server gone this long: ask secrets.NTP_HOST (if set) ...
NTP_EVERY_MS = const(21600000)  # ... then every 6 h while it stays gone
NTP_RETRY_MS = const(600000)  # ... or 10 min after a failed query
ORBIT_MS = const(180000)  # 3 min per offset: the whole orbit in 27 min
# (dx, dy) per step: the centre, then around it, every step 1 px (or a diagonal)
ORBIT = ((0, 0), (1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1))
IDLE_MAX = const(30 * 86400)  # idm thresholds and uid: at most 30 days
W = const(128)
H = const(64)

# what the panel shows
FULL = const(0)
DIM = const(1)
BLANK = const(2)


def _secs(x):
    t = type(x)
    return (t is int or t is float) and 0 <= x <= IDLE_MAX


def valid(obj):
    # The issue-12 keys of a line: absent, or of the right type and range.
    if not timekeeping.valid(obj):
        return False
    p = obj.get("pwr")
    if p is not None and type(p) is not str:
        return False
    u = obj.get("uid")
    if u is not None and not _secs(u):
        return False
    i = obj.get("idm")
    if i is not None and not (type(i) is list and len(i) == 2 and _secs(i[0]) and _secs(i[1])):
        return False
    n = obj.get("ngt")
    if n is None:
        return True
    if type(n) is not dict:
        return False
    s = n.get("s")
    e = n.get("e")
    m = n.get("m")
    return (
        type(s) is int
        and type(e) is int
        and 0 <= s < 1440
        and 0 <= e < 1440
        and type(m) is str
        and m in NIGHT_WIRE
        and m != ""
    )


class Desk:
    def __init__(self, settings, now, lost_ms):
        self.settings = settings
        self.lost_ms = lost_ms
        self.wall = timekeeping.WallClock()
        self.orbit = 0
        self.t_orbit = now
        self.dx = 0
        self.dy = 0
        self.asleep = False  # the last line said the PC sleeps or shuts down
        self.away = False  # SIGNAL LOST has shown clock_after s: CLOCK until a line
        self.uid = None
        self.ngt = None
        self.idm = None
        self.awake = False  # a button press within WAKE_MS
        self.t_touch = now
        self.night = 0  # the night mode in force now (NIGHT_*), 0 outside the schedule
        self.mode = FULL
        self.level = settings.contrast  # the contrast the panel has now
        self.base = self.level  # settings.contrast as last seen
        self.f_from = self.level
        self.f_to = self.level
        self.t_fade = now
        self.dark = False  # the panel is off (blank): the app does not draw
        self.t_eval = ticks_add(now, -EVAL_MS)
        self.ntp = None  # (host, port) from secrets.NTP_HOST, None: no NTP
        self.sock_mod = None
        self.ntp_due = ticks_add(now, NTP_AFTER_MS)
        self.ntp_syncs = 0
        self.ntp_fails = 0
        # the last applied line's keys (swap)
        self.tm = None  # tm and tz (None: absent)
        self.tz = None
        self.l_uid = None  # int seconds, None: unknown
        self.l_ngt = None  # the last ngt / idm received (they come on a first line only)
        self.l_idm = None
        self.l_pwr = False  # the last line had "pwr"
        self.pwr_word = "PC ASLEEP"  # what CLOCK says about the last pwr

    # -- State part ------------------------------------------------------------------

    def valid(self, obj):
        return valid(obj)

    def prepare(self, obj):
        # State's _prepare: raising refuses the whole line (bad type or range).
        if not valid(obj):
            raise ValueError("tm/tz/pwr/uid/ngt/idm")

    def swap(self, obj):
        # Plain assignments of checked values (State._swap must not fail).
        self.tm = obj.get("tm")
        self.tz = obj.get("tz")
        u = obj.get("uid")
        self.l_uid = None if u is None else int(u)
        if obj.get("ngt") is not None:
            self.l_ngt = obj["ngt"]
        if obj.get("idm") is not None:
            self.l_idm = obj["idm"]
        p = obj.get("pwr")
        self.l_pwr = p == "sleep" or p == "off"
        if self.l_pwr:
            self.pwr_word = "PC OFF" if p == "off" else "PC ASLEEP"

    # -- from the App --------------------------------------------------------------

    def on_data(self, app):
        # A new line was applied to app.state.
        now = app.now
        self.t_eval = ticks_add(now, -EVAL_MS)  # look at the rules on the next tick
        self.away = False
        self.asleep = self.l_pwr
        if self.tm is not None:
            self.wall.set_utc(self.tm, self.tz, now)
        self.uid = self.l_uid
        i = self.l_idm
        if i is not None and i is not self.idm:
            self.idm = i
            self.settings.set_idle(int(i[0]), int(i[1]))
        n = self.l_ngt
        if n is not None and n is not self.ngt:
            self.ngt = n
            self.settings.set_night(n["s"], n["e"], NIGHT_WIRE.index(n["m"]))

    def touch(self, app):
        # The button went down. True: the press only woke a blank panel (used up).
        self.t_eval = ticks_add(app.now, -EVAL_MS)
        self.awake = True
        self.t_touch = app.now
        if self.dark and not app.off:
            self._light(app)
            return True
        return False

    def tick(self, app):
        now = app.now
        if self.level == self.f_to and ticks_diff(now, self.t_eval) < EVAL_MS:
            return  # no fade running: a tick costs one comparison
        self.t_eval = now
        self.wall.advance(now)
        if ticks_diff(now, self.t_orbit) >= ORBIT_MS:
            self.t_orbit = ticks_add(self.t_orbit, ORBIT_MS)
            self.orbit = (self.orbit + 1) % len(ORBIT)
            self.dx, self.dy = ORBIT[self.orbit]
            app.dirty = True
        if self.awake and ticks_diff(now, self.t_touch) >= WAKE_MS:
            self.awake = False
        lost = app.lost()
        link = app.link
        if lost and link.since_line(now) > self.lost_ms + self.settings.clock_after * 1000:
            self.away = True
        if self.ntp is not None:
            self._ntp(app, now)
        self.night = self._night()
        mode = FULL
        if self.asleep or self.night == NIGHT_DIM or self.night == NIGHT_CLOCK:
            mode = DIM
        s = self.settings
        if not lost and self.uid is not None:
            if s.idle_blank and self.uid >= s.idle_blank:
                mode = BLANK
            elif s.idle_dim and self.uid >= s.idle_dim:
                mode = DIM
        if self.night == NIGHT_OFF:
            mode = BLANK
        if self.awake or app.alert_active():
            mode = FULL
        self.mode = mode
        if not app.off:
            self._fade(app, mode)

    def screen(self, app, s):
        # The screen to show instead of ``s`` (a scene or SIGNAL LOST).
        if app.alert_active():
            return s
        if self.asleep or self.away or self.night == NIGHT_CLOCK:
            return ids.SYS_CLOCK
        return s

    def shift(self, fb):
        # Move the rendered frame by the orbit's offset, clipped, just before it is sent.
        dx = self.dx
        dy = self.dy
        if dx or dy:
            fb.scroll(dx, dy)  # leaves the uncovered strips as they were: cleared below
            if dx > 0:
                fb.fill_rect(0, 0, dx, H, 0)
            elif dx < 0:
                fb.fill_rect(W + dx, 0, -dx, H, 0)
            if dy > 0:
                fb.fill_rect(0, 0, W, dy, 0)
            elif dy < 0:
                fb.fill_rect(0, H + dy, W, -dy, 0)

    def use_ntp(self, spec, socket_mod):
        # secrets.NTP_HOST ("host" or "host:port"; "" = off) and the board's socket module.
        from nocturne_fw.ntp import split_host

        self.ntp = split_host(spec)
        self.sock_mod = socket_mod

    # -- internals -----------------------------------------------------------------

    def _ntp(self, app, now):
        # With the server gone NTP_AFTER_MS and the WiFi up, set the clock from NTP (the
        # offset stays the last tz the server sent: without one the time is not known).
        if not self.away:
            self.ntp_due = ticks_add(now, NTP_AFTER_MS)
            return
        if ticks_diff(now, self.ntp_due) < 0 or not self.wall.known or not app.link.wifi_up():
            return
        from nocturne_fw import ntp

        host = self.ntp
        t = ntp.query(self.sock_mod, host[0], host[1]) if host is not None else None
        now = app.ticks_ms()  # the query took a while
        if t is None or not timekeeping.TM_MIN <= t < timekeeping.TM_MAX:
            self.ntp_fails += 1
            self.ntp_due = ticks_add(now, NTP_RETRY_MS)
            return
        self.wall.set_utc(t, None, now)
        self.ntp_syncs += 1
        self.ntp_due = ticks_add(now, NTP_EVERY_MS)

    def _night(self):
        s = self.settings
        t = self.wall.minute_of_day()
        if not s.night_m or t < 0:
            return 0
        a = s.night_s
        b = s.night_e
        inside = a <= t < b if a <= b else (t >= a or t < b)
        return s.night_m if inside else 0

    def _light(self, app):
        self.dark = False
        app.oled.poweron()
        app.dirty = True

    def set_level(self, oled, v):
        # The level itself was chosen (menu, a command): at once, no fade.
        self.level = self.f_from = self.f_to = self.base = v
        oled.contrast(v)

    def _fade(self, app, mode):
        full = self.settings.contrast
        if full != self.base and mode == FULL:  # changed elsewhere (a cn command)
            self.set_level(app.oled, full)
        self.base = full
        target = full if mode == FULL else 0 if mode == BLANK else (full >> 3) or 1
        now = app.now
        if target != self.f_to:
            self.f_from = self.level
            self.f_to = target
            self.t_fade = now
        if mode != BLANK and self.dark:
            self._light(app)
        lv = self.level
        if lv != target:
            el = ticks_diff(now, self.t_fade)
            if el >= FADE_MS:
                lv = target
            else:
                lv = self.f_from + (target - self.f_from) * el // FADE_MS
            if lv != self.level:
                self.level = lv
                app.oled.contrast(lv)
        if mode == BLANK and lv == 0 and not self.dark:
            self.dark = True
            app.oled.poweroff()
