"""ATMOS and MEDIA on an emulated board with real data: the recorded Open-Meteo answers over
an HTTP replay, and a real mpv playing a generated track on a private D-Bus session bus,
through a real `nocturne --console` to the unchanged firmware."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from nocturne_fw import font_big as FB
from nocturne_fw import font_medium as FM
from nocturne_fw import font_small as FS
from PIL import Image

from nocturne.devtools.lhm_replay import LhmReplay
from nocturne.devtools.weather_replay import OpenMeteoReplay
from nocturne.sources.media.cover import cover_xbm
from tests.harness.rig import ServerProcess, free_port

from ..conftest import CAPTURE_0_9_6, FIXTURES
from ..host.media_fixtures import make_track, players, session_bus  # noqa: F401 (fixtures)
from .conftest import POLL, Rig

GOLDEN = Path(__file__).parent / "golden"


def xbm_pixels(xbm: bytes) -> list[list[int]]:
    """64×64 XBM rows, MSB first (the protocol's ``cov``), as ``[y][x]``."""
    return [[(xbm[y * 8 + x // 8] >> (7 - x % 8)) & 1 for x in range(64)] for y in range(64)]


def picture_image(picture: list[list[int]]) -> Image.Image:
    img = Image.new("1", (128, 64))
    img.putdata([255 if px else 0 for row in picture for px in row])
    return img


def check_golden(name: str, picture: list[list[int]], tmp_path: Path) -> None:
    path = GOLDEN / f"{name}.png"
    image = picture_image(picture)
    if os.environ.get("NOCTURNE_UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        image.save(path)
    got = tmp_path / f"{name}.png"
    image.save(got)
    assert path.exists(), f"no golden {path}; run with NOCTURNE_UPDATE_GOLDEN=1 and look at it"
    want = Image.open(path).convert("1")
    assert image.tobytes() == want.tobytes(), f"{got} differs from {path}"


@pytest.fixture
async def live(tmp_path, players, session_bus, monkeypatch):  # noqa: F811 (fixtures)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session_bus)  # the server's media backend
    weather = OpenMeteoReplay.from_dir(FIXTURES / "weather")
    await weather.start()
    lhm = LhmReplay(CAPTURE_0_9_6.read_bytes())
    await lhm.start()
    track = make_track(tmp_path / "music", title="Hoppípolla", artist="Sigur Rós", seed=2)
    await players.start(track)
    port = free_port()
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "host": "127.0.0.1",
                "port": port,
                "lhm_url": lhm.url,
                "poll_interval": POLL,
                "ping_host": "",
                "weather_city": "Enschede",
                "weather_api_url": weather.forecast_url,
                "geocoding_api_url": weather.geocoding_url,
            }
        )
    )
    server = ServerProcess(config)
    await server.start()
    rig = Rig(tmp_path, lhm, server, port)
    try:
        yield rig, track
    finally:
        rig.emu.close()
        await server.stop()
        await lhm.stop()
        await weather.stop()
    assert "Traceback" not in server.log(), server.log()


async def test_atmos_and_media_show_the_weather_and_the_playing_track(live, tmp_path):
    rig, track = live
    dev = rig.device()
    state = dev.app.state
    await rig.until(
        lambda: state.txt["wt"] == "17" and state.has_cover and state.txt["trk"] != "—",
        15,
        "weather and media on the board",
    )

    await rig.goto(dev, "ATMOS")
    await rig.run(0.3)
    assert dev.find_text("17", FB)
    assert dev.find_text("Dense drizzle", FM)
    check_golden("atmos_enschede_dense_drizzle", dev.picture(), tmp_path)

    await rig.goto(dev, "MEDIA")
    await rig.run(0.3)
    assert dev.find_text("Sigur Rós", FS) and dev.find_text("Hoppípolla", FM)  # Latin-1 glyphs
    assert dev.find_text("PLAYING", FS)
    # The board's 64×64 cover is exactly the server's dithered image of the track's cover.
    server_cover = xbm_pixels(cover_xbm((track.parent / "cover.png").read_bytes()))
    glass = [row[:64] for row in dev.picture()[:64]]
    assert glass == server_cover
    assert bytes(state.cover) == cover_xbm((track.parent / "cover.png").read_bytes())
    check_golden("media_mpv_playing", dev.picture(), tmp_path)
