"""Windows power events through a user32 fake shaped like the Win32 message dispatch: the
watcher's real window class, window and message pump on its thread, the OS's broadcasts with
the real message numbers and wParam values; and the real server telling a real device."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import Future

import pytest

from nocturne.app import NocturneServer
from nocturne.config.model import load_config
from nocturne.power._windows import WindowsPowerWatcher
from nocturne.sources.idle._windows import WindowsIdle
from tests.harness.rig import free_port, write_config

from ..fakes.win32 import HWND_MESSAGE, FakeKernel32, FakeUser32

WM_QUERYENDSESSION = 0x0011
WM_ENDSESSION = 0x0016
WM_POWERBROADCAST = 0x0218
PBT_APMSUSPEND = 0x4
PBT_APMRESUMESUSPEND = 0x7
PBT_APMRESUMEAUTOMATIC = 0x12
PBT_APMPOWERSTATUSCHANGE = 0xA
TIMEOUT = 5.0


class Recorder:
    """A PowerEvents that notes each call and answers at once."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bool]] = []

    def _done(self) -> Future[None]:
        done: Future[None] = Future()
        done.set_result(None)
        return done

    def sleeping(self, going: bool) -> Future[None]:
        self.calls.append(("sleeping", going))
        return self._done()

    def shutting_down(self, going: bool) -> Future[None]:
        self.calls.append(("shutting_down", going))
        return self._done()


@pytest.fixture
async def watched():
    user32, kernel32 = FakeUser32(), FakeKernel32()
    watcher = WindowsPowerWatcher(user32=user32, kernel32=kernel32)
    events = Recorder()
    await watcher.start(events)
    yield user32, watcher, events
    await watcher.stop()


async def broadcast(user32: FakeUser32, msg: int, wparam: int = 0) -> list[int]:
    return await asyncio.to_thread(user32.broadcast, msg, wparam)


async def test_the_window_is_top_level_and_hidden_on_its_own_pumping_thread(watched):
    user32, watcher, _ = watched
    window = user32.windows[watcher.hwnd]
    assert window["parent"] in (None, 0) and window["parent"] != HWND_MESSAGE  # gets broadcasts
    assert window["style"] & 0x10000000 == 0  # no WS_VISIBLE
    assert window["thread"] == watcher._thread.ident


async def test_suspend_resume_and_session_end_with_the_real_message_numbers(watched):
    user32, _, events = watched
    assert await broadcast(user32, WM_POWERBROADCAST, PBT_APMPOWERSTATUSCHANGE) == [1]
    assert events.calls == []  # a battery change is no sleep
    assert await broadcast(user32, WM_POWERBROADCAST, PBT_APMSUSPEND) == [1]
    assert events.calls == [("sleeping", True)]
    # Windows sends RESUMEAUTOMATIC on every wake, RESUMESUSPEND too when a user is there.
    await broadcast(user32, WM_POWERBROADCAST, PBT_APMRESUMEAUTOMATIC)
    await broadcast(user32, WM_POWERBROADCAST, PBT_APMRESUMESUSPEND)
    assert events.calls == [("sleeping", True), ("sleeping", False)]
    # The next sleep and a wake with RESUMESUSPEND first.
    await broadcast(user32, WM_POWERBROADCAST, PBT_APMSUSPEND)
    await broadcast(user32, WM_POWERBROADCAST, PBT_APMRESUMESUSPEND)
    await broadcast(user32, WM_POWERBROADCAST, PBT_APMRESUMEAUTOMATIC)
    assert events.calls[2:] == [("sleeping", True), ("sleeping", False)]
    events.calls.clear()
    assert await broadcast(user32, WM_QUERYENDSESSION) == [1]  # we never block a shutdown
    assert events.calls == []  # another program may still cancel it
    assert await broadcast(user32, WM_ENDSESSION, 1) == [0]
    assert events.calls == [("shutting_down", True)]
    assert await broadcast(user32, WM_ENDSESSION, 0) == [0]  # cancelled after all
    assert events.calls == [("shutting_down", True), ("shutting_down", False)]


async def test_the_window_procedure_answers_a_suspend_only_once_the_boards_were_told():
    told = []

    class Slow(Recorder):
        def sleeping(self, going: bool) -> Future[None]:
            done: Future[None] = Future()

            def finish() -> None:
                told.append("boards told")
                done.set_result(None)

            threading.Timer(0.2, finish).start()
            return done

    user32, kernel32 = FakeUser32(), FakeKernel32()
    watcher = WindowsPowerWatcher(user32=user32, kernel32=kernel32)
    await watcher.start(Slow())
    try:
        assert await broadcast(user32, WM_POWERBROADCAST, PBT_APMSUSPEND) == [1]
        assert told == ["boards told"]  # Windows got its answer after that, not before
    finally:
        await watcher.stop()


async def test_stop_destroys_the_window_and_ends_the_thread():
    user32, kernel32 = FakeUser32(), FakeKernel32()
    watcher = WindowsPowerWatcher(user32=user32, kernel32=kernel32)
    await watcher.start(Recorder())
    thread = watcher._thread
    await watcher.stop()
    assert not thread.is_alive()
    assert user32.windows == {} and user32.classes == {}


async def test_a_window_that_cannot_be_created_is_an_oserror():
    class NoWindows(FakeUser32):
        def CreateWindowExW(self, *args):
            return 0

    watcher = WindowsPowerWatcher(user32=NoWindows(), kernel32=FakeKernel32())
    with pytest.raises(OSError, match="CreateWindowExW failed"):
        await watcher.start(Recorder())


async def test_suspend_reaches_the_device_before_the_window_procedure_returns(tmp_path, lhm_replay):
    user32, kernel32 = FakeUser32(), FakeKernel32()
    path = write_config(tmp_path, free_port(), lhm_replay.url, poll_interval=30)
    server = NocturneServer(
        load_config(path, environ={}).config,
        media=False,
        power=WindowsPowerWatcher(user32=user32, kernel32=kernel32),
        user_idle=False,
    )
    await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.devices.port)
        writer.write(b"HELO\n")
        first = json.loads(await asyncio.wait_for(reader.readline(), TIMEOUT))
        assert "pwr" not in first
        assert await broadcast(user32, WM_POWERBROADCAST, PBT_APMSUSPEND) == [1]
        line = json.loads(await asyncio.wait_for(reader.readline(), TIMEOUT))
        assert line["pwr"] == "sleep"
        requests = lhm_replay.requests
        await broadcast(user32, WM_POWERBROADCAST, PBT_APMRESUMEAUTOMATIC)
        awake = json.loads(await asyncio.wait_for(reader.readline(), TIMEOUT))
        assert "pwr" not in awake and lhm_replay.requests == requests + 1
        await broadcast(user32, WM_ENDSESSION, 1)
        assert json.loads(await asyncio.wait_for(reader.readline(), TIMEOUT))["pwr"] == "off"
        writer.close()
    finally:
        await server.stop()


# --- GetLastInputInfo ---


async def test_idle_seconds_from_get_last_input_info():
    user32, kernel32 = FakeUser32(), FakeKernel32()
    idle = WindowsIdle(user32=user32, kernel32=kernel32)
    kernel32.tick, user32.last_input_tick = 90_000, 87_500
    assert await idle.read() == 2.5
    # GetTickCount wraps after 49.7 days: the last input just before, now just after.
    kernel32.tick, user32.last_input_tick = 2**32 + 4_000, 2**32 - 6_000
    assert await idle.read() == 10.0


async def test_get_last_input_info_failing_is_unavailable_not_zero():
    from nocturne.sources import SourceUnavailable

    user32 = FakeUser32()
    user32.last_input_ok = False
    with pytest.raises(SourceUnavailable, match="GetLastInputInfo"):
        await WindowsIdle(user32=user32, kernel32=FakeKernel32()).read()


async def test_a_sleep_that_never_came_gives_the_boards_back_their_live_screens(
    tmp_path, lhm_replay
):
    user32, kernel32 = FakeUser32(), FakeKernel32()
    watcher = WindowsPowerWatcher(user32=user32, kernel32=kernel32)
    path = write_config(tmp_path, free_port(), lhm_replay.url, poll_interval=30)
    server = NocturneServer(
        load_config(path, environ={}).config, media=False, power=watcher, user_idle=False
    )
    await server.start()
    try:
        watcher.messages.events.still_awake_after = 0.3  # the responder; 60 s in the server
        reader, writer = await asyncio.open_connection("127.0.0.1", server.devices.port)
        writer.write(b"HELO\n")
        await asyncio.wait_for(reader.readline(), TIMEOUT)
        await broadcast(user32, WM_POWERBROADCAST, PBT_APMSUSPEND)  # and then no sleep, no wake
        assert json.loads(await asyncio.wait_for(reader.readline(), TIMEOUT))["pwr"] == "sleep"
        requests = lhm_replay.requests
        line = json.loads(await asyncio.wait_for(reader.readline(), TIMEOUT))
        assert "pwr" not in line and lhm_replay.requests == requests + 1
        writer.close()
    finally:
        await server.stop()


def test_the_real_dll_prototypes_match_the_calls_the_watcher_makes():
    from types import SimpleNamespace

    from nocturne.power._windows import _declare

    names = [
        "RegisterClassW", "UnregisterClassW", "CreateWindowExW", "DestroyWindow",
        "DefWindowProcW", "PostMessageW", "PostQuitMessage", "GetMessageW",
        "TranslateMessage", "DispatchMessageW",
    ]  # fmt: skip
    user32 = SimpleNamespace(**{n: SimpleNamespace() for n in names})
    kernel32 = SimpleNamespace(GetModuleHandleW=SimpleNamespace())
    _declare(user32, kernel32)
    # As many arguments as the watcher passes (and the fake's signatures take).
    assert len(user32.CreateWindowExW.argtypes) == 12
    assert len(user32.GetMessageW.argtypes) == 4
    assert user32.DefWindowProcW.restype is user32.DispatchMessageW.restype  # LRESULT
    assert all(isinstance(getattr(user32, n).argtypes, list) for n in names)


async def test_a_restart_while_the_old_window_lingers_still_gets_a_window():
    user32, kernel32 = FakeUser32(), FakeKernel32()  # one process: one set of classes
    old, new = (WindowsPowerWatcher(user32=user32, kernel32=kernel32) for _ in range(2))
    await old.start(Recorder())
    events = Recorder()
    await new.start(events)  # before the old one has gone
    try:
        await old.stop()
        await broadcast(user32, WM_POWERBROADCAST, PBT_APMSUSPEND)
        assert events.calls == [("sleeping", True)]
    finally:
        await new.stop()
