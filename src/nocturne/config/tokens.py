"""config.json ``device_tokens`` validated (config.py calls this): board name -> token. An
error names the board and the fix, never the token."""

from __future__ import annotations

from typing import Any, Protocol

from ..json_names import json_type_name
from ..wire.protocol import MAX_TOKEN
from .file import ConfigError

MIN_TOKEN = 16  # characters in a device token (`nocturne pair` makes 22)


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
    return dict(tokens)
