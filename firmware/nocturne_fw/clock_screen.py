# The CLOCK system screen (``scene_ids.SYS_CLOCK``): what the board shows while the PC is
# away, asleep, or at night (desk.py decides when).
#
# Rows: why it shows (PC ASLEEP, PC OFF, NO SERVER, NIGHT) and the link mark and WiFi bars,
# small, at the top; HH:MM in the big digits; the date; the last weather, with an OLD tag
# while no line is coming. "--:--" and no date until a line has carried ``tm``.
# Every string is a constant or drawn digit by digit: nothing is allocated per frame.

from nocturne_fw import display as D
from nocturne_fw import font_big, font_medium, font_small, text
from nocturne_fw.state import DASH

DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DIGITS = D.DIGITS
UNKNOWN = "--:--"
TIME_Y = 11
DATE_Y = 37
WEATHER_Y = 56
_DEG = "\u00b0"


def _two(fb, n, x, y, font):
    x += text.draw(fb, DIGITS[n // 10], x, y, font)
    return x + text.draw(fb, DIGITS[n % 10], x, y, font)


def _why(app):
    d = app.desk
    if d.asleep:
        return d.pwr_word
    if d.away or app.lost():
        return "NO SERVER"
    if d.night:
        return "NIGHT"
    return ""


def draw(r, fb, app):
    # ``r``: the Renderer (its header pieces); ``app``: the App.
    d = app.desk
    w = d.wall
    r._link(app)
    text.draw(fb, _why(app), 1, 0, font_small)
    D.link_mark(fb, 107, 0, r.link)
    D.wifi_bars(fb, 116, 0, r.bars)
    cw = text.char_width("0", font_big)
    x = 64 - (5 * cw) // 2
    if not w.known:
        text.draw(fb, UNKNOWN, x, TIME_Y, font_big)
    else:
        s = w.sec
        x = _two(fb, s // 3600, x, TIME_Y, font_big)
        x += text.draw(fb, ":", x, TIME_Y, font_big)
        _two(fb, s // 60 % 60, x, TIME_Y, font_big)
        w.calendar()
        dw = text.char_width("0", font_medium)
        sp = text.char_width(" ", font_medium)
        day = DAYS[w.wday]
        mon = MONTHS[w.month - 1]
        nd = 2 if w.mday >= 10 else 1
        width = text.text_width(day, font_medium) + text.text_width(mon, font_medium)
        width += 3 * sp + (nd + 4) * dw
        x = 64 - width // 2
        x += text.draw(fb, day, x, DATE_Y, font_medium) + sp
        x += D.draw_int(fb, w.mday, x, DATE_Y, font_medium) + sp
        x += text.draw(fb, mon, x, DATE_Y, font_medium) + sp
        D.draw_int(fb, w.year, x, DATE_Y, font_medium)
    t = app.state.txt
    if t["wt"] is DASH and t["wd"] is DASH:
        return
    x = 1
    if t["wt"] is not DASH:
        x += text.draw(fb, t["wt"], x, WEATHER_Y, font_small)
        x += text.draw(fb, _DEG, x, WEATHER_Y, font_small) + 3
    old = app.lost() or d.asleep
    room = (108 if old else 127) - x
    if t["wd"] is not DASH:
        text.draw_fit(fb, t["wd"], x, WEATHER_Y, font_small, room)
    if old:
        fb.fill_rect(111, WEATHER_Y - 1, 17, 9, 1)
        text.draw(fb, "OLD", 113, WEATHER_Y, font_small, 0)
