"""Updates over the air from the dashboard (issue 23, ``"board_updates": "ask"``): a paired
board on another firmware is offered an update in its card, and the button starts it (the
board receives the update's lines). The board here speaks the protocol's lines on real TCP
(HELO with its token, ``fw:``, ``ota:ready``), as tests/host/devices/test_update_policy.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nocturne.emulator.firmware_loader import install_paths

from .conftest import Dashboard, started_dashboard

install_paths()

from nocturne_fw import clock  # noqa: E402  (the firmware, from firmware/)

TOKEN = "q3M0bnR5LXR3by1ieXRlcy1vZi10b2tlbg"
DESK_CARD = """() => [...document.querySelectorAll('[data-board]')].find(
  c => c.querySelector('.board-name').textContent === 'desk')"""
DESK = f"""() => {{ const c = ({DESK_CARD})();
  return c && {{button: !c.querySelector('.update-firmware').hidden,
               state: c.querySelector('.update-state').textContent,
               error: c.querySelector('.board-error').textContent}}; }}"""


@pytest.fixture
async def asking(tmp_path: Path) -> AsyncIterator[Dashboard]:
    clock.set_source(None)
    async with started_dashboard(
        tmp_path, board_updates="ask", device_tokens={"desk": TOKEN}, allow_unpaired=True
    ) as d:
        yield d


async def test_ask_mode_offers_the_update_in_the_card_and_the_button_starts_it(asking, browser):
    reader, writer = await asyncio.open_connection("127.0.0.1", asking.board.app.link.port)
    writer.write(f"HELO {TOKEN}\nfw:0000aaaa\nota:ready 00112233aabbccdd\n".encode())
    try:
        await browser.goto(f"{asking.url}#boards")
        offered = await browser.wait(
            f"() => {{ const d = ({DESK})(); return d && d.button && d; }}", timeout=10
        )
        assert offered["state"] == "a newer firmware is ready", offered
        assert await _update_lines(reader, 0.5) == []  # "ask": nothing until asked
        await browser.command("click", selector="[data-board] .update-firmware:not([hidden])")
        lines = await _update_lines(reader, 10)
        assert lines[0].startswith(b"UP m ") and lines[-1] == b"UP z\n"
        shown = await browser.wait(
            f"() => {{ const d = ({DESK})(); return d && d.state.startsWith('sending') && d; }}",
            timeout=5,
        )
        assert not shown["button"] and shown["error"] == "", shown
    finally:
        writer.close()


async def _update_lines(reader: asyncio.StreamReader, seconds: float) -> list[bytes]:
    """The UP lines received within ``seconds`` (up to the update's end)."""
    got: list[bytes] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        try:
            line = await asyncio.wait_for(reader.readline(), left)
        except TimeoutError:
            break
        if line.startswith(b"UP "):
            got.append(line)
            if line == b"UP z\n":
                break
    return got
