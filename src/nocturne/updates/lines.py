"""The update's lines, both ways (PROTOCOL.md, "Updates over the air").

Server -> board, each ``UP <verb> ...``: ``m <version> <files> <trial_s>``, one ``e <path>
<size> <sha256>`` per file, ``s <hmac>`` (HMAC-SHA256 keyed by the board's pairing token,
hex, over the board's nonce and a newline, then each ``m``/``e`` line without its ``UP ``
prefix, each with its newline), then the files' bytes in manifest order as ``d <base64>``
lines of at most CHUNK bytes each (every file's chunks but its last are full), then ``z``.

Board -> server: ``ota:ready <nonce> [<mpy>]`` (on connect: a paired board that takes
updates; ``<mpy>``: its ``sys.implementation._mpy``, absent from older boards),
``ota:staged <version>``, ``ota:refused <why>``, ``ota:rolledback <version> <why>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .bundle import Bundle

CHUNK = 384  # bytes per data line: 512 base64 characters (the board's buffer, ota_rx.py)
PREFIX = b"ota:"
MAX_WHY = 120  # characters of a board's reason kept
_NONCE = re.compile(rb"[0-9a-f]{8,64}")
_VERSION = re.compile(rb"[0-9a-f]{4,64}")
_MPY = re.compile(rb"[0-9]{1,9}")
KINDS = ("ready", "staged", "refused", "rolledback")


@dataclass(frozen=True, slots=True)
class OtaLine:
    """One ``ota:`` line: its kind, the version or nonce it names ("" when none), and the
    board's reason (as bytes came: escape before showing); for ``ready``, the ``.mpy``
    version the board loads (None: it did not say, or not readably)."""

    kind: str
    word: str
    why: str = ""
    mpy: int | None = None


def parse_ota(raw: bytes) -> OtaLine | None:
    """The ``ota:`` line in ``raw``; None when it is not one or is malformed."""
    if not raw.startswith(PREFIX):
        return None
    kind, _, rest = raw[len(PREFIX) :].strip().partition(b" ")
    name = kind.decode("ascii", "replace")
    if name not in KINDS:
        return None
    word, _, why = rest.strip().partition(b" ")
    text = why.decode("utf-8", "replace")[:MAX_WHY]
    if name == "ready":
        if not _NONCE.fullmatch(word):
            return None
        said = why.split(b" ", 1)[0]
        return OtaLine(name, word.decode(), mpy=int(said) if _MPY.fullmatch(said) else None)
    if name == "refused":
        return OtaLine(name, "", rest.decode("utf-8", "replace")[:MAX_WHY])
    if not _VERSION.fullmatch(word):
        return None
    return OtaLine(name, word.decode(), text)


def manifest_lines(bundle: Bundle, trial_s: int) -> list[bytes]:
    """The manifest, each line without ``UP `` and newline."""
    lines = [f"m {bundle.version} {len(bundle.files)} {trial_s}".encode()]
    lines += [f"e {f.path} {len(f.data)} {f.sha256}".encode() for f in bundle.files]
    return lines


def signature(token: str, nonce: str, manifest: list[bytes]) -> str:
    mac = hmac.new(token.encode("utf-8"), nonce.encode("ascii") + b"\n", hashlib.sha256)
    for line in manifest:
        mac.update(line + b"\n")
    return mac.hexdigest()


def update_lines(bundle: Bundle, token: str, nonce: str, trial_s: int) -> Iterator[bytes]:
    """Every line of one update to a board, newlines included."""
    manifest = manifest_lines(bundle, trial_s)
    for line in manifest:
        yield b"UP " + line + b"\n"
    yield f"UP s {signature(token, nonce, manifest)}\n".encode()
    for f in bundle.files:
        for k in range(0, len(f.data), CHUNK):
            yield b"UP d " + base64.b64encode(f.data[k : k + CHUNK]) + b"\n"
    yield b"UP z\n"
