"""The Windows backend (GSMTC through PyWinRT), through fakes shaped exactly like WinRT's objects.

Shapes, from PyWinRT's projection of Windows.Media.Control and Windows.Storage.Streams:
``GlobalSystemMediaTransportControlsSessionManager.request_async()`` → manager with
``get_current_session()`` and ``get_sessions()``; a session has ``source_app_user_model_id``,
``get_playback_info().playback_status`` (an IntEnum: CLOSED 0 … PLAYING 4, PAUSED 5) and
``try_get_media_properties_async()`` → properties with ``artist``, ``album_artist``,
``album_title``, ``title`` and ``thumbnail`` (an IRandomAccessStreamReference or None);
``thumbnail.open_read_async()`` → a stream with ``size``, ``read_async(buffer, count,
options)`` → IBuffer (buffer protocol over its ``length`` bytes) and ``close()``.
"""

from __future__ import annotations

import enum
import importlib.machinery
import io
import logging
import sys
import types

import pytest
from PIL import Image

from nocturne.sources.media import MediaSource, media_source
from nocturne.sources.media._windows import (
    WindowsMediaBackend,
    choose_session,
    now_playing_from,
    read_thumbnail,
    winrt_missing,
)
from nocturne.sources.media.cover import cover_xbm


class PlaybackStatus(enum.IntEnum):  # GlobalSystemMediaTransportControlsSessionPlaybackStatus
    CLOSED = 0
    OPENED = 1
    CHANGING = 2
    STOPPED = 3
    PLAYING = 4
    PAUSED = 5


class InputStreamOptions(enum.IntFlag):
    NONE = 0
    PARTIAL = 1
    READ_AHEAD = 2


class Buffer:
    """winrt.windows.storage.streams.Buffer: ``capacity``, ``length``, bytes of ``length``."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.length = 0
        self._data = bytearray(capacity)

    def __bytes__(self) -> bytes:
        return bytes(self._data[: self.length])


class AsyncOp:
    """An IAsyncOperation: awaitable once."""

    def __init__(self, value) -> None:
        self.value = value

    def __await__(self):
        if False:
            yield
        return self.value


class Stream:  # IRandomAccessStreamWithContentType
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)
        self.content_type = "image/png"
        self.closed = False
        self.reads: list[tuple[int, InputStreamOptions]] = []

    def read_async(self, buffer: Buffer, count: int, options: InputStreamOptions) -> AsyncOp:
        self.reads.append((count, options))
        chunk = self.data[:count]
        buffer._data[: len(chunk)] = chunk
        buffer.length = len(chunk)
        return AsyncOp(buffer)

    def close(self) -> None:
        self.closed = True


class StreamReference:  # IRandomAccessStreamReference
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.opened: list[Stream] = []

    def open_read_async(self) -> AsyncOp:
        stream = Stream(self.data)
        self.opened.append(stream)
        return AsyncOp(stream)


class MediaProperties:  # GlobalSystemMediaTransportControlsSessionMediaProperties
    def __init__(self, title="", artist="", album_artist="", album_title="", thumbnail=None):
        self.title = title
        self.artist = artist
        self.album_artist = album_artist
        self.album_title = album_title
        self.subtitle = ""
        self.track_number = 0
        self.thumbnail = thumbnail


class PlaybackInfo:
    def __init__(self, status: PlaybackStatus) -> None:
        self.playback_status = status


class Session:  # GlobalSystemMediaTransportControlsSession
    def __init__(self, app: str, properties: MediaProperties, status: PlaybackStatus) -> None:
        self.source_app_user_model_id = app
        self.properties = properties
        self.status = status

    def get_playback_info(self) -> PlaybackInfo:
        return PlaybackInfo(self.status)

    def try_get_media_properties_async(self) -> AsyncOp:
        return AsyncOp(self.properties)


class Manager:  # GlobalSystemMediaTransportControlsSessionManager
    current: Session | None = None
    sessions: list[Session] = []
    requests = 0

    @classmethod
    def request_async(cls) -> AsyncOp:
        cls.requests += 1
        return AsyncOp(cls())

    def get_current_session(self) -> Session | None:
        return type(self).current

    def get_sessions(self) -> list[Session]:
        return list(type(self).sessions)


@pytest.fixture
def fake_winrt(monkeypatch):
    """Installs winrt.windows.{media.control,storage.streams,foundation} made of the fakes."""

    def module(name: str, **attrs) -> types.ModuleType:
        mod = types.ModuleType(name)
        mod.__spec__ = importlib.machinery.ModuleSpec(name, None)
        mod.__path__ = []
        for key, value in attrs.items():
            setattr(mod, key, value)
        monkeypatch.setitem(sys.modules, name, mod)
        return mod

    for name in ("winrt", "winrt.windows", "winrt.windows.media"):
        module(name)
    module(
        "winrt.windows.media.control",
        GlobalSystemMediaTransportControlsSessionManager=Manager,
        GlobalSystemMediaTransportControlsSessionPlaybackStatus=PlaybackStatus,
    )
    module("winrt.windows.storage")
    module("winrt.windows.storage.streams", Buffer=Buffer, InputStreamOptions=InputStreamOptions)
    module("winrt.windows.foundation")
    monkeypatch.setattr(Manager, "current", None)
    monkeypatch.setattr(Manager, "sessions", [])
    monkeypatch.setattr(Manager, "requests", 0)
    return Manager


class Clock:
    """A clock that stands still unless a test moves it."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def png(color: int, size: int = 300) -> bytes:
    image = Image.new("L", (size, size), color)
    image.paste(255 - color, (0, 0, size // 2, size))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_conversion_of_a_playing_session():
    thumb = StreamReference(png(0))
    session = Session(
        "Spotify.exe",
        MediaProperties(title=" Get  Lucky ", artist="Daft Punk", thumbnail=thumb),
        PlaybackStatus.PLAYING,
    )
    now = now_playing_from(session, session.properties)
    assert (now.player, now.artist, now.title, now.playing) == (
        "Spotify.exe",
        "Daft Punk",
        "Get Lucky",
        True,
    )
    assert now.art_key is not None and now.load_art is not None


def test_album_artist_when_no_artist_and_no_thumbnail():
    props = MediaProperties(title="Track", album_artist="Band")
    now = now_playing_from(Session("app", props, PlaybackStatus.PAUSED), props)
    assert (now.artist, now.playing, now.art_key, now.load_art) == ("Band", False, None, None)
    empty = MediaProperties()
    now = now_playing_from(Session("", empty, PlaybackStatus.STOPPED), empty)
    assert (now.artist, now.title, now.player) == (None, None, "Windows media session")


def test_choose_session_prefers_a_playing_one():
    paused = Session("a", MediaProperties(title="A"), PlaybackStatus.PAUSED)
    playing = Session("b", MediaProperties(title="B"), PlaybackStatus.PLAYING)
    assert choose_session(paused, [paused, playing]) is playing
    assert choose_session(playing, [paused, playing]) is playing
    assert choose_session(paused, [paused]) is paused
    assert choose_session(None, []) is None


async def test_thumbnail_is_read_whole_and_closed(fake_winrt):
    data = png(40)
    ref = StreamReference(data)
    assert await read_thumbnail(ref) == data
    stream = ref.opened[0]
    assert stream.closed and stream.reads == [(len(data), InputStreamOptions.READ_AHEAD)]
    assert await read_thumbnail(None) is None


async def test_backend_reads_title_state_and_cover_once_per_track(fake_winrt):
    thumb = StreamReference(png(0))
    song = Session(
        "Spotify.exe",
        MediaProperties(title="Nocturne 夜", artist="Ärtist", album_title="X", thumbnail=thumb),
        PlaybackStatus.PLAYING,
    )
    fake_winrt.current = song
    fake_winrt.sessions = [song]
    source = MediaSource(WindowsMediaBackend(clock=Clock()))
    media = await source.read()
    assert (media.artist, media.track, media.playing) == ("Ärtist", "Nocturne 夜", True)
    assert media.cover == cover_xbm(png(0))
    song.status = PlaybackStatus.PAUSED
    for _ in range(5):
        media = await source.read()
    assert media.playing is False
    assert source.conversions == 1 and len(thumb.opened) == 1  # not re-read while unchanged
    song.properties = MediaProperties(
        title="Next", artist="Ärtist", album_title="X", thumbnail=StreamReference(png(255))
    )
    media = await source.read()
    assert media.track == "Next" and media.cover == cover_xbm(png(255))
    assert source.conversions == 2
    assert fake_winrt.requests == 1  # one session manager for the whole run
    fake_winrt.current = None
    fake_winrt.sessions = []
    assert await source.read() is None


def test_backend_selection_with_and_without_winrt(fake_winrt, caplog):
    assert winrt_missing() is None
    assert isinstance(media_source("win32"), MediaSource)


def test_missing_winrt_is_one_clear_line(monkeypatch, caplog):
    caplog.set_level(logging.INFO)
    monkeypatch.setitem(sys.modules, "winrt", None)  # as on a PC without the packages
    assert winrt_missing() == "winrt.windows.media.control"
    assert media_source("win32") is None
    (line,) = [r.getMessage() for r in caplog.records]
    assert "Media unavailable: winrt.windows.media.control is not installed" in line
    assert "pip install winrt-Windows.Media.Control" in line


async def test_a_broken_thumbnail_never_hides_the_track(fake_winrt, caplog):
    song = Session(
        "Browser",
        MediaProperties(title="Video", artist="Channel", thumbnail=StreamReference(b"<html>")),
        PlaybackStatus.PLAYING,
    )
    fake_winrt.current = song
    source = MediaSource(WindowsMediaBackend(clock=Clock()))
    for _ in range(3):
        media = await source.read()
        assert (media.track, media.artist, media.cover) == ("Video", "Channel", None)
    warnings = [r.getMessage() for r in caplog.records if "No cover" in r.getMessage()]
    assert len(warnings) == 1 and "'Video' from Browser" in warnings[0]


async def test_cover_is_read_again_once_after_a_track_change(fake_winrt):
    """Apps publish a new title before its thumbnail: a second read catches the right one."""
    clock = Clock()
    old_art = StreamReference(png(0))
    song = Session(
        "Spotify.exe",
        MediaProperties(title="New song", artist="A", thumbnail=old_art),  # stale thumbnail
        PlaybackStatus.PLAYING,
    )
    fake_winrt.current = song
    source = MediaSource(WindowsMediaBackend(clock=clock))
    assert (await source.read()).cover == cover_xbm(png(0))
    song.properties.thumbnail = StreamReference(png(255))  # the app catches up
    clock.now += 1.0
    assert (await source.read()).cover == cover_xbm(png(0))  # not read again every poll
    clock.now += 3.0
    for _ in range(5):
        media = await source.read()
        clock.now += 1.0
    assert media.cover == cover_xbm(png(255))
    assert source.conversions == 2 and len(old_art.opened) == 1
