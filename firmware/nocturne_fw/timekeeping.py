# Wall-clock time on the board: set from the server's ``tm``/``tz``, kept by its own ticks.
#
# ``tm`` (Unix seconds, UTC) is above 2**30: a big integer on a 32-bit MicroPython, whose
# small integers have 31 bits. It is split once per line into whole days and seconds of the
# day, so keeping time (``advance``, every tick) and drawing it do small-integer arithmetic
# only and allocate nothing. The local date is recomputed when the day changes, not per frame.
#
# A line's ``tm`` moves the clock only when it differs from the board's own by
# ``RESYNC_S`` or more: the line's delivery delay never makes the minutes jitter.
# The RTC (``machine.RTC`` on the board, UTC like ``ntptime`` sets it) is set then too.

from micropython import const
from nocturne_fw.clock import ticks_add, ticks_diff

DAY_S = 86400
TM_MIN = 946684800  # 2000-01-01 UTC: anything older is not a PC's clock
TM_MAX = 4102444800  # 2100-01-01 UTC
TZ_MAX = const(1080)  # minutes: UTC-18:00 .. UTC+18:00
RESYNC_S = const(2)


def valid(obj):
    # ``tm``/``tz`` of a line: absent, or an int in range (a bool is not an int).
    tm = obj.get("tm")
    if tm is not None and not (type(tm) is int and TM_MIN <= tm < TM_MAX):
        return False
    tz = obj.get("tz")
    return tz is None or (type(tz) is int and -TZ_MAX <= tz <= TZ_MAX)


def civil(days):
    # Days since 1970-01-01 -> (year, month 1-12, day 1-31), proleptic Gregorian.
    d = _Ymd()
    set_civil(d, days)
    return d.year, d.month, d.mday


class _Ymd:
    year = month = mday = 0


def set_civil(obj, days):
    # civil() into obj.year, obj.month, obj.mday: no tuple, so CLOCK's first frame of a
    # day makes nothing (H. Hinnant's days_from_civil inverse; every intermediate is a
    # small integer).
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    obj.year = yoe + era * 400 + (1 if m <= 2 else 0)
    obj.month = m
    obj.mday = d


class WallClock:
    # Local time of day and date; ``known`` once a ``tm`` has arrived.

    def __init__(self):
        self.known = False
        self.tz = 0  # minutes east of UTC
        self.day = 0  # local days since 1970-01-01
        self.sec = 0  # local second of the day, 0..86399
        self.t = 0  # ticks (ms) at which day/sec were exact
        self.rtc = None  # machine.RTC() on the board (main.py sets it)
        self.cal_day = -1  # the day year/month/mday/wday were computed for
        self.year = 1970
        self.month = 1
        self.mday = 1
        self.wday = 3  # 0 = Monday (1970-01-01 was a Thursday)
        self.sets = 0  # how often a line (or NTP) moved the clock

    def use_rtc(self, rtc):
        # Set ``rtc`` (``machine.RTC()``) from every line that moves the clock.
        self.rtc = rtc

    def advance(self, now):
        # Move the clock to ``now`` by whole seconds of the board's ticks.
        el = ticks_diff(now, self.t)
        if el >= 1000:
            n = el // 1000
            self.t = ticks_add(self.t, n * 1000)
            s = self.sec + n
            if s >= DAY_S:
                self.day += s // DAY_S
                s %= DAY_S
            self.sec = s

    def set_utc(self, tm, tz, now):
        # A line's ``tm`` (UTC seconds) and ``tz`` (minutes, None: keep the last).
        if tz is not None:
            self.tz = tz
        # // and %, not divmod: MicroPython's divmod of a big int returns big ints even
        # when they fit a small one (32 bytes per later addition); // and % give small ones
        t = tm + self.tz * 60
        day = t // DAY_S
        sec = t % DAY_S
        if self.known:
            self.advance(now)
            diff = (day - self.day) * DAY_S + sec - self.sec
            if -RESYNC_S < diff < RESYNC_S:
                return
        self.known = True
        self.day = day
        self.sec = sec
        self.t = now
        self.sets += 1
        rtc = self.rtc
        if rtc is not None:
            uday = tm // DAY_S
            usec = tm % DAY_S
            y, m, d = civil(uday)
            try:
                rtc.datetime((y, m, d, (uday + 3) % 7, usec // 3600, usec // 60 % 60, usec % 60, 0))
            except Exception:  # a port without a settable RTC: the ticks keep time anyway
                self.rtc = None

    def minute_of_day(self):
        # 0..1439, or -1 while the time is unknown.
        return self.sec // 60 if self.known else -1

    def calendar(self):
        # Update year/month/mday/wday for the current day (only when it changed).
        if self.cal_day != self.day:
            self.cal_day = self.day
            set_civil(self, self.day)
            self.wday = (self.day + 3) % 7
