"""The one error ``nocturne flash`` stops with, and the message for a missing device tool."""

from __future__ import annotations


class FlashError(Exception):
    """``nocturne flash`` cannot go on. The message says what to do."""


def missing_extra_message(what: str) -> str:
    """What to tell a user whose install lacks the ``[device]`` tools."""
    return (
        f"{what} is not installed. Install the device tools with: "
        'pip install "nocturne-os[device]" (or: pip install esptool mpremote)'
    )
