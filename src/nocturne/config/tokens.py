"""config.json ``device_tokens`` validated (config.py calls this): board name -> token. An
error names the board and the fix, never the token."""

from __future__ import annotations

import math
import string
from typing import Any, Protocol

from ..json_names import json_type_name
from ..wire.protocol import MAX_TOKEN
from .file import ConfigError

MIN_TOKEN = 16  # characters in a device token (`nocturne pair` makes 22)
MIN_TOKEN_BITS = 128  # a token must be at least this hard to guess
_ALPHABETS = (  # smallest first: a token is as strong as its characters allow
    set(string.digits),
    set(string.hexdigits),
    set(string.ascii_letters + string.digits + "-_"),  # `nocturne pair`: URL-safe base64
)


def token_bits(token: str) -> float:
    """At most how many random bits ``token`` can hold: its length times the bits of the
    smallest common alphabet its characters come from (printable ASCII when none)."""
    chars = set(token)
    size = next((len(a) for a in _ALPHABETS if chars <= a), 95)
    return len(token) * math.log2(size)


class _Check(Protocol):
    source: str


def parse_device_tokens(check: _Check, tokens: Any) -> dict[str, str]:
    """The board -> token map, or ConfigError saying which board's token is wrong and how
    to make a new one."""
    if not isinstance(tokens, dict):
        raise ConfigError(
            f"{check.source}: key 'device_tokens': expected an object like "
            f'{{"desk": "<token>"}} (written by `nocturne pair`), found {json_type_name(tokens)}'
        )
    for board, token in tokens.items():
        if not board.strip():
            raise ConfigError(f"{check.source}: key 'device_tokens': a board name is empty")
        fix = f"make a new one with: nocturne pair {board}"
        if (
            not isinstance(token, str)
            or not MIN_TOKEN <= len(token) <= MAX_TOKEN
            or not token.isascii()
            or not token.isprintable()
            or " " in token
        ):
            raise ConfigError(
                f"{check.source}: key 'device_tokens.{board}': not a token (a string of "
                f"{MIN_TOKEN} to {MAX_TOKEN} ASCII characters without spaces); {fix}"
            )
        bits = token_bits(token)
        if bits < MIN_TOKEN_BITS:
            raise ConfigError(
                f"{check.source}: key 'device_tokens.{board}': too easy to guess (at most "
                f"{bits:.0f} random bits, a token needs {MIN_TOKEN_BITS}: 22 characters as "
                f"`nocturne pair` makes them); {fix}"
            )
    return dict(tokens)
