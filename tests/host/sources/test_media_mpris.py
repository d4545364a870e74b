"""MPRIS: a real session bus (dbus-daemon) and real players (mpv + mpv-mpris)."""

from __future__ import annotations

import asyncio
import base64
import logging

import pytest
from aiohttp import web
from dbus_fast import Variant

from nocturne.sources.media import MediaSource, media_source
from nocturne.sources.media._linux import (
    MediaUnavailable,
    MprisBackend,
    PlayerState,
    choose_player,
    load_art_url,
    parse_player,
)
from nocturne.sources.media.cover import cover_xbm

from ..media_fixtures import make_track, player_call

TITLE = "Café Nocturne — ß 夜"
ARTIST = "Ünïcode Ärtist"


async def read(source: MediaSource, until=lambda media: True, timeout: float = 10.0):
    """Read until ``until(media)`` holds (players take a moment to report a change)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        media = await source.read()
        if until(media) or asyncio.get_running_loop().time() > deadline:
            return media
        await asyncio.sleep(0.05)


async def test_title_artist_playing_and_cover_from_mpv(players, session_bus, tmp_path):
    track = make_track(tmp_path / "album", title=TITLE, artist=ARTIST, seed=1)
    await players.start(track)
    source = MediaSource(MprisBackend(session_bus))
    try:
        media = await read(source, lambda m: m is not None and m.playing)
        assert media.artist == ARTIST and media.track == TITLE  # non-ASCII survives
        assert media.playing is True
        assert media.cover == cover_xbm((tmp_path / "album" / "cover.png").read_bytes())
        for _ in range(20):  # polls while nothing changes: the cover is not converted again
            assert await source.read() == media
        assert source.conversions == 1
    finally:
        await source.close()


async def test_pause_and_play_are_seen(players, session_bus, tmp_path):
    name = await players.start(make_track(tmp_path / "a", title="One", artist="A"))
    source = MediaSource(MprisBackend(session_bus))
    try:
        assert (await read(source, lambda m: m is not None and m.playing)).playing
        await player_call(session_bus, name, "Pause")
        paused = await read(source, lambda m: not m.playing)
        assert paused.playing is False and paused.track == "One"
        await player_call(session_bus, name, "Play")
        assert (await read(source, lambda m: m.playing)).playing
        assert source.conversions == 1
    finally:
        await source.close()


async def test_the_playing_player_wins_else_the_most_recent(players, session_bus, tmp_path):
    first = await players.start(make_track(tmp_path / "a", title="First", artist="A", seed=0))
    second = await players.start(
        make_track(tmp_path / "b", title="Second", artist="B", seed=2), paused=True
    )
    source = MediaSource(MprisBackend(session_bus))
    try:
        media = await read(source, lambda m: m is not None and m.track == "First" and m.playing)
        assert media.track == "First"
        await player_call(session_bus, second, "Play")
        assert (await read(source, lambda m: m.track == "Second")).track == "Second"
        await player_call(session_bus, first, "Pause")
        await player_call(session_bus, second, "Pause")
        # Both paused: the one that played most recently stays.
        media = await read(source, lambda m: not m.playing)
        assert (media.track, media.playing) == ("Second", False)
        assert media.cover == cover_xbm((tmp_path / "b" / "cover.png").read_bytes())
        await player_call(session_bus, first, "Play")
        assert (await read(source, lambda m: m.track == "First")).playing
        assert source.conversions == 3  # first, second, first again: once per track change
    finally:
        await source.close()


async def test_no_player_is_none_and_a_player_quitting_is_seen(players, session_bus, tmp_path):
    source = MediaSource(MprisBackend(session_bus))
    try:
        assert await source.read() is None
        await players.start(make_track(tmp_path / "a", title="Gone soon", artist="A"))
        assert (await read(source, lambda m: m is not None)).track == "Gone soon"
        players.stop()
        assert await read(source, lambda m: m is None) is None
    finally:
        await source.close()


async def test_no_session_bus_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    backend = MprisBackend()
    with pytest.raises(MediaUnavailable, match="DBUS_SESSION_BUS_ADDRESS is not set"):
        await backend.now_playing()
    gone = MprisBackend("unix:path=/nonexistent/bus")
    with pytest.raises(MediaUnavailable, match="cannot connect to the D-Bus session bus"):
        await gone.now_playing()


# --- pure parts ---------------------------------------------------------------------------


def test_parse_player_from_variants():
    props = {
        "PlaybackStatus": Variant("s", "Paused"),
        "Metadata": Variant(
            "a{sv}",
            {
                "xesam:artist": Variant("as", ["Daft Punk", " Pharrell\nWilliams "]),
                "xesam:title": Variant("s", "Get Lucky"),
                "mpris:artUrl": Variant("s", "https://i.scdn.co/image/abc"),
                "mpris:trackid": Variant("o", "/org/mpd/Tracks/1"),
            },
        ),
        "Volume": Variant("d", 1.0),
    }
    state = parse_player(props)
    assert state == PlayerState(
        artist="Daft Punk, Pharrell Williams",
        title="Get Lucky",
        status="Paused",
        art_url="https://i.scdn.co/image/abc",
        track_id="/org/mpd/Tracks/1",
    )
    assert not state.playing
    empty = parse_player({"PlaybackStatus": Variant("s", "Stopped")})
    assert (empty.artist, empty.title, empty.art_url) == (None, None, None)


def test_choose_player():
    def p(status):
        return PlayerState(None, None, status, None, None)

    assert choose_player({}, {}) is None
    players_ = {"a": p("Paused"), "b": p("Playing"), "c": p("Playing")}
    assert choose_player(players_, {"b": 1, "c": 2}) == "c"  # started playing last
    assert choose_player({"a": p("Paused"), "b": p("Stopped")}, {"b": 5}) == "b"
    assert choose_player({"b": p("Paused"), "a": p("Paused")}, {}) == "a"


async def test_art_urls_file_data_and_http(tmp_path):
    png = tmp_path / "my cover #1.png"
    png.write_bytes(b"\x89PNG fake")
    assert await load_art_url(png.as_uri()) == b"\x89PNG fake"  # percent-encoded path
    literal = tmp_path / "a%41.png"  # decoded once: "%41" is part of the name, not an "A"
    literal.write_bytes(b"literal")
    assert await load_art_url(literal.as_uri()) == b"literal"
    data = "data:image/png;base64," + base64.b64encode(b"abc").decode()
    assert await load_art_url(data) == b"abc"
    assert await load_art_url("ftp://example.invalid/x.png") is None

    async def image(request):
        if request.path == "/missing.png":
            return web.Response(status=404)
        return web.Response(body=b"JPEGDATA", content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/{name}", image)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        assert await load_art_url(f"http://127.0.0.1:{port}/cover.jpg") == b"JPEGDATA"
        with pytest.raises(ValueError, match="HTTP 404"):
            await load_art_url(f"http://127.0.0.1:{port}/missing.png")
    finally:
        await runner.cleanup()


def test_platform_without_backend_logs_once(caplog):
    caplog.set_level(logging.INFO)
    assert media_source("sunos5") is None
    assert media_source("darwin") is None
    lines = [r.getMessage() for r in caplog.records if "Media unavailable" in r.getMessage()]
    assert lines == [
        "Media unavailable: no media backend on this platform (sunos5)",
        "Media unavailable: no media backend on this platform (darwin)",
    ]
    assert isinstance(media_source("linux"), MediaSource)
