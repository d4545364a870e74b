"""End to end: a real `nocturne --console` process sends weather from a replayed Open-Meteo,
the track a real mpv plays on a private session bus, and a ping to a loopback socket."""

from __future__ import annotations

import asyncio
import base64
import json
import socket

from nocturne.devtools.weather_replay import OpenMeteoReplay
from nocturne.sources.media.cover import cover_xbm

from ...conftest import FIXTURES
from ..ui.test_cli import TIMEOUT, clean_env, free_port, start_console, write_config
from ..wire.test_protocol import documented_keys

TITLE = "Nocturne — Café 夜"
ARTIST = "Ünïcode Ärtist"


raw_lines: list[bytes] = []  # the bytes of the lines last read by lines_until


async def lines_until(port: int, done, limit: int = 60) -> list[dict]:
    """Lines from one device connection until ``done(lines)`` holds (or ``limit`` lines)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), TIMEOUT)
    writer.write(b"HELO\nscreen:8\n")
    lines: list[dict] = []
    raw_lines.clear()
    try:
        while len(lines) < limit and not done(lines):
            raw = await asyncio.wait_for(reader.readline(), TIMEOUT)
            assert raw.endswith(b"\n") and len(raw) <= 4096
            lines.append(json.loads(raw.decode("utf-8")))
            raw_lines.append(raw)
    finally:
        writer.close()
    return lines


async def test_weather_media_and_ping_reach_the_device(tmp_path, players, session_bus):
    from ..media_fixtures import make_track

    replay = OpenMeteoReplay.from_dir(FIXTURES / "weather")
    await replay.start()
    track = make_track(tmp_path / "music", title=TITLE, artist=ARTIST, seed=3)
    await players.start(track)
    target = socket.socket()
    target.bind(("127.0.0.1", 0))
    target.listen(64)
    port = free_port()
    config = write_config(
        tmp_path,
        port=port,
        lhm_url=f"http://127.0.0.1:{free_port()}/data.json",
        weather_city="Enschede, Netherlands",
        weather_api_url=replay.forecast_url,
        geocoding_api_url=replay.geocoding_url,
        ping_host="127.0.0.1",
        ping_port=target.getsockname()[1],
    )
    env = dict(clean_env(), DBUS_SESSION_BUS_ADDRESS=session_bus)
    running = await start_console(config, env)
    try:
        await running.wait_for_log("Listening for devices")

        def complete(lines):
            seen = {k for line in lines for k, v in line.items() if v is not None}
            return {"wt", "wd", "wi", "art", "trk", "mp", "cov", "pg"} <= seen

        lines = await lines_until(port, complete)
        await running.wait_for_log("Weather for Enschede")
    finally:
        code = await running.stop()
        await replay.stop()
        target.close()
    assert code == 0
    assert complete(lines), lines[-1]
    last = lines[-1]
    assert (last["wt"], last["wd"], last["wi"]) == (17, "Dense drizzle", 55)  # 16.8 °C, code 55
    assert (last["art"], last["trk"], last["mp"], last["idle"]) == (ARTIST, TITLE, True, False)
    assert isinstance(last["pg"], int) and last["pg"] >= 0
    assert TITLE.encode("utf-8") in raw_lines[-1]  # UTF-8 on the wire, not \u escapes
    covers = [line["cov"] for line in lines if line["cov"]]  # "" (clear) is no cover
    assert len(covers) == 1  # once per track, not on every line
    assert base64.b64decode(covers[0]) == cover_xbm((tmp_path / "music" / "cover.png").read_bytes())
    documented = documented_keys()
    assert set(last) <= set(documented)
    # The geocoded place was cached next to config.json: the next start needs no lookup.
    cached = json.loads((tmp_path / "weather_location.json").read_text(encoding="utf-8"))
    assert cached["name"] == "Enschede" and cached["latitude"] == 52.21833
    assert replay.searches()[0]["name"] == "Enschede"
    text = "".join(running.log)
    assert "Traceback" not in text


async def test_unknown_city_is_one_clear_line_and_no_weather_keys(tmp_path):
    replay = OpenMeteoReplay.from_dir(FIXTURES / "weather")
    await replay.start()
    port = free_port()
    config = write_config(
        tmp_path,
        port=port,
        lhm_url=f"http://127.0.0.1:{free_port()}/data.json",
        weather_city="Atlantis",
        weather_api_url=replay.forecast_url,
        geocoding_api_url=replay.geocoding_url,
    )
    running = await start_console(config, clean_env())
    try:
        await running.wait_for_log("Listening for devices")
        line = await running.wait_for_log("Weather unavailable")
        lines = await lines_until(port, lambda lines: len(lines) >= 2)
    finally:
        code = await running.stop()
        await replay.stop()
    assert code == 0
    assert "'Atlantis'" in line
    assert not {"wt", "wd", "wi"} & {k for line_ in lines for k in line_}
    assert sum("Atlantis" in entry for entry in running.log) == 1
    assert replay.forecasts() == []
