"""Windows: the system media session (GSMTC) through PyWinRT's ``winrt-*`` packages.

``GlobalSystemMediaTransportControlsSessionManager`` knows every app that shows media in
the Windows volume flyout (Spotify, browsers, the Media Player app, …). The current session
wins if it plays; else a playing one; else the current one. WinRT is imported inside the
functions only, so importing this module never fails on Linux; the conversion functions take
objects shaped like the WinRT ones and are tested with fakes of that shape.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import time
from collections.abc import Callable, Iterable
from typing import Any

from .model import MAX_IMAGE_BYTES, NowPlaying, clean_text, join_artists

# GlobalSystemMediaTransportControlsSessionPlaybackStatus
CLOSED, OPENED, CHANGING, STOPPED, PLAYING, PAUSED = range(6)

# Apps (Spotify, browsers) often publish a new title before its thumbnail: the cover read at
# a track change may still be the last track's. It is read once more this long after.
ART_SETTLE_S = 3.0

WINRT_MODULES = (
    "winrt.windows.media.control",
    "winrt.windows.storage.streams",
    "winrt.windows.foundation",
)


def winrt_missing() -> str | None:
    """The first PyWinRT module that is not installed, or None when all are."""
    for name in WINRT_MODULES:
        try:
            if importlib.util.find_spec(name) is None:
                return name
        except (ImportError, ValueError):  # the parent package is missing
            return name
    return None


def status_value(status: Any) -> int | None:
    """A PlaybackStatus enum member (an IntEnum in PyWinRT) or an int → its int value."""
    try:
        return int(status)
    except (TypeError, ValueError):
        return None


def is_playing(session: Any) -> bool:
    info = session.get_playback_info()
    return info is not None and status_value(info.playback_status) == PLAYING


def choose_session(current: Any, sessions: Iterable[Any]) -> Any:
    """The current session if it plays; else the first playing one; else the current one."""
    if current is not None and is_playing(current):
        return current
    for session in sessions:
        if is_playing(session):
            return session
    return current


def now_playing_from(session: Any, properties: Any) -> NowPlaying:
    """A session and its ``try_get_media_properties_async()`` result → NowPlaying.

    The art key is the app plus artist, album and title: WinRT gives a new thumbnail
    reference object on every call, so the track itself identifies its cover.
    """
    artist = join_artists(properties.artist) or join_artists(properties.album_artist)
    title = clean_text(properties.title)
    app = str(session.source_app_user_model_id or "")
    thumbnail = properties.thumbnail
    art_key = None
    if thumbnail is not None:
        art_key = "\x1f".join((app, artist or "", properties.album_title or "", title or ""))

    async def load() -> bytes | None:
        return await read_thumbnail(thumbnail)

    return NowPlaying(
        player=app or "Windows media session",
        artist=artist,
        title=title,
        playing=is_playing(session),
        art_key=art_key,
        load_art=load if thumbnail is not None else None,
    )


async def read_thumbnail(reference: Any) -> bytes | None:
    """An IRandomAccessStreamReference (a session's thumbnail) → the image's bytes."""
    if reference is None:
        return None
    from winrt.windows.storage.streams import Buffer, InputStreamOptions

    stream = await reference.open_read_async()
    try:
        size = int(stream.size)
        if size <= 0 or size > MAX_IMAGE_BYTES:
            return None
        result = await stream.read_async(Buffer(size), size, InputStreamOptions.READ_AHEAD)
        return bytes(result)  # an IBuffer: the buffer protocol exposes its `length` bytes
    finally:
        stream.close()


class WindowsMediaBackend:
    """Reads the Windows media sessions. One session manager, asked for again on failure."""

    name = "Windows media session"

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._manager: Any = None
        self._clock = clock
        self._track_key: str | None = None
        self._track_since = 0.0

    async def _get_manager(self) -> Any:
        if self._manager is None:
            from winrt.windows.media.control import (
                GlobalSystemMediaTransportControlsSessionManager as Manager,
            )

            self._manager = await Manager.request_async()
        return self._manager

    async def now_playing(self) -> NowPlaying | None:
        manager = await self._get_manager()
        try:
            session = choose_session(manager.get_current_session(), manager.get_sessions())
            if session is None:
                return None
            properties = await session.try_get_media_properties_async()
        except OSError:
            self._manager = None  # a stale manager (Explorer restarted): ask again next time
            raise
        if properties is None:
            return None
        return self._settle(now_playing_from(session, properties))

    def _settle(self, now: NowPlaying) -> NowPlaying:
        """Mark the art key "early" for ART_SETTLE_S after a track change, so the cover is
        read at most twice per track: at once, and once more when the app has caught up."""
        if now.art_key != self._track_key:
            self._track_key, self._track_since = now.art_key, self._clock()
        if now.art_key is None:
            return now
        early = self._clock() - self._track_since < ART_SETTLE_S
        return dataclasses.replace(now, art_key=now.art_key + ("\x1fearly" if early else ""))

    async def close(self) -> None:
        self._manager = None
