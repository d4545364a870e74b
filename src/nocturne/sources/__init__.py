"""Sources: each knows one origin of data and returns typed values (None = unknown)."""

from __future__ import annotations


class SourceUnavailable(Exception):
    """A source could not read this time; the message says why, in words a user can act on.

    The collector logs the message as it is (once per change of state), without a traceback.
    """
