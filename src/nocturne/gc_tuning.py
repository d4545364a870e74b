"""Garbage collection for the long-running server: the start-up objects are set aside.

Once started, the server holds some 40 000 objects that live until it exits (modules,
classes, functions, the config). Every full collection walks all of them (about 30 ms on a
desktop), and the few thousand short-lived objects of each LHM poll set one off every hundred
polls or so. ``gc.freeze()`` moves them to a permanent generation that collections skip: a
parse costs 0.3 ms less on average (1.35 → 0.96 ms in a loop with the server's modules
loaded); the whole server, HUB board, measured side by side in one run: 0.578 → 0.556 % of
one core (a small part of it, and within that run's noise).
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Collect the start-up garbage, then freeze what is left (call once, after start-up)."""
    gc.collect()
    gc.freeze()
