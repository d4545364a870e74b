"""User idle time on Linux: logind's Session IdleHint / IdleSinceHint, read over a private
system bus from a stand-in with logind's names and types."""

from __future__ import annotations

import logging

import pytest

from nocturne.sources import SourceUnavailable
from nocturne.sources.idle import RETRY_FIRST_S, LogindIdle

from ..fakes.logind import SESSION_PATH, Logind, system_bus  # noqa: F401  (a fixture)

NOW = 1_800_000_000.0


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
async def logind(system_bus):  # noqa: F811
    stand_in = await Logind(system_bus).start()
    yield stand_in
    await stand_in.stop()


@pytest.fixture
async def idle(system_bus, ticks):  # noqa: F811
    source = LogindIdle(system_bus, wall_clock=lambda: NOW, monotonic=ticks)
    yield source
    await source.close()


async def test_idle_counts_from_idle_since_hint_while_the_session_is_idle(logind, idle):
    logind.session.idle_hint, logind.session.idle_since_us = True, int((NOW - 61.5) * 1e6)
    assert await idle.read() == pytest.approx(61.5)
    assert idle.session == SESSION_PATH  # the user's graphical session (User.Display)


async def test_an_active_session_is_zero_and_one_that_never_reports_is_unknown(logind, idle):
    logind.session.idle_hint, logind.session.idle_since_us = False, int((NOW - 600) * 1e6)
    assert await idle.read() == 0.0  # it reported: the user is active
    logind.session.idle_hint, logind.session.idle_since_us = False, 0
    assert await idle.read() is None  # never reported: unknown, not 0


async def test_without_a_graphical_session_the_process_session_is_used(logind, idle):
    logind.user.display = ["", "/"]  # logind's "no display session"
    logind.session.idle_hint, logind.session.idle_since_us = True, int((NOW - 5) * 1e6)
    assert await idle.read() == pytest.approx(5.0)
    logind.manager.user_path = None  # a user logind does not know (a system account)
    idle.session = None
    assert await idle.read() == pytest.approx(5.0)


async def test_no_session_at_all_is_unknown_and_said_once(logind, idle, ticks, caplog):
    caplog.set_level(logging.INFO, logger="nocturne.sources.idle")
    logind.manager.user_path = None
    logind.manager.session_by_pid = None
    assert await idle.read() is None
    ticks.now += RETRY_FIRST_S
    assert await idle.read() is None
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and "logind knows no session of this user" in said[0]
    logind.manager.session_by_pid = SESSION_PATH  # a session appears (the user logged in)
    logind.session.idle_hint, logind.session.idle_since_us = False, 1
    ticks.now += RETRY_FIRST_S  # the gap doubled: not looked for yet
    assert await idle.read() is None
    ticks.now += RETRY_FIRST_S
    assert await idle.read() == 0.0


async def test_without_a_session_it_looks_again_only_after_a_growing_gap(
    logind, idle, ticks, monkeypatch
):
    logind.manager.user_path = None
    logind.manager.session_by_pid = None
    looks = []
    find = idle._find_session

    async def counted(bus):
        looks.append(ticks.now)
        return await find(bus)

    monkeypatch.setattr(idle, "_find_session", counted)
    for _ in range(120):  # two minutes of reads, one a second
        await idle.read()
        ticks.now += 1.0
    assert looks == [100.0, 115.0, 145.0, 205.0]  # gaps 15, 30, 60 s: not 120 look-ups


async def test_no_system_bus_is_unknown_not_zero(tmp_path):
    source = LogindIdle(f"unix:path={tmp_path}/none")
    assert await source.read() is None
    await source.close()


async def test_a_session_that_ended_is_unavailable_then_found_again(logind, idle):
    logind.session.idle_hint, logind.session.idle_since_us = True, int((NOW - 9) * 1e6)
    assert await idle.read() == pytest.approx(9.0)
    idle.session = "/org/freedesktop/login1/session/_99"  # logged out meanwhile
    with pytest.raises(SourceUnavailable, match="GetAll"):
        await idle.read()
    assert await idle.read() == pytest.approx(9.0)  # the current session, looked up again
