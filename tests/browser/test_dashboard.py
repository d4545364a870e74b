"""The dashboard in chromium against the real server, an LHM replay and an emulated board."""

from __future__ import annotations

from .conftest import Browser, Dashboard, artifacts

BOARD_CARD = "() => document.querySelector('[data-board]')"


async def test_the_page_shows_the_board(dashboard: Dashboard, browser: Browser):
    await browser.goto(dashboard.url)
    await browser.wait(BOARD_CARD, timeout=10)
    await browser.wait("() => document.querySelector('[data-board]').dataset.shown", timeout=10)
    await browser.command("screenshot", path=str(artifacts() / "dash-desktop.png"), fullPage=True)
    await browser.command("viewport", width=375, height=800)
    await browser.command("screenshot", path=str(artifacts() / "dash-phone.png"), fullPage=True)
