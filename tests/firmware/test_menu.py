"""Button debounce and timings, and the quick menu state machine."""

import pytest
from fakes import Pin
from nocturne_fw import input as B
from nocturne_fw import menu as M
from nocturne_fw.settings import Settings


def events(pin, script, step=5):
    """script: [(level, ms)], polled every ``step`` ms; returns [(t, event)]."""
    b = B.Button(pin.value)
    out = []
    t = 0
    for level, ms in script:
        pin.level = level
        for _ in range(ms // step):
            ev = b.poll(t)
            if ev:
                out.append((t, ev))
            t += step
    return out


def test_short_press():
    evs = events(Pin(), [(1, 50), (0, 200), (1, 100)])
    assert [e for _, e in evs] == [B.DOWN, B.SHORT]
    assert evs[0][0] == 50 + B.DEBOUNCE_MS
    assert evs[1][0] == 250 + B.DEBOUNCE_MS


def test_bounce_is_filtered():
    bouncy = [(0, 5), (1, 5)] * 5  # 50 ms of 5 ms chatter, never 30 ms stable
    evs = events(Pin(), [(1, 50), *bouncy, (1, 100)])
    assert evs == []


def test_bounce_then_press_is_one_press():
    bouncy = [(0, 5), (1, 5)] * 3
    evs = events(Pin(), [(1, 20), *bouncy, (0, 300), *bouncy, (1, 100)])
    assert [e for _, e in evs] == [B.DOWN, B.SHORT]


def test_long_press_fires_while_held_and_no_short_after():
    evs = events(Pin(), [(1, 20), (0, 1500), (1, 100)])
    assert [e for _, e in evs] == [B.DOWN, B.LONG]
    t_long = evs[1][0]
    assert t_long == 20 + B.LONG_MS  # measured from the first low sample


def test_just_under_long_is_short():
    evs = events(Pin(), [(1, 20), (0, B.LONG_MS - 10), (1, 100)])
    assert [e for _, e in evs] == [B.DOWN, B.SHORT]


def test_mute_swallows_rest_of_press():
    pin = Pin()
    b = B.Button(pin.value)
    pin.level = 0
    evs = []
    for t in range(0, 1200, 10):
        ev = b.poll(t)
        if ev == B.DOWN:
            b.mute()
        if ev:
            evs.append(ev)
    pin.level = 1
    for t in range(1200, 1300, 10):
        ev = b.poll(t)
        if ev:
            evs.append(ev)
    assert evs == [B.DOWN]


def test_ticks_wrap():
    """A press across the 2**30 wrap of MicroPython's tick counter."""
    pin = Pin()
    b = B.Button(pin.value)
    t = (1 << 30) - 400
    evs = []
    pin.level = 0
    for _ in range(100):
        ev = b.poll(t & ((1 << 30) - 1))
        if ev:
            evs.append(ev)
        t += 10
    assert evs == [B.DOWN, B.LONG]


@pytest.fixture
def menu():
    return M.Menu(Settings("unused"))


def test_menu_items_cycle(menu):
    menu.show()
    seen = []
    for _ in range(M.COUNT + 1):
        seen.append(menu.sel)
        menu.press_short()
    assert seen == [*range(M.COUNT), 0]


def test_menu_values_toggle(menu):
    s = menu.settings
    menu.show()
    assert menu.value(M.I_CAROUSEL) == "ON"
    assert menu.press_long() == M.A_NONE and not s.carousel and s.dirty
    assert menu.value(M.I_CAROUSEL) == "OFF"
    menu.press_short()
    assert menu.value(M.I_INTERVAL) == "10 S"
    menu.press_long()
    assert menu.value(M.I_INTERVAL) == "15 S"
    menu.press_long()
    assert menu.value(M.I_INTERVAL) == "5 S"
    menu.sel = M.I_CONTRAST
    assert menu.value(M.I_CONTRAST) == "HIGH"
    menu.press_long()
    assert menu.value(M.I_CONTRAST) == "LOW" and s.contrast == 16
    menu.sel = M.I_FLIP
    menu.press_long()
    assert s.flip and menu.value(M.I_FLIP) == "ON"
    menu.sel = M.I_LED
    menu.press_long()
    assert not s.led


def test_menu_actions(menu):
    menu.show()
    menu.sel = M.I_SCREEN_OFF
    assert menu.press_long() == M.A_SCREEN_OFF and not menu.open
    menu.show()
    menu.sel = M.I_EXIT
    assert menu.press_long() == M.A_EXIT and not menu.open
    assert all(type(menu.value(i)) is str for i in range(M.COUNT))
    assert len(M.LABELS) == M.COUNT
