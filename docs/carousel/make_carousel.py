"""Record the carousel of docs/carousel/ through the whole real path, on this PC:

    .venv/bin/python docs/carousel/make_carousel.py

A LibreHardwareMonitor capture and a recorded Open-Meteo answer are replayed on loopback;
a real mpv (with the mpv-mpris plugin) plays a generated, tagged track with a cover on a
private D-Bus session bus, so MEDIA shows a playing track; a real `nocturne --console` serves
them (plus this machine's own network, disk and process figures); the unchanged firmware
runs in the emulator. First the capture's CPU and GPU
loads are varied for half a minute (a poll every 0.25 s: one graph point per line) so the
graphs have something to show; then the PRG button is pressed once per scene. Each scene's
frame, as decoded from the SSD1306 driver's I2C bytes, is saved as a PNG (4x), plus an
animated GIF of the whole round. Values that come from this machine (NET, DISKS, top
processes) differ from run to run. Everything started here (the replays, the bus, mpv, the
server) is stopped at the end, also on an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "src"))

from nocturne.devtools.lhm_replay import LhmReplay  # noqa: E402
from nocturne.devtools.weather_replay import OpenMeteoReplay  # noqa: E402
from nocturne.emulator.device import Device, Emulator  # noqa: E402
from nocturne.emulator.views import panel_image  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests.harness
from tests.harness.rig import (  # noqa: E402
    CaptureEditor,
    ServerProcess,
    free_port,
    write_config,
)
from tests.host.media_fixtures import Players, dbus_daemon, make_track  # noqa: E402

CAPTURE = ROOT / "tests/fixtures/lhm/amd-r7-7800x3d_rtx4080super_nct6687d_lhm-0.9.6_comma.json"
WEATHER = ROOT / "tests/fixtures/weather"
SCALE = 4
DWELL = 3.5  # seconds per scene (the server scans processes every 3 s while they are shown)
POLL = 0.25  # server poll interval: four graph points a second
WARM_UP = 34.0  # seconds of varying load before the round: the graphs fill (128 points)
# Public domain, and its Latin-1 "é" shows the board's glyphs beyond ASCII.
TRACK = {"title": "Nocturne Op. 9 No. 2", "artist": "Frédéric Chopin"}


def slug(name: str) -> str:
    return name.lower().replace(" ", "_")


async def main() -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        contextlib.contextmanager(dbus_daemon)("--session") as bus,
    ):
        players = Players(bus)
        try:
            await players.start(make_track(Path(tmp) / "music", seed=2, **TRACK))
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = bus  # the server's media backend
            await record(Path(tmp))
        finally:
            players.stop()


async def record(tmp: Path) -> None:
    lhm = LhmReplay(CAPTURE.read_bytes())
    weather = OpenMeteoReplay.from_dir(WEATHER)
    await lhm.start()
    await weather.start()
    port = free_port()
    server = ServerProcess(
        write_config(
            tmp,
            port,
            lhm.url,
            poll_interval=POLL,
            latitude=55.68,
            longitude=12.57,  # the recorded forecast is Copenhagen's
            weather_api_url=weather.forecast_url,
            geocoding_api_url=weather.geocoding_url,
        )
    )
    fs = tmp / "board"
    fs.mkdir()
    (fs / "settings.json").write_text('{"carousel": false}')
    dev = Device("127.0.0.1", port, fs_dir=fs)
    emu = Emulator([dev])
    try:
        await server.start()
        state = dev.app.state
        ok = await emu.arun(
            20,
            until=lambda: (
                dev.screen == 0
                and state.v["wt"] is not None
                and state.txt["trk"] != "—"
                and state.has_cover
            ),
        )
        if not ok:
            raise SystemExit(f"no weather, track or data on the board: {dev.status()}")
        editor = CaptureEditor(lhm.body)
        steps = int(WARM_UP / POLL)
        for k in range(steps):  # a made-up but plausible load pattern for the graphs
            x = k / steps
            editor.set("cpu_load", 30 + 25 * math.sin(9 * x) + 15 * math.sin(23 * x) ** 2)
            editor.set("gpu_load", 55 + 40 * math.sin(5 * x + 1) * math.cos(13 * x))
            lhm.body = editor.body()
            await emu.arun(POLL)
        for old in HERE.glob("*.png"):
            old.unlink()
        frames = []
        from nocturne_fw import scenes

        for i, name in enumerate(scenes.NAMES):
            await emu.arun(DWELL)
            assert dev.screen_name() == name, (dev.status(), name)
            img = panel_image(dev, SCALE)
            img.save(HERE / f"{i:02d}_{slug(name)}.png", optimize=True)
            frames.append(img)
            dev.press()
            await emu.arun(0.3)
        frames[0].save(
            HERE / "carousel.gif",
            save_all=True,
            append_images=frames[1:],
            duration=1500,
            loop=0,
            optimize=True,
        )
    finally:
        emu.close()
        await server.stop()
        await weather.stop()
        await lhm.stop()
    print(f"wrote {len(frames)} scenes and carousel.gif to {HERE}")


if __name__ == "__main__":
    asyncio.run(main())
