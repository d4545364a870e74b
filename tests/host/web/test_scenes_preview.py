"""The scene editor's API on the real server (issue 24): POST /api/scenes/preview draws a
scene with the firmware's code and the live values (its text read back off the PNG's pixels
with the firmware's fonts), a bad scene is one error naming its key, and a saved scene
reaches a board before a command that shows it."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from nocturne.emulator.glass_text import read_text

from .test_web_api import Board, Page, page, server

__all__ = ["page", "server"]  # fixtures

PUMP = {"sensor": "/lpc/nct6687d/0/fan/1", "label": "PUMP"}
CCD1 = {"sensor": "/amdcpu/0/temperature/7", "label": "CCD1", "decimals": 1}
WATER = {"name": "WATER", "layout": "two", "slots": [PUMP, CCD1]}


async def preview(page: Page, scene: Any, scale: int = 2) -> tuple[int, Any, str]:
    headers = {"Origin": page.url, "X-CSRF-Token": page.token}
    url = f"{page.url}/api/scenes/preview?scale={scale}"
    async with page.http.post(url, json={"scene": scene}, headers=headers) as resp:
        if resp.content_type == "image/png":
            return resp.status, await resp.read(), resp.headers["X-Slot-Values"]
        return resp.status, await resp.json(), ""


def glass(png: bytes, scale: int) -> list[list[int]]:
    image = Image.open(io.BytesIO(png)).convert("L")
    assert image.size == (128 * scale, 64 * scale)
    return [[int(image.getpixel((x * scale, y * scale)) > 127) for x in range(128)]
            for y in range(64)]  # fmt: skip


async def test_the_preview_is_the_firmwares_drawing_with_the_live_values(server, page):
    status, png, values = await preview(page, WATER)
    assert status == 200, png
    # The capture: the pump "2734 RPM", CCD1 (Tdie) "47,3 °C".
    assert values == "[2734.0, 47.3]"
    text = read_text(glass(png, 2))
    assert text[0] == "WATER" and {"PUMP", "2734", "CCD1", "47.3"} <= set(text), text


async def test_a_bad_scene_is_one_error_naming_its_key(server, page):
    bad = {**WATER, "layout": "big"}
    status, body, _ = await preview(page, bad)
    assert status == 400
    [error] = body["errors"]
    assert error["key"] == "scene.slots"
    assert 'layout "big" shows 1 slot, found 2' in error["message"]


async def test_a_saved_scene_reaches_the_board_before_a_command_to_show_it(server, page):
    board = await Board.connect(server.devices.port)
    try:
        first = await board.line_with("xs")
        assert first["xs"] == []
        config = await page.get("/api/config")
        config["custom_scenes"] = [WATER]
        status, answer = await page.send("PUT", "/api/config", config)
        assert status == 200 and "custom_scenes" not in answer["restart"], answer
        [device] = await page.get("/api/boards")
        status, _ = await page.send("POST", f"/api/boards/{device['id']}/scene", {"value": "water"})
        assert status == 200
        # The definition comes at once, not with the next poll: before the command (a board
        # sent to a scene it does not know shows HUB instead).
        lines = []
        while not lines or "gs" not in lines[-1]:
            lines.append(await board.line_with("pv"))
        assert lines[-1]["gs"] == 14
        defined = [i for i, line in enumerate(lines) if line.get("xs")]
        assert defined, lines
        assert lines[defined[0]]["xs"][0][:2] == ["WATER", "two"]
    finally:
        board.close()
