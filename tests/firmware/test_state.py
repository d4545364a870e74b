"""The device's protocol v1 parser (firmware/nocturne_fw/state.py) in CPython."""

import base64
import json
import random

import pytest
from nocturne_fw import state as st

COVER = bytes((i * 7) & 0xFF for i in range(512))

# A line as the original NOCTURNE server sends it: every key, every line, floats where
# its collector had floats, cov on the first line only.
ORIGINAL_FIRST = {
    "ct": 52.0,
    "gt": 47.0,
    "cl": 18,
    "gl": 3,
    "pw": 41.2,
    "cc": 4650,
    "gh": 58,
    "gv": 7,
    "ru": 17.3,
    "ra": 31.9,
    "vu": 2.1,
    "vt": 16.0,
    "nd": 812.4,
    "nu": 38.0,
    "pg": 14,
    "dr": 0,
    "dw": 215.5,
    "su": 61,
    "du": 48,
    "cf": 1180,
    "s1": 860,
    "s2": 0,
    "gf": 0,
    "ch": 44,
    "wt": 7,
    "wd": "Overcast",
    "wi": 3,
    "tp": [{"n": "chrome.exe", "c": 12.3}, {"n": "obs64.exe", "c": 5.0}],
    "tr": [{"n": "chrome.exe", "r": 2330}, {"n": "Discord.exe", "r": 512}],
    "art": "Daft Punk",
    "trk": "Veridis Quo",
    "mp": True,
    "idle": False,
    "cov": base64.b64encode(COVER).decode(),
    "alert": "",
    "target_screen": "",
}


def line(d):
    return json.dumps(d, separators=(",", ":")).encode()


def snap(s):
    return (
        dict(s.v),
        dict(s.txt),
        dict(s.unit),
        bytes(s.cover),
        s.has_cover,
        list(s.tp_name),
        list(s.tp_txt),
        s.tp_n,
        list(s.tr_name),
        list(s.tr_txt),
        s.tr_n,
        s.media,
        s.alert,
        s.alert_scene,
        s.serial,
    )


@pytest.fixture
def s():
    return st.State()


def test_fresh_state_is_all_unknown(s):
    assert all(t == st.DASH for t in s.txt.values())
    assert not s.has_cover and s.tp_n == 0 and s.media == st.MEDIA_NONE and not s.alert


def test_original_server_line(s):
    assert s.feed(line(ORIGINAL_FIRST))
    t = s.txt
    assert (t["ct"], t["gt"], t["cl"], t["pw"], t["cc"]) == ("52", "47", "18", "41", "4650")
    assert (t["ru"], t["ra"], t["vu"], t["vt"]) == ("17.3", "31.9", "2.1", "16.0")
    assert (t["nd"], s.unit["nd"], t["nu"], s.unit["nu"]) == ("812", "K", "38", "K")
    assert t["dr"] == "0"  # a real 0 stays 0
    assert t["s2"] == st.DASH  # the original's 0 RPM: no fan on that header
    assert t["wd"] == "Overcast" and t["wi"] == "3"
    assert s.has_cover and bytes(s.cover) == COVER
    assert s.tp_n == 2 and s.tp_name[:2] == ["chrome.exe", "obs64.exe"]
    assert s.tp_txt[:2] == ["12.3", "5.0"] and s.tp_val[:2] == [12, 5]
    assert s.tr_n == 2 and s.tr_txt == ["2.3G", "512M"]
    assert s.media == st.MEDIA_PLAYING and not s.alert and s.alert_scene == -1
    # next line: cov null keeps the cover; the track did not change
    serial = s.track_serial
    nxt = dict(ORIGINAL_FIRST, cov=None, ct=53, mp=False, idle=True)
    assert s.feed(line(nxt) + b"\r")
    assert s.txt["ct"] == "53" and s.has_cover and bytes(s.cover) == COVER
    assert s.media == st.MEDIA_PAUSED and s.track_serial == serial


def test_our_server_lines_parse(s):
    """Lines made by the PC server's own encoder (nocturne.wire.protocol) parse."""
    protocol = pytest.importorskip("nocturne.wire.protocol")
    snapshot = pytest.importorskip("nocturne.snapshot")
    hw = snapshot.Hardware(cpu_temp=61.4, cpu_load=33.0, ram_used=12.34, net_down=2048.0)
    media = snapshot.Media(artist="Björk", track="Jóga", playing=True, cover=COVER)
    snap_obj = snapshot.Snapshot(hardware=hw, media=media, alert=snapshot.Alert("GPU", 91.0))
    enc = protocol.encode_snapshot(snap_obj)
    raw = enc.line(with_cover=True)
    assert s.feed(raw.rstrip(b"\n"))
    assert s.txt["ct"] == "61" and s.txt["ru"] == "12.3" and s.txt["nd"] == "2.0"
    assert s.txt["gt"] == st.DASH
    assert s.has_cover and bytes(s.cover) == COVER and s.txt["art"] == "Björk"
    assert s.alert and s.alert_scene == 3
    assert s.feed(enc.line(with_cover=False).rstrip(b"\n")) and s.has_cover


def test_absent_key_is_unknown_not_zero(s):
    assert s.feed(line(ORIGINAL_FIRST))
    assert s.feed(b'{"ct":50}')
    assert s.txt["ct"] == "50"
    assert s.txt["gt"] == st.DASH and s.v["gt"] is None
    assert s.unit["nd"] == ""
    assert s.tp_n == 0 and s.media == st.MEDIA_NONE
    assert s.has_cover  # absent cov keeps the cover


def test_null_is_unknown(s):
    assert s.feed(b'{"ct":null,"wd":null,"tp":null}')
    assert s.txt["ct"] == st.DASH and s.txt["wd"] == st.DASH


def test_empty_cov_clears_cover(s):
    s.feed(line(ORIGINAL_FIRST))
    assert s.feed(b'{"cov":""}') and not s.has_cover


def test_track_change_bumps_serial(s):
    s.feed(line(ORIGINAL_FIRST))
    n = s.track_serial
    s.feed(line(dict(ORIGINAL_FIRST, trk="Something Else", cov=None)))
    assert s.track_serial == n + 1


@pytest.mark.parametrize("target, scene", [("CPU", 1), ("GPU", 3), ("RAM", -1), ("", -1)])
def test_alert(s, target, scene):
    assert s.feed(line({"alert": "CRITICAL", "target_screen": target}))
    assert s.alert and s.alert_scene == scene
    assert s.feed(line({"alert": "", "target_screen": ""}))
    assert not s.alert and s.alert_scene == -1


def test_formatting():
    assert st.fmt_int(2.5) == "3" and st.fmt_int(-2.5) == "-3" and st.fmt_int(0.4) == "0"
    assert st.fmt_dec(15.95) == "16.0" and st.fmt_dec(-0.25) == "-0.3" and st.fmt_dec(0) == "0.0"
    assert st.fmt_rate(999) == ("999", "K")
    assert st.fmt_rate(1000) == ("1.0", "M")
    assert st.fmt_rate(10 * 1024) == ("10", "M")
    assert st.fmt_rate(5 * 1024 * 1024) == ("5.0", "G")
    assert st.fmt_rate(50 * 1024 * 1024) == ("50", "G")


def test_non_ascii_strings(s):
    assert s.feed(line({"art": "Sigur Rós", "trk": "Hoppípolla ✨", "wd": "Снег"}))
    assert s.txt["art"] == "Sigur Rós" and s.txt["wd"] == "Снег"
    assert s.feed(b'{"art":"\\u00e9t\\u00e9"}')
    assert s.txt["art"] == "été"


def test_long_strings_are_clipped(s):
    assert s.feed(line({"trk": "x" * 500}))
    assert len(s.txt["trk"]) == st.MAX_STR


def test_long_process_lists_are_cut(s):
    tp = [{"n": f"p{i}", "c": i} for i in range(10)]
    assert s.feed(line({"tp": tp}))
    assert s.tp_n == 3


BAD_LINES = [
    b"",
    b"   ",
    b"{",
    b"not json",
    b"[1,2,3]",
    b'"ct"',
    b"42",
    b"null",
    b'{"ct":"hot"}',
    b'{"ct":true}',
    b'{"ct":[1]}',
    b'{"ct":{"v":1}}',
    b'{"ct":1e300}',
    b'{"ct":NaN}',
    b'{"ct":Infinity}',
    b'{"ct":-Infinity}',
    b'{"wd":5}',
    b'{"art":["a"]}',
    b'{"mp":"yes"}',
    b'{"mp":2}',
    b'{"tp":5}',
    b'{"tp":"chrome"}',
    b'{"cov":5}',
    b'{"cov":"!!!!"}',
    b'{"cov":"' + base64.b64encode(b"x" * 100) + b'"}',
    b'{"cov":"' + base64.b64encode(b"x" * 513) + b'"}',
    b'{"alert":1}',
    b"\xff\xfe{}",
    b'{"ct":45',  # truncated
    b'{"ct":45,"gt":',  # truncated
    b'{"ct":45}{"ct":46}',  # two objects glued
]


BAD_ROWS = [  # a bad row of a list is left out; the rest of the line is taken
    b'{"ct":50,"tp":[5]}',
    b'{"ct":50,"tp":[{"n":5,"c":1}]}',
    b'{"ct":50,"tp":[{"n":"a","c":"lots"}]}',
    b'{"ct":50,"tr":[{"n":"a","r":true}]}',
]


@pytest.mark.parametrize("bad", BAD_ROWS)
def test_a_bad_row_is_skipped_not_the_line(s, bad):
    assert s.feed(bad) is True
    assert s.txt["ct"] == "50" and s.tp_n == 0 and s.tr_n == 0 and s.bad == 0


@pytest.mark.parametrize("bad", BAD_LINES)
def test_bad_line_keeps_last_good_data(s, bad):
    assert s.feed(line(ORIGINAL_FIRST))
    before = snap(s)
    assert s.feed(bad) is False
    assert snap(s) == before
    assert s.bad == 1


def test_oversize_line_is_rejected(s):
    s.feed(line(ORIGINAL_FIRST))
    before = snap(s)
    big = line(dict(ORIGINAL_FIRST, wd="x" * 5000))
    assert len(big) > st.MAX_LINE
    assert not s.feed(big)
    assert snap(s) == before
    ok = line({"ct": 1, "wd": "y" * (st.MAX_LINE - 40)})
    assert len(ok) <= st.MAX_LINE and s.feed(ok)


def _mutate(rng, data):
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        if not b:
            break
        i = rng.randrange(len(b))
        if op == 0:
            del b[i]
        elif op == 1:
            b.insert(i, rng.randrange(256))
        elif op == 2:
            b[i] = rng.randrange(256)
        elif op == 3:
            del b[i:]
        elif op == 4:
            b[i:i] = rng.choice([b"null", b'"', b"{", b"}", b"[", b",", b"-1e999", b"\\u0000"])
        else:
            j = rng.randrange(len(b))
            b[i], b[j] = b[j], b[i]
    return bytes(b)


def test_fuzz_never_raises_and_keeps_state_coherent(s):
    rng = random.Random(1234)
    base = line(ORIGINAL_FIRST)
    applied = rejected = 0
    for _ in range(3000):
        s.feed(base)
        before = snap(s)
        ok = s.feed(_mutate(rng, base))
        if ok:
            applied += 1
            for k, t in s.txt.items():
                assert type(t) is str and t, k
            assert 0 <= s.tp_n <= 3 and 0 <= s.tr_n <= 2
            assert len(s.cover) == 512
        else:
            rejected += 1
            assert snap(s) == before
    assert applied > 50 and rejected > 1000  # both paths exercised


# -- a line is applied whole or not at all ------------------------------------------------


def test_a_tiny_total_does_not_overflow_the_percent(s):
    """ra 1e-308: ru / ra overflows a float; the percent is full, the line applies whole."""
    assert s.feed(line(ORIGINAL_FIRST))
    assert s.feed(b'{"ct":99,"ru":20.0,"ra":1e-308,"vu":1.0,"vt":5e-324}')
    assert s.txt["ct"] == "99" and s.txt["ru"] == "20.0" and s.txt["ra"] == "0.0"
    assert s.p["ram"] == 100 and s.p["vram"] == 100


def test_an_exception_while_applying_leaves_the_state_as_it_was(s, monkeypatch):
    assert s.feed(line(ORIGINAL_FIRST))
    before = snap(s)

    def broken(kb):
        raise MemoryError

    monkeypatch.setattr(st, "fmt_rate", broken)  # nd (changed) is formatted after ct, ru, ra...
    assert not s.feed(line(dict(ORIGINAL_FIRST, ct=99, ru=1.0, nd=900.5, cov=None)))
    assert snap(s) == before and s.bad == 1
    monkeypatch.undo()
    assert s.feed(line(dict(ORIGINAL_FIRST, ct=99, cov=None)))
    assert s.txt["ct"] == "99"


HOSTILE = [1e308, -1e308, 1e-308, -1e-308, 5e-324, 10**30, -(10**30), 2**64, "9", [1], {}, True]


@pytest.mark.parametrize("x", HOSTILE, ids=repr)
def test_hostile_numbers_never_raise(s, x):
    """Every numeric key and each denominator, one hostile value at a time: feed never
    raises; a refused line changes nothing."""
    numeric = [k for k, kind in st.KEYS if kind in (st.K_INT, st.K_DEC, st.K_RATE)]
    for k in numeric:
        assert s.feed(line(ORIGINAL_FIRST))
        before = snap(s)
        if not s.feed(line(dict(ORIGINAL_FIRST, cov=None, **{k: x}))):
            assert snap(s) == before, k
    for lst, key in (("tp", "c"), ("tr", "r")):
        s.feed(line(dict(ORIGINAL_FIRST, cov=None, **{lst: [{"n": "x", key: x}]})))


def test_unchanged_values_keep_the_strings_shown(s):
    """A line's unchanged values keep the strings already shown: none is made among the
    line's garbage to outlive it and split the free heap (issue 20)."""
    first = {"pv": 2, "ct": 52, "ru": 17.3, "nd": 812.4, "wd": "Overcast"}
    first["tp"] = [{"n": "chrome.exe", "c": 12.3}]
    first["tr"] = [{"n": "Discord.exe", "r": 512}]
    assert s.feed(line(first))
    shown = {k: s.txt[k] for k in ("ct", "ru", "nd", "wd")}
    names = (s.tp_name[0], s.tr_name[0])
    assert s.feed(line(dict(first, ct=53)))
    assert s.txt["ct"] == "53" and s.txt["ct"] is not shown["ct"]
    for k in ("ru", "nd", "wd"):
        assert s.txt[k] is shown[k], k
    assert (s.tp_name[0], s.tr_name[0]) == names
    assert s.tp_name[0] is names[0] and s.tr_name[0] is names[1]
    assert s.feed(line(dict(first, ru=17.4, wd="Fog")))
    assert (s.txt["ru"], s.txt["wd"]) == ("17.4", "Fog")
