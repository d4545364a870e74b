"""nocturne_fw.clock: MicroPython tick arithmetic on CPython, and an injectable source."""

import pytest
from mp import firmware_files, run_micropython
from nocturne_fw import clock

CASES = [
    (5, 3),
    (3, 5),
    (0, 0x3FFFFFFF),
    (0x3FFFFFFF, 0),
    (10, 0x3FFFFFF0),
    (0x3FFFFFF0, 10),
    (0x20000000, 0),
    (0x1FFFFFFF, 0),
    (0, 0x20000000),
    (123456789, 987654321),
]
ADDS = [(0x3FFFFFFF, 1), (0, -1), (5, 0x1FFFFFFF), (7, -0x1FFFFFFF), (100, 250)]


@pytest.fixture(autouse=True)
def _restore():
    yield
    clock.set_source(None)


def test_diff_and_add_match_micropython():
    script = (
        "import time\n"
        "from nocturne_fw import clock\n"
        f"for a, b in {CASES!r}:\n"
        "    print(time.ticks_diff(a, b), clock.ticks_diff(a, b))\n"
        f"for t, d in {ADDS!r}:\n"
        "    print(time.ticks_add(t, d), clock.ticks_add(t, d))\n"
        "print(clock.ticks_ms() >= 0, clock._source is time.ticks_ms)\n"
    )
    out = run_micropython(script, firmware_files("nocturne_fw/clock.py")).splitlines()
    expect = [f"{clock.ticks_diff(a, b)} {clock.ticks_diff(a, b)}" for a, b in CASES]
    expect += [f"{clock.ticks_add(t, d)} {clock.ticks_add(t, d)}" for t, d in ADDS]
    assert out[:-1] == expect  # CPython emulation == MicroPython's own time.ticks_*
    assert out[-1] == "True True"  # on MicroPython the hardware ticks are used


def test_add_range_like_micropython():
    script = (
        "import time\n"
        "for d in (0x20000000, -0x20000000):\n"
        "    try:\n"
        "        time.ticks_add(0, d)\n"
        "        print('ok')\n"
        "    except OverflowError:\n"
        "        print('overflow')\n"
    )
    assert run_micropython(script).split() == ["overflow", "overflow"]
    for d in (0x20000000, -0x20000000):
        with pytest.raises(OverflowError):
            clock.ticks_add(0, d)


def test_wrap_semantics():
    assert clock.ticks_diff(clock.ticks_add(0x3FFFFFF0, 32), 0x3FFFFFF0) == 32
    assert clock.ticks_add(0x3FFFFFFF, 1) == 0
    assert 0 <= clock.ticks_ms() < 0x40000000


def test_manual_clock_drives_ticks_and_sleep():
    clk = clock.ManualClock(1000)
    clock.set_source(clk)
    assert clock.ticks_ms() == 1000
    clk.advance(250)
    assert clock.ticks_ms() == 1250
    clock.sleep_ms(50)  # no real sleep: the manual clock advances
    assert clock.ticks_ms() == 1300
    clk.advance(0x40000000)  # wraps like the board
    assert clock.ticks_ms() == 1300


def test_plain_callable_source():
    t = [42]
    clock.set_source(lambda: t[0])
    assert clock.ticks_ms() == 42
    t[0] = 43
    assert clock.ticks_ms() == 43
