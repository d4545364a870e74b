"""The scene editor (issue 24) in chromium against the real server on an LHM replay: pick a
sensor from the live list, the preview (drawn by the board's firmware on the server) changes,
save, and the emulated board shows the same scene. The preview is read back as pixels and
its text read off them with the firmware's fonts."""

from __future__ import annotations

import json

from nocturne.emulator.glass_text import read_text

from .conftest import Browser, Dashboard, artifacts
from .test_dashboard import open_tab, until

PUMP = "/lpc/nct6687d/0/fan/1"  # "Pump Fan", 2734 RPM in the capture
CCD = "/amdcpu/0/temperature/7"  # "CCD1 (Tdie)", 47,3 °C
ERROR_SAYING = """(word) => {
  const t = document.getElementById('scenes-error').textContent;
  return t.includes(word) && t;
}"""
PREVIEW = """() => {
  const img = document.getElementById('scene-preview');
  if (img.dataset.state !== 'shown' || !img.complete || !img.naturalWidth) return null;
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const g = canvas.getContext('2d');
  g.drawImage(img, 0, 0);
  const k = img.naturalWidth / 128, data = g.getImageData(0, 0, canvas.width, canvas.height).data;
  const rows = [];
  for (let y = 0; y < 64; y++) {
    const row = [];
    for (let x = 0; x < 128; x++) {
      const i = ((Math.floor(y * k + k / 2)) * canvas.width + Math.floor(x * k + k / 2)) * 4;
      row.push(data[i] > 127 ? 1 : 0);
    }
    rows.push(row);
  }
  return {version: img.dataset.version, rows};
}"""


async def preview_text(browser: Browser, after: str | None = None) -> tuple[str, list[str]]:
    """(the preview's version, its text) once a preview newer than ``after`` is shown."""
    shown = await browser.wait(
        f"() => {{ const p = ({PREVIEW})(); return p && p.version !== {json.dumps(after)} && p; }}",
        timeout=10,
    )
    return shown["version"], read_text(shown["rows"])


async def test_pick_a_sensor_see_the_preview_change_and_save(dashboard: Dashboard, browser):
    await open_tab(browser, dashboard, "scenes")
    await browser.wait("() => !document.querySelector('#scene-add').disabled")
    await browser.command("click", selector="#scene-add")
    version, first = await preview_text(browser)
    # A mistake: the preview's error, then Save's, and nothing written.
    before = dashboard.config_path.read_bytes()
    await browser.command("fill", selector="#scene-name", value="")
    error = await browser.wait(ERROR_SAYING, "scene.name")
    assert "expected a string of 1 to 8 characters" in error, error
    await browser.command("click", selector="#scenes-save")
    await browser.wait(ERROR_SAYING, "custom_scenes[0].name")
    assert dashboard.config_path.read_bytes() == before
    await browser.command("fill", selector="#scene-name", value="WATER")
    offered = (
        "(v) => [...document.querySelectorAll('.slot-source option')].some(o => o.value === v)"
    )
    await browser.wait(offered, f"sensor:{PUMP}", timeout=10)
    await browser.command(
        "select", selector=".slot[data-slot='0'] .slot-source", value=f"sensor:{PUMP}"
    )
    await browser.command("fill", selector=".slot[data-slot='0'] .slot-label", value="PUMP")
    version, text = await preview_text(browser, version)
    while "PUMP" not in text:  # each edit asks again; the last one's answer shows the label
        version, text = await preview_text(browser, version)
    assert text[:1] == ["WATER"] and "PUMP" in text and "2734" in text, text
    assert text != first
    await browser.command("select", selector="#scene-layout", value="two")
    await browser.command("click", selector="#slot-add")
    await browser.command(
        "select", selector=".slot[data-slot='1'] .slot-source", value=f"sensor:{CCD}"
    )
    await browser.command("fill", selector=".slot[data-slot='1'] .slot-label", value="CCD1")
    await browser.command("fill", selector=".slot[data-slot='1'] .slot-decimals", value="1")
    while not {"CCD1", "47.3"} <= set(text):
        version, text = await preview_text(browser, version)
    await browser.command("screenshot", path=str(artifacts() / "dashboard-scene-editor.png"))
    await browser.command("click", selector="#scenes-save")
    ok = await browser.wait("() => document.getElementById('scenes-ok').textContent")
    assert ok.startswith("Saved"), ok
    saved = json.loads(dashboard.config_path.read_text())["custom_scenes"]
    assert saved == [
        {
            "name": "WATER",
            "layout": "two",
            "slots": [
                {"sensor": PUMP, "label": "PUMP"},
                {"sensor": CCD, "label": "CCD1", "decimals": 1},
            ],
        }
    ]
    # The board shows it, drawn by its own firmware from the line the server sends.
    board = dashboard.board
    await until(lambda: board.app.link.lines > 0, 10, "the board's first line")
    await open_tab(browser, dashboard, "boards")
    options = "() => [...document.querySelectorAll('[data-board] .scene-select option')]"
    await browser.wait(f"() => ({options})().some(o => o.value === 'WATER')", timeout=10)
    await browser.command("select", selector="[data-board] .scene-select", value="WATER")
    await until(lambda: "PUMP" in read_text(board.picture()), 10, "the scene on the board")
    on_glass = read_text(board.picture())
    assert {"WATER", "PUMP", "2734", "CCD1", "47.3"} <= set(on_glass), on_glass
