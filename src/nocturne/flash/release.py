"""The MicroPython release ``nocturne flash`` writes to a board that has none: pinned by
name and SHA-256, downloaded once into the user's cache folder, checked before use.

Why not ``mpflash`` (PyPI), which downloads and flashes official MicroPython images: it
picks the image by reading micropython.org's download pages at run time, so which version a
board gets depends on the day, and it checks no pinned hash; it also brings its own HTTP
stack, board database and esptool/mpremote pins next to ours. One pinned file, fetched with
aiohttp (already the project's HTTP client) and compared with a hash written here, is a
few dozen lines and makes the first flash reproducible: every board gets the bytes the
firmware is tested against, or nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import aiohttp

from ..config.model import APP_DIR_NAME
from ..safe_text import printable
from .errors import FlashError
from .image import MICROPYTHON_DOWNLOAD, check_firmware_image

# micropython.org serves every release image under this folder; the environment variable
# points it elsewhere (a mirror, or the tests' replay on loopback).
DOWNLOAD_BASE = "https://micropython.org/resources/firmware/"
BASE_ENV = "NOCTURNE_MICROPYTHON_BASE_URL"
CHUNK = 16 * 1024  # a progress step on a slow link; the image is ~110 of them
CONNECT_TIMEOUT = 30.0  # seconds to reach the server
READ_TIMEOUT = 60.0  # seconds without a byte before the download counts as stalled


@dataclass(frozen=True)
class Release:
    version: str
    file_name: str  # under DOWNLOAD_BASE
    sha256: str  # hex, of the whole .bin
    size: int  # bytes, for the progress line when the server sends no length


# The version the firmware's type stubs (micropython-esp32-esp32-generic-s3-stubs 1.29.0)
# and the MicroPython unix port in the tests (1.28/1.29) stand for. Hash and size of
# micropython.org's ESP32_GENERIC_S3-20260824-v1.29.0.bin as recorded, identically, by two
# unrelated public projects that flashed it (no network here to download it ourselves): a
# wrong pin refuses every download with the message below, it never writes a bad image.
PINNED = Release(
    version="1.29.0",
    file_name="ESP32_GENERIC_S3-20260824-v1.29.0.bin",
    sha256="1dd9dcd27ba2d6a1cb7f7b49a063f46d3d807d68b0151161233920228285e300",
    size=1_783_296,
)


def download_url(release: Release) -> str:
    base = os.environ.get(BASE_ENV) or DOWNLOAD_BASE
    return base.rstrip("/") + "/" + release.file_name


def cache_dir() -> Path:
    """The per-user cache folder of this platform (the images only: deleting it is safe)."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / APP_DIR_NAME / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / APP_DIR_NAME
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nocturne"


def cached_path(release: Release, cache: Path | None = None) -> Path:
    return (cache or cache_dir()) / release.file_name


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def fetch_release(
    release: Release = PINNED, cache: Path | None = None, out: TextIO | None = None
) -> Path:
    """The release image in the cache, downloaded first unless a copy with the pinned
    SHA-256 is there. FlashError (nothing kept) when the download fails or its hash differs."""
    out = sys.stderr if out is None else out
    path = cached_path(release, cache)
    if path.is_file():
        if file_sha256(path) == release.sha256:
            print(f"MicroPython {release.version}: using the cached {path}", file=out, flush=True)
            return path
        path.unlink()  # damaged or replaced since: fetched again
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    url = download_url(release)
    try:
        digest = asyncio.run(_download(url, part, release.size, out))
        if digest != release.sha256:
            raise FlashError(
                f"The download of {url} has SHA-256 {digest}, not the {release.sha256} this "
                f"version of NOCTURNE_OS is pinned to: the file is damaged or not MicroPython "
                f"{release.version}, so nothing was written to the board and nothing was kept. "
                f"Run nocturne flash again to download it again; if it keeps happening, "
                f"download {release.file_name} from {MICROPYTHON_DOWNLOAD} yourself and pass "
                "it with --firmware FILE.bin"
            )
        check_firmware_image(part)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)  # an interrupted or refused download is never cached
    return path


async def _download(url: str, dest: Path, expected_size: int, out: TextIO) -> str:
    """Stream ``url`` into ``dest`` with a progress line; the SHA-256 of what came."""
    timeout = aiohttp.ClientTimeout(sock_connect=CONNECT_TIMEOUT, sock_read=READ_TIMEOUT)
    digest = hashlib.sha256()
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url) as resp,
        ):
            if resp.status != 200:
                raise FlashError(
                    f"Downloading MicroPython from {url} failed: HTTP {resp.status} "
                    f"{printable(resp.reason or '')}. Check the connection and run nocturne "
                    f"flash again, or download the .bin from {MICROPYTHON_DOWNLOAD} and pass "
                    "it with --firmware FILE.bin"
                )
            total = resp.content_length or expected_size
            progress = Progress(out, url, total)
            with dest.open("wb") as f:
                async for block in resp.content.iter_chunked(CHUNK):
                    f.write(block)
                    digest.update(block)
                    progress.add(len(block))
            progress.done()
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        raise FlashError(
            f"Downloading MicroPython from {url} failed: {printable(exc) or type(exc).__name__}. "
            "Check the connection and run nocturne flash again, or download the .bin from "
            f"{MICROPYTHON_DOWNLOAD} and pass it with --firmware FILE.bin"
        ) from exc
    return digest.hexdigest()


class Progress:
    """``Downloading NAME: 40% (0.7 of 1.8 MB)``, rewritten in place on a terminal and one
    line per tenth elsewhere (a log gets a few lines, not thousands)."""

    def __init__(self, out: TextIO, url: str, total: int) -> None:
        self.out = out
        self.name = url.rsplit("/", 1)[-1]
        self.total = max(total, 1)
        self.got = 0
        self.shown = -1
        self.tty = bool(getattr(out, "isatty", lambda: False)())
        self.out.write(f"Downloading {url}\n")

    def add(self, n: int) -> None:
        self.got += n
        percent = min(100, self.got * 100 // self.total)
        step = percent if self.tty else percent // 10 * 10
        if step != self.shown:
            self.shown = step
            line = f"  {step}% ({self.got / 1e6:.1f} of {self.total / 1e6:.1f} MB)"
            self.out.write(f"\r{line}" if self.tty else line + "\n")
            self.out.flush()

    def done(self) -> None:
        if self.tty:
            self.out.write("\n")
        self.out.flush()
