"""What a media backend reports: the session it chose, with its text, state and art."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

# A cover bigger than this is not read or decoded (kept here, away from Pillow, so the
# backends can use it without importing Pillow before a cover shows up).
MAX_IMAGE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class NowPlaying:
    """One player's (or media session's) current track.

    ``art_key`` identifies the cover (an MPRIS ``mpris:artUrl``, or the track itself for a
    Windows thumbnail); the cover is converted again only when it changes. ``load_art``
    returns the cover image's encoded bytes (or None), and is only called then.
    """

    player: str  # D-Bus name or Windows app id, for logs
    artist: str | None
    title: str | None
    playing: bool
    art_key: str | None = None
    load_art: Callable[[], Awaitable[bytes | None]] | None = field(
        default=None, compare=False, repr=False
    )


def clean_text(value: object) -> str | None:
    """A non-empty single-line string, or None."""
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text or None


def join_artists(value: object) -> str | None:
    """MPRIS gives a list of artists; Windows one string. Either → "A, B" or None."""
    if isinstance(value, (list, tuple)):
        names = [t for t in (clean_text(v) for v in value) if t]
        return ", ".join(names) or None
    return clean_text(value)
