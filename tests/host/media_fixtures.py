"""A private D-Bus session bus and real mpv players (with the mpv-mpris plugin) for media tests.

Debian packages: dbus-daemon, mpv, mpv-mpris (./test.sh installs them). When one is missing
the tests that need it FAIL with a message saying what to install: CI must never skip them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import struct
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dbus_fast import BusType, Message
from dbus_fast.aio import MessageBus
from PIL import Image, ImageDraw

MPRIS_PLUGIN_PATHS = (
    "/usr/lib/mpv-mpris/mpris.so",  # Debian, Ubuntu
    "/etc/mpv/scripts/mpris.so",
    "/usr/lib/mpv/mpris.so",
    "/usr/share/mpv/scripts/mpris.so",
)
INSTALL_HINT = "run ./test.sh as root, or: sudo apt-get install dbus mpv mpv-mpris"
START_TIMEOUT = 15.0


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed; the media tests need it ({INSTALL_HINT})")
    return path


def mpris_plugin() -> str:
    for path in MPRIS_PLUGIN_PATHS:
        if os.path.isfile(path):
            return path
    pytest.fail(f"the mpv-mpris plugin (mpris.so) is not installed ({INSTALL_HINT})")


def _info(tag: bytes, text: str) -> bytes:
    data = text.encode("utf-8") + b"\0"
    return tag + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")


def silent_wav(path: Path, *, title: str, artist: str, seconds: int = 60) -> Path:
    """A silent 8 kHz mono WAV whose RIFF INFO tags (UTF-8) carry a title and an artist."""
    rate = 8000
    frames = bytes(2 * rate * seconds)
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    info = b"INFO" + _info(b"INAM", title) + _info(b"IART", artist)
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"LIST"
        + struct.pack("<I", len(info))
        + info
        + b"data"
        + struct.pack("<I", len(frames))
        + frames
    )
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def cover_image(seed: int) -> Image.Image:
    """A recognisable 200×200 picture, different per seed."""
    image = Image.effect_mandelbrot((200, 200), (-2 + seed * 0.3, -1.5, 1, 1.5), 60)
    draw = ImageDraw.Draw(image)
    draw.rectangle((10 + 20 * seed, 10, 60 + 20 * seed, 60), fill=255)
    return image.convert("RGB")


def make_track(folder: Path, *, title: str, artist: str, seed: int = 0) -> Path:
    """folder/track.wav with the tags, and folder/cover.png (mpv-mpris's mpris:artUrl)."""
    folder.mkdir(parents=True, exist_ok=True)
    cover_image(seed).save(folder / "cover.png")
    return silent_wav(folder / "track.wav", title=title, artist=artist)


@pytest.fixture
def session_bus(tmp_path) -> Iterator[str]:
    """A private dbus-daemon session bus; yields its address."""
    yield from dbus_daemon("--session")


def dbus_daemon(*args: str) -> Iterator[str]:
    """Run a private dbus-daemon with ``args`` (``--session`` or ``--config-file=...``) while
    the caller iterates; yields its address."""
    daemon = need("dbus-daemon")
    proc = subprocess.Popen(
        [daemon, *args, "--nofork", "--nosyslog", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        address = proc.stdout.readline().strip()
        if not address:
            pytest.fail(f"dbus-daemon did not start: {proc.stderr.read()}")
        yield address
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


async def bus_names(address: str) -> list[str]:
    bus = await MessageBus(bus_address=address, bus_type=BusType.SESSION).connect()
    try:
        reply = await bus.call(
            Message(
                destination="org.freedesktop.DBus",
                path="/org/freedesktop/DBus",
                interface="org.freedesktop.DBus",
                member="ListNames",
            )
        )
        return list(reply.body[0])
    finally:
        bus.disconnect()


async def player_call(address: str, name: str, member: str) -> None:
    """Call org.mpris.MediaPlayer2.Player.<member> (Play, Pause, ...) on one player."""
    bus = await MessageBus(bus_address=address, bus_type=BusType.SESSION).connect()
    try:
        await bus.call(
            Message(
                destination=name,
                path="/org/mpris/MediaPlayer2",
                interface="org.mpris.MediaPlayer2.Player",
                member=member,
            )
        )
    finally:
        bus.disconnect()


async def _has_artist(address: str, name: str) -> bool:
    bus = await MessageBus(bus_address=address, bus_type=BusType.SESSION).connect()
    try:
        reply = await bus.call(
            Message(
                destination=name,
                path="/org/mpris/MediaPlayer2",
                interface="org.freedesktop.DBus.Properties",
                member="Get",
                signature="ss",
                body=["org.mpris.MediaPlayer2.Player", "Metadata"],
            )
        )
        metadata = reply.body[0].value if reply.body else {}
        return isinstance(metadata, dict) and "xesam:artist" in metadata
    finally:
        bus.disconnect()


class Players:
    """Starts mpv players on the private bus; stops every one of them at the end."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.procs: list[subprocess.Popen] = []

    async def start(self, track: Path, *, paused: bool = False) -> str:
        """Start mpv on ``track``; return its MPRIS bus name once it is on the bus."""
        mpv = need("mpv")
        plugin = mpris_plugin()
        before = set(await bus_names(self.address))
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.address)
        args = [
            mpv,
            "--no-config",
            "--no-terminal",
            "--no-video",
            "--ao=null",
            "--idle=no",
            "--loop-file=inf",
            f"--script={plugin}",
        ]
        if paused:
            args.append("--pause")
        proc = subprocess.Popen(
            [*args, str(track)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self.procs.append(proc)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            new = [
                n
                for n in set(await bus_names(self.address)) - before
                if n.startswith("org.mpris.MediaPlayer2.mpv")
            ]
            if new and await _has_artist(self.address, new[0]):
                return new[0]  # on the bus, and done reading the file's tags
            if proc.poll() is not None:
                pytest.fail(f"mpv exited ({proc.returncode}): {proc.stderr.read().decode()}")
            await asyncio.sleep(0.05)
        pytest.fail(f"mpv did not appear on the session bus within {START_TIMEOUT:g} s")

    def stop(self, proc: subprocess.Popen | None = None) -> None:
        for p in [proc] if proc is not None else list(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            if p.stderr is not None:
                p.stderr.close()
            self.procs.remove(p)


@pytest.fixture
def players(session_bus) -> Iterator[Players]:
    running = Players(session_bus)
    try:
        yield running
    finally:
        running.stop()
