"""``nocturne flash`` without ``--firmware``: the pinned MicroPython release, downloaded from a
replay of micropython.org on loopback (aiohttp, in a thread of its own), cached, checked
against its SHA-256 before esptool runs, then the files and secrets copied as always."""

from __future__ import annotations

import asyncio
import hashlib
import io
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from nocturne import flash
from nocturne.flash import FlashError, FlashPlan, Secrets
from nocturne.flash import mpy as M
from nocturne.flash import release as R

from .flash_helpers import esp32s3_image, flash_args, make_firmware_tree

BOARD_SAYS_MPY = "MPY 6406\n"  # an ESP32-S3 running MicroPython 1.2x (xtensawin, .mpy 6.3)


class MicroPythonOrg:
    """GET /firmware/NAME: ``body`` in small chunks with its Content-Length; ``cut`` bytes
    short of it and the connection closed when ``cut`` is set (a download cut off)."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.cut = 0
        self.status = 200
        self.requests = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        if self.status != 200:
            return web.Response(status=self.status, reason="Not Found")
        resp = web.StreamResponse(headers={"Content-Length": str(len(self.body))})
        await resp.prepare(request)
        end = len(self.body) - self.cut
        for i in range(0, end, 4096):
            await resp.write(self.body[i : min(i + 4096, end)])
        if self.cut:
            assert request.transport is not None
            request.transport.close()
            return resp
        await resp.write_eof()
        return resp

    async def _start(self) -> web.AppRunner:
        app = web.Application()
        app.router.add_get("/firmware/{name}", self._serve)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = runner.addresses[0][1]
        return runner

    def __enter__(self) -> MicroPythonOrg:
        self._thread.start()
        self._runner = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@pytest.fixture
def image(tmp_path: Path) -> bytes:
    return esp32s3_image(tmp_path / "made.bin").read_bytes()


@pytest.fixture
def site(image: bytes, monkeypatch: pytest.MonkeyPatch) -> Iterator[MicroPythonOrg]:
    with MicroPythonOrg(image) as server:
        monkeypatch.setenv(R.BASE_ENV, f"http://127.0.0.1:{server.port}/firmware/")
        yield server


def pinned_to(body: bytes) -> R.Release:
    return R.Release("9.9.9", "ESP32_GENERIC_S3-20990101-v9.9.9.bin",
                     hashlib.sha256(body).hexdigest(), len(body))  # fmt: skip


def test_download_is_checked_cached_and_reused(
    site: MicroPythonOrg, image: bytes, tmp_path: Path
) -> None:
    release = pinned_to(image)
    out = io.StringIO()
    path = R.fetch_release(release, tmp_path / "cache", out)
    assert path == tmp_path / "cache" / release.file_name
    assert path.read_bytes() == image
    assert site.requests == 1
    lines = out.getvalue().splitlines()
    assert lines[0] == f"Downloading http://127.0.0.1:{site.port}/firmware/{release.file_name}"
    # one line per tenth reached, not one per chunk (how many: as the bytes arrive)
    shown = [int(ln.split("%")[0]) for ln in lines[1:]]
    assert shown == sorted(set(shown)) and all(p % 10 == 0 for p in shown)
    assert lines[-1] == f"  100% ({len(image) / 1e6:.1f} of {len(image) / 1e6:.1f} MB)"
    assert sorted(p.name for p in path.parent.iterdir()) == [release.file_name]

    again = io.StringIO()
    assert R.fetch_release(release, tmp_path / "cache", again) == path
    assert site.requests == 1  # from the cache
    assert "using the cached" in again.getvalue()

    path.write_bytes(image[:-1] + b"\0")  # damaged on disk since: fetched again
    assert R.fetch_release(release, tmp_path / "cache", io.StringIO()).read_bytes() == image
    assert site.requests == 2


def test_progress_rewrites_one_line_on_a_terminal_and_logs_tenths() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for out, shown in (
        (Terminal(), "\r  {}% (0.0 of 0.0 MB)"),
        (io.StringIO(), "  {}% (0.0 of 0.0 MB)\n"),
    ):
        progress = R.Progress(out, "http://x/a.bin", 1000)
        for _ in range(4):
            progress.add(250)
        progress.done()
        steps = (25, 50, 75, 100) if out.isatty() else (20, 50, 70, 100)  # a log: tenths
        end = "\n" if out.isatty() else ""
        expected = "".join(shown.format(p) for p in steps)
        assert out.getvalue() == f"Downloading http://x/a.bin\n{expected}{end}"


def test_wrong_hash_is_refused_and_nothing_is_written(
    site: MicroPythonOrg, image: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A board without MicroPython, a download that is not the pinned file: no esptool, no
    copy, nothing cached, one message naming the problem and the fix."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    release = pinned_to(image + b"the real one differs")
    plan = make_plan(tmp_path, release)
    ran: list[list[str]] = []
    with pytest.raises(FlashError) as err:
        flash.execute_plan(plan, lambda c: ran.append(list(c)) or 0, wait=False, read=silent)
    message = str(err.value)
    assert f"has SHA-256 {hashlib.sha256(image).hexdigest()}, not the {release.sha256}" in message
    assert "nothing was written to the board" in message
    assert "Run nocturne flash again" in message and "--firmware FILE.bin" in message
    assert ran == []  # neither esptool nor mpremote: the board is as it was
    assert list((tmp_path / "cache" / "nocturne").iterdir()) == []  # the bad download is gone
    assert site.requests == 1


def test_nocturne_flash_refuses_a_wrong_hash_before_touching_board_or_config(
    site: MicroPythonOrg,
    image: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The whole command: exit 1 with the message, no esptool or mpremote run, the board's
    pairing not recorded in config.json (the board never got its token)."""
    monkeypatch.setattr(R, "PINNED", pinned_to(image + b"the real one differs"))
    monkeypatch.setattr(flash.cli, "PINNED", R.PINNED)
    monkeypatch.setattr(flash.plan, "read_command", silent)  # mpremote found no MicroPython
    monkeypatch.setattr(flash.cli, "check_port_access", lambda port: None)
    monkeypatch.setattr(flash.cli, "check_tools_present", lambda need_esptool: None)
    fw = make_firmware_tree(tmp_path)
    config = tmp_path / "config.json"
    config.write_text('{"port": 9091}')
    argv = ["--port", "/dev/ttyACM0", "--ssid", "Home", "--password", "p" * 8, "--host",
            "10.0.0.9", "--firmware-dir", str(fw), "--config", str(config)]  # fmt: skip
    ran: list[list[str]] = []
    assert flash.run(flash_args(*argv), runner=lambda c: ran.append(list(c)) or 0) == 1
    err = capsys.readouterr().err
    assert err.startswith("Downloading http://127.0.0.1:")  # the progress, then one message
    assert err.splitlines()[-1].startswith("nocturne flash: The download of ")
    assert "nothing was written to the board" in err
    assert ran == []
    assert config.read_text() == '{"port": 9091}'


def test_a_cut_download_is_not_cached(site: MicroPythonOrg, image: bytes, tmp_path: Path) -> None:
    release = pinned_to(image)
    site.cut = 1000
    with pytest.raises(FlashError, match=r"Downloading MicroPython from .* failed"):
        R.fetch_release(release, tmp_path / "cache", io.StringIO())
    assert list((tmp_path / "cache").iterdir()) == []  # no .bin, no .part
    site.cut = 0
    assert R.fetch_release(release, tmp_path / "cache", io.StringIO()).read_bytes() == image


def test_http_error_names_the_status(site: MicroPythonOrg, tmp_path: Path) -> None:
    site.status = 404
    with pytest.raises(FlashError) as err:
        R.fetch_release(pinned_to(b""), tmp_path / "cache", io.StringIO())
    assert "HTTP 404 Not Found" in str(err.value)
    assert "--firmware FILE.bin" in str(err.value)
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_board_without_micropython_gets_the_release_then_the_files(
    site: MicroPythonOrg, image: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    release = pinned_to(image)
    plan = make_plan(tmp_path, release)
    ran, staged = recording_runner()
    answers = iter(["", BOARD_SAYS_MPY])  # nothing before MicroPython is written; then 6.3
    flash.execute_plan(plan, ran.run, wait=False, read=lambda c: next(answers))
    cached = tmp_path / "cache" / "nocturne" / release.file_name
    assert cached.read_bytes() == image
    assert [c[2] for c in ran.commands] == ["esptool", "esptool", "mpremote"]
    assert ran.commands[:2] == flash.esptool_commands(plan.port, cached)
    assert ran.commands[0][-1] == "erase-flash"
    # WiFi and token written as on any flash; the modules compiled for the fresh MicroPython
    secrets = staged[0]["secrets.py"].decode()
    assert "WIFI_SSID = 'Home'" in secrets and f"SERVER_TOKEN = '{'k' * 22}'" in secrets
    assert "nocturne_fw/app.mpy" in staged[0]
    assert site.requests == 1


def test_a_board_running_micropython_is_not_flashed(
    site: MicroPythonOrg, image: bytes, tmp_path: Path
) -> None:
    plan = make_plan(tmp_path, pinned_to(image))
    ran, _ = recording_runner()
    asked: list[list[str]] = []

    def read(command: Any) -> str:
        asked.append(list(command))
        return BOARD_SAYS_MPY

    flash.execute_plan(plan, ran.run, wait=False, read=read)
    assert [c[2] for c in ran.commands] == ["mpremote"]  # the copy only
    assert len(asked) == 1 and asked[0][-1] == M.PROBE  # one question serves both uses
    assert site.requests == 0


# --- helpers ------------------------------------------------------------------------------


def silent(command: Any) -> str:
    """What mpremote prints for a board that is not MicroPython: nothing (it failed)."""
    return ""


def make_plan(tmp_path: Path, release: R.Release) -> FlashPlan:
    fw = make_firmware_tree(tmp_path)
    secrets = Secrets("Home", "p" * 8, "10.0.0.9", 8090, token="k" * 22)
    plan = FlashPlan("/dev/ttyACM0", fw, tuple(flash.firmware_files(fw)), secrets,
                     flash.DRY_RUN_STAGE, compile=True)  # fmt: skip
    return replace(plan, release=release)


class Recorder:
    def __init__(self) -> None:
        self.commands: list[list[str]] = []
        self.staged: list[dict[str, bytes]] = []

    def run(self, command: Any) -> int:
        self.commands.append(list(command))
        if "mpremote" in command:
            stage = Path(command[command.index("-r") + 1]).parent
            files = [p for p in stage.rglob("*") if p.is_file()]
            self.staged.append({p.relative_to(stage).as_posix(): p.read_bytes() for p in files})
        return 0


def recording_runner() -> tuple[Recorder, list[dict[str, bytes]]]:
    recorder = Recorder()
    return recorder, recorder.staged
