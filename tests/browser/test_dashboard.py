"""The dashboard in chromium against the real server, an LHM replay and an emulated board:
what a user sees and does, read off the page's DOM and pixels, the board's glass and
config.json. Every wait polls with a deadline; none sleeps for a fixed time."""

from __future__ import annotations

import asyncio
import json
import os
import stat

from nocturne_fw import font_big as FB

from nocturne.firmware_files import server_firmware_version

from .conftest import Browser, Dashboard, artifacts

PHONE = (375, 800)
DESKTOP = (1280, 900)
TABS = ("boards", "sensors", "scenes", "settings", "health")

# the frame on show in the board's card, as 128 x 64 bits: the 512 x 256 PNG read back
# through a canvas, one pixel from the middle of each 4 x 4 block
SHOWN_FRAME = """() => {
  const img = document.querySelector('[data-board] img.oled');
  if (!img || !img.complete || !img.naturalWidth) return null;
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const g = canvas.getContext('2d');
  g.drawImage(img, 0, 0);
  const k = img.naturalWidth / 128, data = g.getImageData(0, 0, canvas.width, canvas.height).data;
  const rows = [];
  for (let y = 0; y < 64; y++) {
    let row = '';
    for (let x = 0; x < 128; x++) {
      const i = ((Math.floor(y * k + k / 2)) * canvas.width + Math.floor(x * k + k / 2)) * 4;
      row += data[i] > 127 ? '1' : '0';
    }
    rows.push(row);
  }
  return rows;
}"""
BOARD_SHOWN = "() => document.querySelector('[data-board]')?.dataset.shown"
FORM_LOADED = "() => document.querySelector('[name=\"lhm_url\"]').value !== ''"
NO_SIDEWAYS_SCROLL = """() => ({
  scroll: document.documentElement.scrollWidth, width: document.documentElement.clientWidth,
  wide: [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .slice(0, 5).map(e => e.tagName + '.' + e.className)
})"""


def glass_frame(dashboard: Dashboard) -> list[str]:
    """The board's own frame (its SSD1306 RAM, as its driver drew it), as the rows above."""
    panel = dashboard.board.panel
    return ["".join(str(panel.ram_pixel(x, y)) for x in range(128)) for y in range(64)]


async def until(cond, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not cond():
        assert loop.time() < deadline, f"not within {timeout} s: {what}"
        await asyncio.sleep(0.02)


async def open_tab(browser: Browser, dashboard: Dashboard, tab: str) -> None:
    await browser.goto(f"{dashboard.url}#{tab}")
    await browser.wait("() => document.getElementById('link').dataset.state === 'live'", None, 10)


def sensor_node(dashboard: Dashboard, sensor_id: str) -> dict:
    stack = [dashboard.capture.tree]
    while stack:
        node = stack.pop()
        if node.get("SensorId") == sensor_id:
            return node
        stack.extend(node.get("Children") or ())
    raise KeyError(sensor_id)


async def test_the_page_shows_the_board_and_its_own_live_frame(dashboard, browser):
    await open_tab(browser, dashboard, "boards")
    card = await browser.wait(
        """() => { const c = document.querySelector('[data-board]');
                   // the version comes in HELO's own write: shown with the card's first fill
                   return c && {name: c.querySelector('.board-name').textContent,
                                address: c.querySelector('.address').textContent,
                                firmware: c.querySelector('.firmware').textContent,
                                scene: c.querySelector('.scene').textContent}; }""",
        timeout=10,
    )
    assert card["scene"] == "HUB" and card["address"].startswith("127.0.0.1:"), card
    assert card["firmware"] == server_firmware_version(), card  # the emulated board's version
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while True:  # the board redraws on every line: compare what both show at one moment
        shown = await browser.eval(SHOWN_FRAME)
        if shown is not None and shown == glass_frame(dashboard):
            break
        assert loop.time() < deadline, "the page never showed the board's own frame"
        await asyncio.sleep(0.05)
    assert sum(row.count("1") for row in shown) > 500  # a real HUB, not an empty frame
    await browser.command("screenshot", path=str(artifacts() / "dashboard-desktop.png"))


async def test_a_new_capture_value_appears_within_2_s(dashboard, browser):
    await open_tab(browser, dashboard, "sensors")
    cpu_temp = dashboard.capture.reading.chosen["cpu_temp"]
    row = f"tr[data-sensor='{cpu_temp}'] td.value"
    value_of = "(cell) => (document.querySelector(cell) || {}).textContent"
    before = await browser.wait(value_of, row, timeout=10)
    assert "71" not in before
    dashboard.capture.set("cpu_temp", 71.0)
    dashboard.publish()
    shows = "(cell) => (document.querySelector(cell) || {}).textContent === '71 °C'"
    await browser.wait(shows, row, timeout=2.0)  # BrowserError after 2 s
    await browser.command("screenshot", path=str(artifacts() / "dashboard-desktop-sensors.png"))


async def test_picking_another_sensor_changes_the_boards_screen(dashboard, browser):
    board = dashboard.board
    await until(lambda: board.screen_name() == "HUB" and board.app.link.lines > 0, 10, "HUB")
    chosen = dashboard.capture.reading.chosen
    others = [
        s for s in dashboard.capture.reading.sensors
        if s.unit == "°C" and s.id not in chosen.values()
    ]  # fmt: skip
    picked = others[0].id
    node = sensor_node(dashboard, picked)
    node["Value"] = "88,0 °C" if "," in str(node["Value"]) else "88.0 °C"
    dashboard.publish()
    await open_tab(browser, dashboard, "sensors")
    offered = (
        "(id) => [...document.querySelectorAll('[data-field=ct] option')].some(o => o.value === id)"
    )
    await browser.wait(offered, picked, timeout=10)
    assert not board.find_text("88", FB)
    await browser.command("select", selector="[data-field=ct] select", value=picked)
    await until(lambda: board.find_text("88", FB), 5, "the picked sensor's 88 on the HUB")
    saved = json.loads(dashboard.config_path.read_text())
    assert saved["sensors"] == {"ct": picked}
    await browser.wait(
        f"() => document.querySelector('[data-field=ct]').dataset.feeding === '{picked}'"
    )


async def test_an_invalid_setting_shows_its_error_and_writes_nothing(dashboard, browser):
    before = dashboard.config_path.read_bytes()
    await open_tab(browser, dashboard, "settings")
    await browser.wait(FORM_LOADED)
    await browser.command("fill", selector='[name="limits.cpu"]', value="-5")
    await browser.command("click", selector="#settings-save")
    error = await browser.wait(
        "() => document.querySelector('[data-path=\"limits.cpu\"] .error').textContent"
    )
    assert "limits.cpu" in error and "20 to 125" in error, error
    assert await browser.eval("() => document.getElementById('settings-ok').textContent") == ""
    assert dashboard.config_path.read_bytes() == before


async def test_a_valid_setting_is_saved_and_applied(dashboard, browser):
    board = dashboard.board
    await until(lambda: board.app.link.lines > 0, 10, "the board's first line")
    assert not board.app.state.alert  # CPU 54 °C, under the default limit of 75
    await open_tab(browser, dashboard, "settings")
    await browser.wait(FORM_LOADED)
    await browser.command("fill", selector='[name="limits.cpu"]', value="40")
    await browser.command("click", selector="#settings-save")
    ok = await browser.wait("() => document.getElementById('settings-ok').textContent")
    assert ok.startswith("Saved"), ok
    saved = json.loads(dashboard.config_path.read_text())
    assert saved["limits"]["cpu"] == 40 and saved["lhm_url"] == dashboard.replay.url
    assert stat.S_IMODE(os.stat(dashboard.config_path).st_mode) == 0o600
    await until(lambda: board.app.state.alert, 5, "CRITICAL on the board, no restart")


async def test_phone_width_has_no_sideways_scroll(dashboard, browser):
    await browser.command("viewport", width=PHONE[0], height=PHONE[1])
    for tab in TABS:
        await open_tab(browser, dashboard, tab)
        if tab == "boards":
            await browser.wait(BOARD_SHOWN)
        if tab == "sensors":
            await browser.wait("() => document.querySelectorAll('tr[data-sensor]').length > 50")
        if tab == "health":
            await browser.wait("() => document.querySelector('tr[data-source]')")
        width = await browser.eval(NO_SIDEWAYS_SCROLL)
        assert width["scroll"] <= width["width"] == PHONE[0], (tab, width)
        shot = artifacts() / f"dashboard-phone-{tab}.png"
        await browser.command("screenshot", path=str(shot))


async def test_the_controls_reach_the_board(dashboard, browser):
    board = dashboard.board
    await open_tab(browser, dashboard, "boards")
    await browser.wait(BOARD_SHOWN, timeout=10)
    await browser.command("select", selector="[data-board] .scene-select", value="CPU")
    await until(lambda: board.screen_name() == "CPU", 5, "the board on CPU")
    await browser.command("click", selector="[data-board] .screen-off")
    await until(lambda: not board.panel.lit, 5, "the board's panel dark")
    await browser.command("click", selector="[data-board] .screen-on")
    await until(lambda: board.panel.lit, 5, "the board's panel lit again")


async def test_a_board_that_cannot_peek_says_so(dashboard, browser):
    """The original firmware: HELO, then it reads lines and ignores pk."""
    reader, writer = await asyncio.open_connection("127.0.0.1", dashboard.board.app.link.port)
    writer.write(b"HELO\n")
    try:
        await open_tab(browser, dashboard, "boards")
        await browser.wait("() => document.querySelectorAll('[data-board]').length === 2", None, 10)
        notes = """() => [...document.querySelectorAll('[data-board] .screen-note')]
                     .map(n => n.textContent).filter(t => t.includes('cannot peek')).join('|')"""
        found = await browser.wait(notes, timeout=10)  # asked, then 3 s without a frame
        assert found.count("cannot peek") == 1, found
        assert (
            await browser.eval(
                "() => document.querySelectorAll('[data-board] img.oled[src]').length"
            )
            == 1
        )  # the emulated board still shows its own
    finally:
        writer.close()
        assert reader is not None
