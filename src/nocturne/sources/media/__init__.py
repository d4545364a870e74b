"""Media: the track playing on this PC — artist, title, playing/paused, cover art.

One public API, ``MediaSource``, over a platform backend: Windows' system media session
(GSMTC, through PyWinRT) in ``windows.py``, Linux's MPRIS players over the D-Bus session bus
in ``mpris.py``. Covers become the protocol's 64×64 1-bit XBM in ``cover.py``, once per
track. A platform without a backend has no MediaSource (``media_source()`` returns None and
says why once).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Protocol

from ...safe_text import printable
from ...snapshot import Media
from .model import NowPlaying

log = logging.getLogger(__name__)


class MediaBackend(Protocol):
    """What a platform backend provides."""

    name: str

    async def now_playing(self) -> NowPlaying | None:
        """The session to show (the playing one, else the most recent), or None: no player."""
        ...

    async def close(self) -> None: ...


class MediaSource:
    """``read()`` → the Media to show, or None when no player is running.

    Cheap when nothing changed: the backend's state is read, and the cover is converted only
    when its ``art_key`` differs from the last one.
    """

    name = "Media"
    interval = 1.0  # seconds between looks at the players: a track change shows within one

    def __init__(self, backend: MediaBackend) -> None:
        self.backend = backend
        self._art_key: str | None = None
        self._cover: bytes | None = None
        self.conversions = 0  # covers converted so far (for tests and benches)

    async def _cover_for(self, now: NowPlaying) -> bytes | None:
        if now.art_key == self._art_key:
            return self._cover
        from .cover import cover_xbm  # Pillow only when a cover shows up

        cover = None
        if now.art_key is not None and now.load_art is not None:
            try:
                data = await now.load_art()
                if data:
                    cover = await asyncio.to_thread(cover_xbm, data)
                    self.conversions += 1
            except Exception as exc:  # a cover never stops the track from showing
                log.warning(
                    "No cover for '%s' from %s: %s",
                    printable(now.title),
                    printable(now.player),
                    printable(exc),
                )
        self._art_key, self._cover = now.art_key, cover
        return cover

    async def read(self) -> Media | None:
        now = await self.backend.now_playing()
        if now is None:
            return None
        return Media(
            artist=now.artist,
            track=now.title,
            playing=now.playing,
            cover=await self._cover_for(now),
        )

    async def close(self) -> None:
        await self.backend.close()


def media_source(platform: str = sys.platform) -> MediaSource | None:
    """The MediaSource of this platform, or None (logged once) when it has no backend."""
    if platform.startswith("linux") or platform.startswith("freebsd"):
        try:
            from ._linux import MprisBackend
        except ImportError as exc:
            log.warning("Media unavailable: %s (pip install dbus-fast)", exc)
            return None
        return MediaSource(MprisBackend())
    if platform == "win32":
        from ._windows import WindowsMediaBackend, winrt_missing

        missing = winrt_missing()
        if missing:
            log.warning(
                "Media unavailable: %s is not installed (pip install winrt-Windows.Media.Control "
                "winrt-Windows.Storage.Streams winrt-Windows.Foundation); the MEDIA scene "
                "stays empty",
                missing,
            )
            return None
        return MediaSource(WindowsMediaBackend())
    log.info("Media unavailable: no media backend on this platform (%s)", platform)
    return None


__all__ = ["MediaBackend", "MediaSource", "NowPlaying", "media_source"]
