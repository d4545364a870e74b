"""Linux: MPRIS media players over the D-Bus session bus (dbus-fast).

Each read lists the bus names ``org.mpris.MediaPlayer2.*`` and asks each player for its
``org.mpris.MediaPlayer2.Player`` properties (one GetAll per player, a few hundred µs). The
playing player wins; with none playing, the one that played most recently; then the first
by name. The cover comes from ``mpris:artUrl`` (file://, http(s)://, or data:).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from dbus_fast import BusType, Message, MessageType, Variant
from dbus_fast.aio import MessageBus

from .. import SourceUnavailable
from ..http import HttpClient, HttpUnavailable
from .model import MAX_IMAGE_BYTES, NowPlaying, clean_text, join_artists

MPRIS_PREFIX = "org.mpris.MediaPlayer2."
MPRIS_PATH = "/org/mpris/MediaPlayer2"
PLAYER_INTERFACE = "org.mpris.MediaPlayer2.Player"
CALL_TIMEOUT = 1.0  # seconds; a hung player must not stall the others
ART_TIMEOUT = 5.0


class MediaUnavailable(SourceUnavailable):
    """No D-Bus session bus to ask."""


@dataclass(frozen=True, slots=True)
class PlayerState:
    """One MPRIS player's Player properties, parsed."""

    artist: str | None
    title: str | None
    status: str | None  # "Playing", "Paused", "Stopped"
    art_url: str | None
    track_id: str | None

    @property
    def playing(self) -> bool:
        return self.status == "Playing"


def unwrap(value: Any) -> Any:
    """dbus-fast Variants (nested in dicts and lists) → plain Python values."""
    if isinstance(value, Variant):
        return unwrap(value.value)
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def parse_player(props: Mapping[str, Any]) -> PlayerState:
    """Player properties (as GetAll returns them, Variants or plain) → PlayerState."""
    props = unwrap(dict(props))
    metadata = props.get("Metadata")
    if not isinstance(metadata, Mapping):
        metadata = {}
    status = props.get("PlaybackStatus")
    art = metadata.get("mpris:artUrl")
    track_id = metadata.get("mpris:trackid")
    return PlayerState(
        artist=join_artists(metadata.get("xesam:artist")),
        title=clean_text(metadata.get("xesam:title")),
        status=status if isinstance(status, str) else None,
        art_url=art.strip() or None if isinstance(art, str) else None,
        track_id=str(track_id) if track_id is not None else None,
    )


def choose_player(
    players: Mapping[str, PlayerState], last_playing: Mapping[str, int]
) -> str | None:
    """The playing player (most recently started first), else the most recent, else first."""
    if not players:
        return None
    playing = [n for n, p in players.items() if p.playing]
    candidates = playing or list(players)
    return max(sorted(candidates), key=lambda n: last_playing.get(n, -1))


def _read_file(path: Path) -> bytes:
    with open(path, "rb") as f:
        data = f.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError(f"{path} is larger than {MAX_IMAGE_BYTES} bytes")
    return data


def _file_path(url_path: str) -> Path:
    """The local path a file:// URL's (percent-encoded) path names."""
    if os.name == "nt":  # /C:/Users/... and \\server\share forms
        from nturl2path import url2pathname

        return Path(url2pathname(url_path))
    return Path(unquote(url_path))


async def load_art_url(url: str) -> bytes | None:
    """The bytes behind an ``mpris:artUrl``: file://, http(s):// or a base64 data: URI."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return await asyncio.to_thread(_read_file, _file_path(parts.path))
    if parts.scheme == "data":
        header, _, payload = url[5:].partition(",")
        try:
            if header.endswith(";base64"):
                return base64.b64decode(payload, validate=False)
            return unquote_to_bytes(payload)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"broken data: URI ({exc})") from None
    if parts.scheme in ("http", "https"):
        http = HttpClient(timeout=ART_TIMEOUT)
        try:
            return await http.get(url, max_bytes=MAX_IMAGE_BYTES)
        except HttpUnavailable as exc:
            raise ValueError(str(exc)) from None
        finally:
            await http.close()
    return None


class MprisBackend:
    """Reads MPRIS players on the session bus (DBUS_SESSION_BUS_ADDRESS)."""

    name = "MPRIS"

    def __init__(self, bus_address: str | None = None) -> None:
        self.bus_address = bus_address
        self._bus: MessageBus | None = None
        self._order = itertools.count()
        self._last_playing: dict[str, int] = {}  # bus name -> when it was last seen playing
        self._was_playing: set[str] = set()

    async def _connect(self) -> MessageBus:
        if self._bus is not None and self._bus.connected:
            return self._bus
        address = self.bus_address or os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        if not address:
            raise MediaUnavailable(
                "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set): start the server "
                "from a desktop session to show the playing track"
            )
        try:
            bus = MessageBus(bus_address=address, bus_type=BusType.SESSION)
            self._bus = await asyncio.wait_for(bus.connect(), CALL_TIMEOUT * 3)
        except Exception as exc:  # OSError, a timeout, an auth failure: all the same to us
            raise MediaUnavailable(f"cannot connect to the D-Bus session bus: {exc}") from None
        return self._bus

    async def _call(self, bus: MessageBus, message: Message) -> Message | None:
        try:
            reply = await asyncio.wait_for(bus.call(message), CALL_TIMEOUT)
        except asyncio.TimeoutError:
            return None
        if reply is None or reply.message_type == MessageType.ERROR:
            return None
        return reply

    async def players(self) -> dict[str, PlayerState]:
        """Every MPRIS player on the bus, by bus name."""
        bus = await self._connect()
        reply = await self._call(
            bus,
            Message(
                destination="org.freedesktop.DBus",
                path="/org/freedesktop/DBus",
                interface="org.freedesktop.DBus",
                member="ListNames",
            ),
        )
        if reply is None:
            raise MediaUnavailable("the D-Bus session bus does not answer ListNames")
        names = sorted(n for n in reply.body[0] if n.startswith(MPRIS_PREFIX))

        async def get_all(name: str) -> tuple[str, PlayerState | None]:
            answer = await self._call(
                bus,
                Message(
                    destination=name,
                    path=MPRIS_PATH,
                    interface="org.freedesktop.DBus.Properties",
                    member="GetAll",
                    signature="s",
                    body=[PLAYER_INTERFACE],
                ),
            )
            return name, parse_player(answer.body[0]) if answer is not None else None

        results = await asyncio.gather(*(get_all(n) for n in names))
        return {name: state for name, state in results if state is not None}

    async def now_playing(self) -> NowPlaying | None:
        players = await self.players()
        for name, state in players.items():
            if state.playing and name not in self._was_playing:
                self._last_playing[name] = next(self._order)  # just started playing
        self._was_playing = {n for n, p in players.items() if p.playing}
        for gone in set(self._last_playing) - set(players):
            del self._last_playing[gone]
        chosen = choose_player(players, self._last_playing)
        if chosen is None:
            return None
        state = players[chosen]
        art_url = state.art_url

        async def load() -> bytes | None:
            return await load_art_url(art_url) if art_url else None

        return NowPlaying(
            player=chosen.removeprefix(MPRIS_PREFIX),
            artist=state.artist,
            title=state.title,
            playing=state.playing,
            art_key=art_url,
            load_art=load,
        )

    async def close(self) -> None:
        if self._bus is not None:
            self._bus.disconnect()
            self._bus = None
