"""The server sets its start-up objects aside from garbage collection, garbage first freed."""

from __future__ import annotations

import gc
import weakref

from nocturne.gc_tuning import freeze_startup_objects


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


def test_start_up_objects_are_frozen_and_start_up_garbage_is_freed_first():
    gc.unfreeze()
    garbage = _Node()
    gone = weakref.ref(garbage)
    kept = _Node()
    del garbage
    try:
        freeze_startup_objects()
        assert gone() is None  # collected before the freeze, not kept forever
        assert gc.get_freeze_count() > 0
        assert not any(obj is kept for obj in gc.get_objects())  # frozen: collections skip it
    finally:
        gc.unfreeze()
