"""Every scene and system screen, rendered in CPython from fixed inputs (screens.py), must
match its golden PNG in tests/firmware/golden/ (1 px per pixel).

After an intended visual change regenerate and review them (also the 4x docs/screens/):

    .venv/bin/python tools/render_screens.py
or
    NOCTURNE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/firmware/test_scenes.py
"""

import os
import sys
from pathlib import Path

import custom_screens
import glass
import pytest
import screens
from nocturne_fw import font_big, font_medium, font_small
from nocturne_fw import scene_ids as ids
from nocturne_fw.state import DASH

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import render_screens  # noqa: E402
from PIL import Image  # noqa: E402

GOLDEN = ROOT / "tests" / "firmware" / "golden"
UPDATE = os.environ.get("NOCTURNE_UPDATE_GOLDEN") == "1"
NAMES = screens.NAMES + custom_screens.NAMES  # the custom scenes' fixtures: custom_screens.py


def render(name):
    return (custom_screens if name in custom_screens.NAMES else screens).render(name)


@pytest.mark.parametrize("name", NAMES)
def test_screen_matches_golden(name):
    buf = render(name)
    assert len(buf) == 1024
    path = GOLDEN / (name + ".png")
    if UPDATE:
        im = render_screens.to_image(buf)
        im.save(path, optimize=True)
        render_screens.oled_look(im).save(ROOT / "docs" / "screens" / path.name, optimize=True)
        return
    assert path.exists(), "no golden image: run tools/render_screens.py"
    want = render_screens.from_image(Image.open(path))
    if want != buf:
        diff = sum(bin(a ^ b).count("1") for a, b in zip(want, buf, strict=True))
        pytest.fail(f"{name} differs from its golden image in {diff} pixels")


def test_every_golden_has_a_screen():
    """No stale golden files."""
    names = {p.stem for p in GOLDEN.glob("*.png")}
    assert names == set(NAMES)


def test_rendering_is_deterministic():
    for name in ("scene_09_media_scrolled", "scene_01_cpu_glitch", "scene_07_net_graph"):
        assert screens.render(name) == screens.render(name)


ZERO_FONTS = (font_small, font_medium, font_big)


@pytest.mark.parametrize("scene", range(ids.COUNT), ids=list(ids.NAMES))
def test_unknown_values_never_show_zero(scene):
    """Every scene after an empty line (every value unknown): no "0" in any font, anywhere."""
    frame = bytes(screens.render_scene(screens.make("{}"), scene))
    for font in ZERO_FONTS:
        assert glass.find(frame, "0", font) == [], (ids.NAMES[scene], font.__name__)


def test_unknown_values_show_the_dash_where_the_value_goes():
    """HUB, empty line: CPU and GPU temperature and RAM used show the dash, in the value
    font, where the full line shows their numbers."""
    frame = bytes(screens.render("scene_00_hub_unknown"))
    dashes = glass.find(frame, DASH, font_medium)
    assert (2, 20) in dashes and (67, 20) in dashes and (2, 46) in dashes, dashes
    full = bytes(screens.render("scene_00_hub"))
    assert glass.find(full, "52", font_medium) == [(2, 20)]


def test_all_scenes_render_for_every_state(tmp_path):
    """Each scene draws without error for empty, full and hostile-but-valid states."""
    lines = [
        "{}",
        screens.FULL % screens.b64(screens.moon_cover()),
        '{"ct":-40,"cl":250,"ru":999999,"ra":0.0,"nd":900000000,"nu":-5,"wi":1000,'
        '"wd":"' + "W" * 40 + '","art":"' + "Ü" * 40 + '","trk":"\\u2603\\u2603\\u2603",'
        '"tp":[{"n":"","c":-3},{}],"tr":[{"n":"x","r":99999999}]}',
    ]
    for line in lines:
        app = screens.make(line)
        for s in [*range(ids.COUNT), ids.SYS_CONNECT, ids.SYS_NO_WIFI, ids.SYS_LOST, ids.SYS_MENU]:
            screens.render_scene(app, s)


def test_an_empty_cov_clears_the_cover_on_the_media_scene():
    """The original server sends cov "" on a track change without a cover and on stop."""
    app = screens.make(screens.FULL % screens.b64(screens.moon_cover()))
    with_cover = bytes(screens.render_scene(app, ids.MEDIA))
    assert app.state.feed('{"art":"Daft Punk","trk":"Veridis Quo","mp":true,"cov":""}')
    app._new_data()
    cleared = bytes(screens.render_scene(app, ids.MEDIA))
    never = bytes(screens.render_scene(screens.make(screens.FULL % ""), ids.MEDIA))
    assert cleared != with_cover and cleared == never
