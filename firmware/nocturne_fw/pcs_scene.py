"""The PCS scene: one row per PC the server sees over MQTT (pcs.py holds the rows).

    PC      C%  C°   G%  G°    GB
    OFFICE  18  52   63  47  17.3
    LAPTOP  OFFLINE

Name (its first 6 characters), CPU load (%) and temperature (°C), GPU load and
temperature, RAM used (GB); an offline PC says so instead, an unknown value is a dash.
``ROWS`` rows fit under the column labels; with more PCs the scene pages every carousel
interval (the carousel stays until every page was shown, "1/2" in the header). Names are
strings made once per line (pcs.py), the readings are drawn digit by digit: nothing here
allocates.
"""

from micropython import const
from nocturne_fw import display as D
from nocturne_fw import font_small, text
from nocturne_fw.clock import ticks_diff
from nocturne_fw.pcs import COLS, ROWS, UNKNOWN
from nocturne_fw.state import DASH

RIGHT = text.RIGHT
CENTER = text.CENTER

Y0 = const(19)  # first row, under the labels at 10 and their rule at 17
PITCH = const(7)  # 5 x 7 font, capitals 6 rows: 6 rows end at 59, above the footer
# Right edges of the value columns: CPU load, CPU temperature, GPU load, GPU temperature, RAM
_RIGHT = (47, 64, 83, 100, 127)
_LABELS = ("C%", "C\u00b0", "G%", "G\u00b0", "GB")
_SLASH = "/"
_DOT = "."
_DOT_W = const(5)  # font_small advances 5 px for every character
_OFFLINE = "OFFLINE"
_NONE = "NO PCS YET"
_HINT = "SET show_pcs"


def page(app):
    """The page shown now: one per carousel interval on the scene."""
    pages = app.pcs.pages()
    if pages == 1:
        return 0
    return (ticks_diff(app.now, app.t_scene) // (app.settings.interval * 1000)) % pages


def draw(renderer, fb, app):
    pcs = app.pcs
    if not pcs.n:
        text.draw(fb, _NONE, 64, 24, font_small, 1, CENTER)
        text.draw(fb, _HINT, 64, 36, font_small, 1, CENTER)
        return
    text.draw(fb, "PC", 0, 10, font_small)
    for k in range(5):
        text.draw(fb, _LABELS[k], _RIGHT[k], 10, font_small, 1, RIGHT)
    fb.hline(0, 17, 128, 1)
    first = page(app) * ROWS
    last = first + ROWS if first + ROWS < pcs.n else pcs.n
    val = pcs.val
    for i in range(first, last):
        y = Y0 + PITCH * (i - first)
        text.draw(fb, pcs.name[i], 0, y, font_small)
        if not pcs.on[i]:
            text.draw(fb, _OFFLINE, 36, y, font_small)
            continue
        for k in range(COLS):
            v = val[COLS * i + k]
            x = _RIGHT[k]
            if v == UNKNOWN:
                text.draw(fb, DASH, x, y, font_small, 1, RIGHT)
            elif k == 4:  # tenths of a GB (never negative): "17.3"
                x -= D.draw_int(fb, v % 10, x, y, font_small, 1, RIGHT)
                x -= text.draw(fb, _DOT, x - _DOT_W, y, font_small)
                D.draw_int(fb, v // 10, x, y, font_small, 1, RIGHT)
            else:
                D.draw_int(fb, v, x, y, font_small, 1, RIGHT)
    pages = pcs.pages()
    if pages > 1:  # "1/2" in the header, after the scene's name
        x = 24 + D.draw_int(fb, first // ROWS + 1, 24, 0, font_small)
        x += text.draw(fb, _SLASH, x, 0, font_small)
        D.draw_int(fb, pages, x, 0, font_small)
