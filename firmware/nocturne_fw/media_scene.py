"""The MEDIA scene: the 64 x 64 cover, the player's state, artist and track.

A title wider than the panel right of the cover scrolls: it rests ``SCROLL_PAUSE_MS``,
then moves 1 px per ``SCROLL_PX_MS`` with its repeat ``SCROLL_GAP`` px behind, from the
moment the track changed (``Renderer.t_track``).

A module of its own, imported by scenes.py: compiling scenes.py is the board's heap peak
at build (test_heap_budget.py), and a module scenes.py imports is compiled after it.
"""

from micropython import const
from nocturne_fw import font_medium, font_small, icons, text
from nocturne_fw.clock import ticks_diff
from nocturne_fw.scene_ids import MEDIA

SCROLL_PAUSE_MS = const(1500)  # a long title rests this long before it moves
SCROLL_PX_MS = const(50)  # then moves 1 px per 50 ms = 20 px/s: readable on 0.96"
SCROLL_GAP = const(24)  # px between the end of the text and its repeat
PANEL_X = const(66)  # the text panel right of the 64 px cover

_STATUS = ("IDLE", "PLAYING", "PAUSED")
_STATUS_ICON = ("STOP", "PLAY", "PAUSE")


def draw(renderer, fb, app):
    st = app.state
    now = app.now
    if st.track_serial != renderer.track_serial:
        renderer.track_serial = st.track_serial
        renderer.t_track = now
    el = ticks_diff(now, renderer.t_track)
    _marquee(fb, st.txt["art"], font_small, 26, el)
    _marquee(fb, st.txt["trk"], font_medium, 36, el)
    fb.fill_rect(64, 10, 2, 50, 0)
    if st.has_cover:
        fb.blit(st.cover_fb, 0, 0)
    else:
        fb.fill_rect(0, 0, 64, 64, 0)  # hide scrolled text under the cover area
        fb.rect(0, 0, 64, 64, 1)
        fb.blit(icons.get("NOTE"), 16, 16, 0)
    m = st.media
    fb.blit(icons.get(_STATUS_ICON[m]), PANEL_X + 1, 13, 0)
    text.draw(fb, _STATUS[m], PANEL_X + 12, 13, font_small)
    renderer._frame(fb, MEDIA, app, 64)


def _marquee(fb, s, font, y, el):
    room = 128 - PANEL_X
    w = text.text_width(s, font)
    if w <= room:
        text.draw(fb, s, PANEL_X, y, font)
        return
    period = (w + SCROLL_GAP) * SCROLL_PX_MS
    el %= SCROLL_PAUSE_MS + period
    off = 0 if el < SCROLL_PAUSE_MS else (el - SCROLL_PAUSE_MS) // SCROLL_PX_MS
    text.draw(fb, s, PANEL_X - off, y, font)
    if off:
        text.draw(fb, s, PANEL_X - off + w + SCROLL_GAP, y, font)
